"""``python -m duban``: the same command line as the ``duban`` console script."""

from __future__ import annotations

from duban.cli import main

if __name__ == "__main__":
    main()
