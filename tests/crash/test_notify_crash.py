"""``duban notify`` killed between a part's claim and its mark, and between two parts: the reruns deliver every
part, at most one of them twice, say so (可能重复发送), and never resend a part recorded as delivered."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from duban.storage.models import NotificationAttempt, OutboxMessage
from tests.crash.conftest import Duban, write_config
from tests.notify.conftest import Robot
from tests.services.workflow_scenario import Scenario

# Mon 2026-02-02: milestone m1 of 民政 (due Fri 01-30) is overdue: one digest for minzheng@530000
DAY = "2026-02-02"


def notify_at(duban: Duban, minute: int, crash_at: str | None = None):  # noqa: ANN201 - Ran
    args = ("notify", "--now", f"{DAY}T09:{minute:02d}+08:00")
    return duban.crash(crash_at, *args) if crash_at else duban.ok(*args)


def test_killed_notify_runs_resend_only_unconfirmed_parts(
    world: tuple[Duban, Scenario], robot: Robot, tmp_path: Path
) -> None:
    duban, _scenario = world
    # a WeCom robot on 127.0.0.1 taking at most 200 bytes a message: the digest goes out in several parts
    write_config(
        duban.config,
        "[[notify.routes]]\n"
        'name = "民政厅企业微信群"\n'
        f'url = "wecombot://MZKEY?base={robot.base}"\n'
        'tags = ["minzheng"]\n'
        "max_bytes = 200\n",
    )

    # 省妇联 has no route here: silenced, so the runs exit 0 (an unrouted receiver is a warning and exit 11)
    duban.ok(
        "notify",
        "silence",
        "add",
        "--department",
        "fulian",
        "--until",
        "2026-12-31",
        "--reason",
        "本测试只看民政厅的消息",
        "--now",
        f"{DAY}T08:00+08:00",
    )

    def parts() -> Counter[str]:
        return Counter(r["json"]["text"]["content"] for r in robot.requests)

    # 1. killed after the first part was sent, before its result was recorded (the lease is 15 minutes)
    notify_at(duban, 0, "notify.after_send")
    assert len(robot.requests) == 1
    # 2. the next run sends part 1 again (it cannot know), records it, and is killed before part 2
    ran = notify_at(duban, 20, "notify.between_parts")
    assert len(robot.requests) == 2 and len(parts()) == 1  # the same part twice: the one duplicate
    # 3. killed after claiming part 2, before sending it
    notify_at(duban, 40, "notify.after_claim")
    assert len(robot.requests) == 2
    # 4. a clean run: part 2 (claimed, never sent) and the rest, once each; it says what may be duplicated
    ran = notify_at(duban, 59)
    assert "可能重复发送" in ran.out
    counts = parts()
    assert len(counts) >= 3, "the digest was split into several parts"
    assert sorted(counts.values()) == [1] * (len(counts) - 1) + [2]  # every part arrived, one of them twice
    assert sum(counts.values()) == len(robot.requests) == len(counts) + 1
    # 5. nothing left to send; one outbox message, its log names the possible duplicate
    again = notify_at(duban, 59)
    assert len(robot.requests) == len(counts) + 1 and "发送 #" not in again.out
    assert duban.count(OutboxMessage) == 1
    assert duban.count(NotificationAttempt) == len(counts) + 2  # one row per part, plus the two unconfirmed
    log = duban.ok("notify", "log")
    assert "（可能重复发送）" in log.out and "已发送" in log.out
    assert sum("结果未知" in line for line in log.out.splitlines()) == 2 and "发送中" not in log.out
    duban.audit_valid()
