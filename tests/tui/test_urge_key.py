"""催办 from the dashboard (issue 19 item 6): ``u`` on a task's detail and on the department screen queues and
sends a 催办 through the same service as ``duban remind``, recorded and deduplicated per day."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from duban.config import Settings, shipped_defaults
from duban.services.names import name_book
from duban.storage.models import AuditEvent, OutboxMessage
from duban.tui.screens.department import DepartmentScreen
from tests.tui.helpers import open_task_and_press, settle, shows, sync
from tests.tui.world import COORD, MZ

SIZE = (150, 45)


def _settings(folder: Path) -> Settings:
    data = shipped_defaults()
    data["notify"] = {
        **data["notify"],
        "routes": [
            {"name": "民政厅", "url": f"file://{folder}", "tags": ["minzheng"]},
            {"name": "妇联", "url": f"file://{folder}", "tags": ["fulian"]},
        ],
    }
    return Settings(data)


@sync
async def test_u_urges_the_task_then_the_department_once_a_day(
    make_app, world, sessions, tmp_path: Path
) -> None:
    folder = tmp_path / "通知"
    folder.mkdir()
    app = make_app(COORD, settings=_settings(folder))
    async with app.run_test(size=SIZE) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, "u")
        await settle(pilot, rounds=8)
        assert await shows(pilot, "已催办 任务")
        await pilot.press("u")  # the same day again: nothing new
        await settle(pilot, rounds=8)
        assert await shows(pilot, "今天已催办过")
        await pilot.press("escape")
        await app.switch_mode("department")
        await settle(pilot)
        assert isinstance(app.screen, DepartmentScreen)
        app.screen.set_agency("minzheng")
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot, rounds=8)
        with sessions() as s:
            name = name_book(s).agency("minzheng")
        assert name != "minzheng" and await shows(pilot, f"已催办 部门 {name}")  # the name, never the key
    with sessions() as s:
        reminders = [
            (m.receiver, m.idempotency_key.rsplit("|", 1)[1])
            for m in s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "remind"))
        ]
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "notify.remind")))
    assert ("minzheng@530000", f"task-{world.mz_task}") in reminders
    assert ("minzheng@530000", "agency-minzheng") in reminders
    assert len(events) == 2 and all(e.actor == COORD.name for e in events)
    assert len(list(folder.iterdir())) == len(reminders)  # each was sent


@sync
async def test_a_department_user_may_not_urge(make_app, world, tmp_path: Path) -> None:
    app = make_app(MZ, settings=_settings(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, "u")
        await settle(pilot, rounds=8)
        assert await shows(pilot, "只有协调人")
