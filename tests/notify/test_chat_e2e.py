"""End to end to a chat robot on 127.0.0.1 that answers like DingTalk / WeCom / Feishu: refusals inside a 200."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from duban.domain.schedule import milestone_key
from duban.notify import parse_route
from duban.notify.chat import post_chat
from duban.notify.split import utf8_len
from duban.services.notification_results import OutboxEntry
from duban.services.notifications import notification_log, run_notifications
from duban.storage.db import unit_of_work
from duban.storage.models import Milestone, NotificationAttempt, OutboxMessage
from tests.notify.conftest import Robot, at_local, notify_config
from tests.services.workflow_scenario import build

COORD_ROUTE = {"name": "协调人", "url": "capture://coord", "tags": ["coordinator"]}


def _log(factory: sessionmaker[Session], failed: bool = False) -> list[OutboxEntry]:
    with unit_of_work(factory) as s:
        return notification_log(s, failed=failed)


def test_rate_limited_200_is_retried_later_and_delivered_once(
    session: Session, factory: sessionmaker[Session], robot: Robot, captured: list
) -> None:
    build(session)
    config = notify_config(
        [
            {
                "name": "民政厅企业微信群",
                "url": f"wecombot://MZKEY123?base={robot.base}",
                "tags": ["minzheng"],
            },
            COORD_ROUTE,
        ],
        in_run_retries=0,  # the retry across runs (backoff); in-run retries: tests/notify/test_pacing.py
    )
    robot.script = [(200, {"errcode": 45009, "errmsg": "api freq out of limit"})]
    first = run_notifications(factory, config=config, now=at_local("2026-02-02", 9))
    assert [(s.receiver, s.state) for s in first.sent] == [("minzheng@530000", "pending")]
    attempt = first.sent[0].attempts[0]
    assert attempt.ok is False and attempt.permanent is False and "45009" in (attempt.detail or "")
    assert "MZKEY123" not in attempt.url  # the key is hidden
    assert robot.requests[0]["path"] == "/cgi-bin/webhook/send?key=MZKEY123"
    assert robot.requests[0]["json"]["msgtype"] == "text"
    assert [r.state for r in _log(factory, failed=True)] == ["pending"]

    # five minutes later the backoff (10 min) has not run out: nothing is sent
    assert run_notifications(factory, config=config, now=at_local("2026-02-02", 9, 5)).sent == ()
    assert len(robot.requests) == 1
    # half an hour later: delivered, once
    later = run_notifications(factory, config=config, now=at_local("2026-02-02", 9, 30))
    assert [(s.receiver, s.state) for s in later.sent] == [("minzheng@530000", "sent")]
    assert run_notifications(factory, config=config, now=at_local("2026-02-02", 11)).sent == ()
    assert len(robot.requests) == 2
    assert robot.requests[0]["json"] == robot.requests[1]["json"]
    assert "云南省民政厅" in robot.requests[1]["json"]["text"]["content"]
    assert captured == []  # a retryable failure does not bother the coordinator
    assert _log(factory, failed=True) == []


def test_permanent_refusal_is_not_retried_and_reaches_the_coordinator(
    session: Session, factory: sessionmaker[Session], robot: Robot, captured: list
) -> None:
    build(session)
    config = notify_config(
        [
            {
                "name": "民政厅钉钉群",
                "url": f"dingtalk://SECabc@TOKEN42/?base={robot.base}",
                "tags": ["minzheng"],
            },
            COORD_ROUTE,
        ]
    )
    robot.default = (
        200,
        {"errcode": 310000, "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/]"},
    )
    report = run_notifications(factory, config=config, now=at_local("2026-02-02", 9))
    assert [(s.receiver, s.state) for s in report.sent] == [
        ("minzheng@530000", "failed"),
        ("coordinator", "sent"),
    ]
    # the request was signed the way DingTalk checks it
    query = parse_qs(urlsplit(robot.requests[0]["path"]).query)
    assert query["access_token"] == ["TOKEN42"]
    stamp = query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(b"SECabc", f"{stamp}\nSECabc".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]

    assert len(captured) == 1
    notice = captured[0]
    assert notice["title"].startswith("【督办·投递失败】") and "minzheng@530000" in notice["title"]
    assert "310000" in notice["body"] and "duban notify log --failed" in notice["body"]
    assert "SECabc" not in notice["body"] and "TOKEN42" not in notice["body"]

    # later runs never retry it
    run_notifications(factory, config=config, now=at_local("2026-02-03", 9))
    assert len(robot.requests) == 1
    failed = _log(factory, failed=True)
    assert [(r.receiver, r.state) for r in failed] == [("minzheng@530000", "failed")]
    assert failed[0].deliveries[0].permanent is True


def test_wecom_digest_split_by_2048_utf8_bytes(
    session: Session, factory: sessionmaker[Session], robot: Robot
) -> None:
    s = build(session)
    for n in range(1, 31):  # thirty overdue monthly milestones make a digest far beyond 2048 bytes
        due = dt.date(2025, 12, 1) + dt.timedelta(days=n)
        session.add(
            Milestone(
                key=milestone_key(s.t1.id, s.r_mz.id, f"2025-{n:02d}旬"),
                task_id=s.t1.id,
                responsibility_id=s.r_mz.id,
                period=f"2025-{n:02d}旬",
                due_date=due,
                effective_due_date=due,
            )
        )
    session.commit()
    config = notify_config([{"url": f"wecombot://K?base={robot.base}", "tags": ["minzheng"]}])
    # the second part is refused with a rate limit: the rest of the message waits, in order
    robot.script = [(200, {"errcode": 0, "errmsg": "ok"}), (200, {"errcode": 45009, "errmsg": "freq"})]
    run_notifications(factory, config=config, now=at_local("2026-02-02", 9))
    run_notifications(factory, config=config, now=at_local("2026-02-02", 10))
    run_notifications(factory, config=config, now=at_local("2026-02-02", 11))

    contents = [r["json"]["text"]["content"] for r in robot.requests]
    delivered = [c for c, r in zip(contents, robot.requests, strict=True) if r["answer"]["errcode"] == 0]
    n = len(delivered)
    assert n >= 3
    assert len(contents) == n + 1 and contents[1] == contents[2]  # only part 2 was sent twice
    for i, text in enumerate(delivered, start=1):
        assert utf8_len(text) <= 2048
        assert (
            text.startswith("【督办·红】云南省民政厅：逾期 31 项")
            and f"（{i}/{n}）\n" in text.split("\n", 1)[0] + "\n"
        )
    joined = "\n".join(t.split("\n", 1)[1] for t in delivered)
    for k in range(1, 31):
        assert f"2025-{k:02d}旬期" in joined
    assert "—— duban 督办系统自动发送" in delivered[-1]
    with unit_of_work(factory) as check:
        msg = check.scalar(select(OutboxMessage))
        assert msg.state == "sent"
        oks = check.execute(
            select(NotificationAttempt.route_key, NotificationAttempt.part, NotificationAttempt.parts).where(
                NotificationAttempt.ok.is_(True)
            )
        ).all()
    assert len(oks) == n == len(set(oks))
    assert sorted(part for _route, part, _parts in oks) == list(range(1, n + 1))
    assert {parts for _route, _part, parts in oks} == {n}


def test_robot_answers_are_classified(robot: Robot) -> None:
    wecom = parse_route({"url": f"wecombot://K?base={robot.base}", "tags": ["x"]}, 1)
    feishu = parse_route({"url": f"feishu://HOOK?base={robot.base}&secret=s3", "tags": ["x"]}, 2)
    cases = [
        (wecom, (200, {"errcode": 0, "errmsg": "ok"}), (True, False)),
        (wecom, (200, {"errcode": 93000, "errmsg": "invalid webhook url"}), (False, True)),
        (wecom, (200, {"errcode": -1, "errmsg": "system busy"}), (False, False)),
        (wecom, (503, {"error": "unavailable"}), (False, False)),
        (wecom, (429, {"error": "slow down"}), (False, False)),
        (wecom, (404, {"error": "no such hook"}), (False, True)),
        (feishu, (200, {"StatusCode": 0, "StatusMessage": "success"}), (True, False)),
        (feishu, (200, {"code": 0, "msg": "success"}), (True, False)),
        (
            feishu,
            (200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}),
            (False, True),
        ),
        (feishu, (200, {"code": 19024, "msg": "Key Words Not Found"}), (False, True)),
        (feishu, (200, {"code": 11232, "msg": "frequency limited"}), (False, False)),
    ]
    robot.script = [answer for _route, answer, _verdict in cases]
    for route, answer, verdict in cases:
        result = post_chat(route, "测试：督办提醒", timeout=5)
        assert (result.ok, result.permanent) == verdict, (answer, result)
    feishu_request = robot.requests[6]
    assert feishu_request["path"] == "/open-apis/bot/v2/hook/HOOK"
    assert feishu_request["json"]["msg_type"] == "text" and "sign" in feishu_request["json"]


def test_a_closed_port_is_retryable() -> None:
    from tests.notify.conftest import free_port

    route = parse_route({"url": f"wecombot://K?base=http://127.0.0.1:{free_port()}", "tags": ["x"]}, 1)
    result = post_chat(route, "测试", timeout=2)
    assert (result.ok, result.permanent) == (False, False) and "网络错误" in result.detail
