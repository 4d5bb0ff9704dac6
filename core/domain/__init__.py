"""Pure domain: dataclasses, enums and rules. Imports no SQLAlchemy, Textual or apprise."""
