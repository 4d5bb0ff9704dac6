"""One duty per task and agency after a succession: the stronger role wins.

When an agency is dissolved (国务院扶贫办 → 国家乡村振兴局 → 农业农村部), its open duties are carried by its
successor. A task may then name the successor twice: in its own right and through the duty it inherited
(云民发〔2020〕8号 任务分工四: 农业农村 leads, 扶贫 supports). The successor holds **one** duty per task and
jurisdiction: the strongest role wins (lead > joint > support); on a tie its own duty wins over the
inherited one (and the older over the newer). The other rows stay, as history, *merged* into the winner:
they count nowhere (status, overdue, notify, 考核) and get no new milestones.

The SQL form of this rule is :func:`duban.storage.queries.merged_duties`; the cascade applies it in Python
(:func:`strongest`) so that it never creates a second duty for the successor.
"""

from __future__ import annotations

from collections.abc import Iterable

from duban.domain.vocabulary import Role

__all__ = ["ROLE_STRENGTH", "strongest"]

#: the higher wins
ROLE_STRENGTH: dict[str, int] = {Role.LEAD.value: 3, Role.JOINT.value: 2, Role.SUPPORT.value: 1}


def strongest(roles: Iterable[str]) -> str:
    """The strongest of some roles: ``strongest(["support", "lead"]) == "lead"``."""
    return max(roles, key=lambda role: ROLE_STRENGTH.get(role, 0))
