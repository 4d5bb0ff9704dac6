"""Pacing per route: a burst drains in one run without tripping a robot that refuses more than N posts a
minute (like DingTalk / WeCom: 20 a minute), and a rate-limited part is retried in the same run. A fake
clock: the waits move its time, nothing sleeps."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from duban.notify import message_parts
from duban.notify.pacing import Pacer
from duban.notify.routes import DEFAULT_RATES
from duban.services.notifications import plan_messages, send_due
from duban.storage.db import unit_of_work
from duban.storage.models import NotificationAttempt, OutboxMessage
from tests.notify.conftest import Robot, at_local, notify_config
from tests.services.workflow_scenario import build


class FakeClock:
    """Time that moves only when the run waits."""

    def __init__(self, start: dt.datetime) -> None:
        self._t = start
        self._lock = threading.Lock()
        self.slept = 0.0

    def now(self) -> dt.datetime:
        with self._lock:
            return self._t

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._t += dt.timedelta(seconds=seconds)
            self.slept += seconds

    def seconds(self) -> float:
        return self.now().timestamp()


def _burst(session: Session, factory: sessionmaker[Session], robot: Robot, **route: object) -> tuple:
    build(session)
    routes = [
        {
            "name": "部门钉钉群",
            "url": f"dingtalk://TOKEN?base={robot.base}",
            "tags": ["minzheng", "fulian"],
            "max_bytes": 120,
            **route,
        }
    ]
    config = notify_config(routes, in_run_retries=3)
    now = at_local("2026-02-02", 9)
    with unit_of_work(factory) as s:
        plan_messages(s, config=config, as_of=dt.date(2026, 2, 2), now=now)
        parts = sum(
            len(message_parts(config.routes[0], m.subject, m.body)) for m in s.scalars(select(OutboxMessage))
        )
    clock = FakeClock(now)
    robot.clock = clock.seconds
    return config, clock, parts


def test_a_paced_burst_is_delivered_in_one_run_and_never_refused(
    session: Session, factory: sessionmaker[Session], robot: Robot
) -> None:
    robot.limit, robot.window = 5, 60.0  # the robot refuses a 6th post within a minute
    robot.default = (200, {"errcode": 0, "errmsg": "ok"})
    config, clock, parts = _burst(session, factory, robot, per_minute=5)
    assert parts > 10  # a burst: more than two minutes' worth
    pacer = Pacer(clock)
    outcomes = send_due(factory, config=config, clock=clock, pacer=pacer)
    assert {o.state for o in outcomes} == {"sent"}
    assert robot.refused == 0 and len(robot.requests) == parts
    # it waited for the windows, in fake time: at least a minute per five posts after the first five
    assert clock.slept >= 60 * ((parts - 1) // 5) - 1
    with unit_of_work(factory) as s:
        stamps = sorted(a.at for a in s.scalars(select(NotificationAttempt)))
    # never more than 5 attempts inside any 60 s window
    for i in range(len(stamps) - 5):
        assert (stamps[i + 5] - stamps[i]).total_seconds() >= 60


def test_a_rate_limited_part_is_retried_in_the_same_run(
    session: Session, factory: sessionmaker[Session], robot: Robot
) -> None:
    # the route is configured faster than the robot allows: refusals come back as 130101 (send too fast)
    robot.limit, robot.window = 4, 60.0
    robot.refusal = {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
    config, clock, parts = _burst(session, factory, robot, per_minute=1000)
    outcomes = send_due(factory, config=config, clock=clock)
    assert {o.state for o in outcomes} == {"sent"}, "all delivered in this one run"
    assert robot.refused > 0
    assert len(robot.requests) == parts + robot.refused
    with unit_of_work(factory) as s:
        attempts = list(s.scalars(select(NotificationAttempt)))
    assert sum(a.ok for a in attempts) == parts
    assert all("130101" in (a.detail or "") for a in attempts if not a.ok)


def test_vendor_rate_limits_are_the_defaults() -> None:
    config = notify_config(
        [
            {"url": "dingtalk://T", "tags": ["a"]},
            {"url": "wecombot://K", "tags": ["a"]},
            {"url": "feishu://H", "tags": ["a"]},
            {"url": "wecombot://K2", "tags": ["a"], "per_minute": 6},
        ]
    )
    ding, wecom, feishu, slow = config.routes
    assert (ding.per_minute, ding.per_second) == DEFAULT_RATES["dingtalk"] == (20, None)
    assert (wecom.per_minute, wecom.per_second) == (20, None)
    assert (feishu.per_minute, feishu.per_second) == (100, 5)
    assert slow.per_minute == 6
