"""What the per-hook tests share: plugins installed as real distributions, and a small database.

A plugin is installed the way a department installs one: a ``*.dist-info`` with an entry point in the
group ``duban`` on ``sys.path``, so ``PluginHost.load()`` — and therefore every CLI command — finds it
with no test-only switch in duban. Each test gets its own site folder and database.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from duban.cli.main import cli
from duban.plugin_host import PluginHost
from duban.services.identity import SYSTEM, add_user
from duban.services.setup import prepare_database
from duban.storage.db import make_engine, session_factory
from duban.storage.models import Milestone, Policy, Responsibility, Task

#: 教育 is not one of the thirteen shipped agencies: the per-hook plugins declare it.
JIAOYU = """
from duban.plugin import AgencySpec, hookimpl

@hookimpl
def duban_register_agencies():
    return [
        AgencySpec(
            key="jiaoyu",
            name="教育",
            names={"national": "教育部", "province": "省教育厅", "county": "县教育局"},
            aliases=("教育行政部门",),
        )
    ]
"""


@dataclass
class Site:
    """A folder on ``sys.path`` holding installed (unpacked) plugin distributions."""

    root: Path
    modules: list[str] = field(default_factory=list)

    def install(self, name: str, source: str) -> str:
        """Install module ``duban_hooktest_<name>`` as distribution ``duban-plugin-<name>`` with entry point
        ``<name>``; returns the module name."""
        module = f"duban_hooktest_{name}"
        info = self.root / f"duban_plugin_{name}-0.1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: duban-plugin-{name}\nVersion: 0.1.0\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(f"[duban]\n{name} = {module}\n", encoding="utf-8")
        (self.root / f"{module}.py").write_text(
            "from __future__ import annotations\n" + textwrap.dedent(source), encoding="utf-8"
        )
        self.modules.append(module)
        return module


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    root = tmp_path / "site-packages"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    installed = Site(root)
    yield installed
    for module in installed.modules:
        sys.modules.pop(module, None)


@dataclass
class World:
    """A migrated SQLite database with one task of 教育 (牵头) for 云南省, and a config mapping this login."""

    db: str
    config: Path
    responsibility: int
    milestone: int

    def run(self, *args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            cli, ["--db", self.db, "--config", str(self.config), *args], catch_exceptions=False
        )
        return result.exit_code, result.stdout, result.stderr


def make_world(tmp_path: Path, *, template: str | None = None, agency: str = "jiaoyu") -> World:
    """Build the database with the plugins installed so far (install them first).

    The task's responsible agency is ``agency`` (教育, which the ``JIAOYU`` plugin declares, by default).
    """
    db = f"sqlite:///{tmp_path / 'duban.db'}"
    engine = make_engine(db)
    prepare_database(engine, host=PluginHost.load())
    with session_factory(engine)() as session:
        add_user(session, actor=SYSTEM, name="coord", role="coordinator")
        add_user(
            session,
            actor=SYSTEM,
            name="jy",
            role="department",
            agency=agency,
            jurisdiction="530000",
        )
        policy = Policy(
            doc_number="云教发〔2026〕3号",
            title="关于做好农村留守妇女子女教育关爱工作的通知",
            issuers=[agency],
            jurisdiction_code="530000",
            level="province",
            issued=dt.date(2026, 1, 5),
        )
        task = Task(
            number="一",
            text="组织开展“护苗”家庭教育指导活动，每半年报送一次开展情况。",
            position=1,
            template_key=template,
        )
        resp = Responsibility(
            agency_key=agency, name_as_written="省教育厅", role="lead", jurisdiction_code="530000"
        )
        task.responsibilities.append(resp)
        policy.tasks.append(task)
        session.add(policy)
        session.flush()
        milestone = Milestone(
            key=f"{task.id}:{resp.id}:2026-H1",
            task_id=task.id,
            responsibility_id=resp.id,
            period="2026-H1",
            due_date=dt.date(2026, 6, 30),
            effective_due_date=dt.date(2026, 6, 30),
        )
        session.add(milestone)
        session.commit()
        ids = resp.id, milestone.id
    engine.dispose()
    config = tmp_path / "duban.toml"
    config.write_text(f'[users.map]\n"{getpass.getuser()}" = "coord"\n', encoding="utf-8")
    return World(db, config, *ids)
