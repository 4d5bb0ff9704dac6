"""Seeds imported once per test database: 民发〔2019〕86号, the Jilin draft, Yunnan and Jilin."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from duban.plugin_host import PluginHost
from duban.services.identity import SYSTEM
from duban.services.importing import import_policy
from duban.services.supervision import set_supervision_start
from duban.storage.models import Policy

SEEDS = Path(__file__).parents[1] / "fixtures" / "seeds"
ORDER = (
    "001_007993ffda9a68ac.txt",
    "004_1692d70bd32bb6db.txt",
    "000_ec88c21d93956c79.txt",
    "002_09c426360c691ab7.txt",
)
NATIONAL, YUNNAN, JILIN = "民发〔2019〕86号", "云民发〔2020〕8号", "吉民发〔2020〕28号"


@pytest.fixture
def seeded(session: Session, host: PluginHost) -> dict[str, int]:
    """Policy ids by seed prefix ("001", "004", "000", "002"), each supervised from its issue date (the
    tests here play 2020–2021; an import today would start today)."""
    ids = {}
    for name in ORDER:
        policy_id = import_policy(session, actor=SYSTEM, host=host, path=SEEDS / name).policy_id
        assert policy_id is not None
        issued = session.get(Policy, policy_id).issued  # type: ignore[union-attr]
        set_supervision_start(session, actor=SYSTEM, policy_id=policy_id, start=issued)
        ids[name[:3]] = policy_id
    session.commit()
    return ids
