"""Exactly-once under overlap: two runs in two processes send the same outbox to a slow robot at the same
time, with a lease shorter than one message takes; every part is posted once (posts == parts)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from duban.notify import message_parts
from duban.services.notifications import plan_messages
from duban.storage.db import unit_of_work
from duban.storage.models import NotificationAttempt, OutboxMessage
from tests.notify.conftest import Robot, at_local, notify_config
from tests.services.workflow_scenario import build

SENDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from duban.config import load_settings
    from duban.notify import load_notify_config
    from duban.services.notifications import send_due
    from duban.storage.db import make_engine, session_factory

    config = load_notify_config(load_settings(Path(sys.argv[2])))
    engine = make_engine(sys.argv[1])
    outcomes = send_due(session_factory(engine), config=config)
    print(len(outcomes))
    """
)


def _routes(robot: Robot) -> list[dict[str, object]]:
    return [
        {
            "name": "部门企业微信群",
            "url": f"wecombot://OVERLAP?base={robot.base}",
            "tags": ["minzheng", "fulian"],
            "max_bytes": 100,
            "per_minute": 10_000,
        }
    ]


def test_two_overlapping_slow_runs_post_every_part_once(
    session: Session, factory: sessionmaker[Session], db_url: str, robot: Robot, tmp_path: Path
) -> None:
    build(session)
    config = notify_config(_routes(robot), lease_seconds=1)
    with unit_of_work(factory) as s:
        plan_messages(s, config=config, as_of=at_local("2026-02-02").date(), now=at_local("2026-02-02", 9))
        # due now, whatever today's real date is (the two runs use the real clock)
        s.execute(update(OutboxMessage).values(next_attempt_at=None))
    with unit_of_work(factory) as s:
        messages = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        route = config.routes[0]
        parts = sum(len(message_parts(route, m.subject, m.body)) for m in messages)
        longest = max(len(message_parts(route, m.subject, m.body)) for m in messages)
    robot.delay = 0.5
    # one message takes longer than the lease (1 s): a lease counted from the claim alone would run out
    # and the second run would take the message over and post its parts again
    assert longest * robot.delay > 1.5 and len(messages) >= 2

    cfg = tmp_path / "overlap.toml"
    cfg.write_text(
        "[notify]\nlease_seconds = 1\n"
        "[[notify.routes]]\n"
        'name = "部门企业微信群"\n'
        f'url = "wecombot://OVERLAP?base={robot.base}"\n'
        'tags = ["minzheng", "fulian"]\nmax_bytes = 100\nper_minute = 10000\n',
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    args = [sys.executable, "-c", SENDER, db_url, str(cfg)]
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while (
        not robot.requests and first.poll() is None and time.monotonic() < deadline
    ):  # the first run is sending
        time.sleep(0.05)
    if not robot.requests:
        first.kill()
        raise AssertionError(f"the first run never posted: {first.communicate()}")
    second = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    # the two runs overlapped: each of them sent something
    assert int(out1) >= 1 and int(out2) >= 1, (out1, out2)

    posted = Counter(r["json"]["text"]["content"] for r in robot.requests)
    assert len(robot.requests) == parts, "posts == parts: no part was sent twice, none was lost"
    assert set(posted.values()) == {1}
    with unit_of_work(factory) as s:
        assert {m.state for m in s.scalars(select(OutboxMessage))} == {"sent"}
        attempts = list(s.scalars(select(NotificationAttempt)))
        assert len(attempts) == parts and all(a.ok for a in attempts)
        # attempt times come from the clock at each attempt, not from the run's start
        stamps = sorted(a.at for a in attempts)
        assert (stamps[-1] - stamps[0]).total_seconds() >= robot.delay * (parts // 2 - 1)
