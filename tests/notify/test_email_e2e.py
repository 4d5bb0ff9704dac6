"""End to end through apprise's mailto:// to a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import email
from email import policy

from sqlalchemy.orm import Session, sessionmaker

from duban.services.notifications import notification_log, run_notifications
from duban.storage.db import unit_of_work
from tests.notify.conftest import SmtpSink, at_local, notify_config
from tests.services.workflow_scenario import build


def test_a_chinese_digest_arrives_by_email(
    session: Session, factory: sessionmaker[Session], smtp_server: SmtpSink
) -> None:
    build(session)
    config = notify_config(
        [
            {
                "name": "省民政厅邮箱",
                "url": f"mailto://127.0.0.1:{smtp_server.port}?from=duban@dbb.yn.gov.cn&to=mz@mz.yn.gov.cn",
                "tags": ["minzheng", "jur-530000"],
            },
        ]
    )
    # Mon 2026-02-02: m1 (due Fri 01-30) is 1 working day overdue
    report = run_notifications(factory, config=config, now=at_local("2026-02-02", 9))
    assert [(s.receiver, s.state) for s in report.sent] == [("minzheng@530000", "sent")]
    assert report.unrouted == ("fulian@530000",)  # no route for 妇联: reported, nothing written

    assert len(smtp_server.messages) == 1
    message = email.message_from_bytes(smtp_server.messages[0], policy=policy.default)
    raw_headers = smtp_server.messages[0].split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in raw_headers.lower()  # the subject is RFC 2047 encoded, not raw UTF-8
    assert message["Subject"] == "【督办·黄】云南省民政厅：逾期 1 项（2026-02-02）"
    assert message["To"] == "mz@mz.yn.gov.cn"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "云民发〔2020〕8号《关于加强农村留守妇女关爱服务工作的实施意见》" in body
    assert "任务三（牵头）：充分发挥基层劳动就业和社会保障服务平台作用。" in body
    assert "[黄] 2026-01期 应于 2026-01-30 报送，已逾期 1 个工作日" in body
    assert "duban report submit 1 --milestone 1" in body

    # a second run the same day sends nothing; the log shows the delivery with the URL (no secrets here)
    again = run_notifications(factory, config=config, now=at_local("2026-02-02", 10))
    assert again.planned == () and again.sent == ()
    assert len(smtp_server.messages) == 1
    with unit_of_work(factory) as s:
        log = notification_log(s)
    assert log[0].state == "sent"
    assert log[0].deliveries[0].ok is True
    assert log[0].deliveries[0].url.startswith(f"mailto://127.0.0.1:{smtp_server.port}")
