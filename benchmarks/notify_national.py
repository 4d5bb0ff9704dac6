"""duban notify on the national database: digests per second for planning and for sending to a loopback
sink, and the time of one full national run against the 15-minute lease.

    python benchmarks/notify_national.py [--db /work/national.db] [--as-of 2026-01-15] [--sample 300]

The national database is only read: it is copied to a temporary folder (or ``--work``), the copy is upgraded
to the current schema, and everything is written there. Sending goes to a chat robot on 127.0.0.1 that
answers ``{"errcode": 0}`` at once (a WeCom-shaped route with pacing switched off, so the numbers are duban's
own cost); a sample of ``--sample`` messages is sent and the full run is extrapolated from it. Prints
ratios and times; asserts nothing (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class _Sink(BaseHTTPRequestHandler):
    posts = 0
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with _Sink.lock:
            _Sink.posts += 1
        data = b'{"errcode": 0, "errmsg": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="/work/national.db", help="the national SQLite database (only read)")
    parser.add_argument("--work", default=None, help="folder for the copy (default: a temporary folder)")
    parser.add_argument(
        "--as-of",
        default="2026-01-15",
        help="the run day (a working day with rules firing: on 2026-01-15 the milestones due 2026-01-08 reach escalation; a later day is tried if nothing fires)",
    )
    parser.add_argument("--sample", type=int, default=300, help="how many messages to send to the sink")
    args = parser.parse_args()

    from duban.config import Settings, shipped_defaults
    from duban.notify import load_notify_config
    from duban.services.notifications import SENDING_LEASE, plan_messages, send_due
    from duban.storage.db import make_engine, read_only_session, session_factory, unit_of_work
    from duban.storage.migrate import upgrade
    from duban.storage.models import OutboxMessage

    source = Path(args.db)
    if not source.exists():
        print(f"no database at {source} (build it with: duban demo --scale national)", file=sys.stderr)
        return 2
    work = Path(args.work or tempfile.mkdtemp(prefix="duban-notify-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    copy = work / "national-copy.db"
    t = time.perf_counter()
    shutil.copyfile(source, copy)
    copy_s = time.perf_counter() - t
    engine = make_engine(f"sqlite:///{copy}")
    t = time.perf_counter()
    upgrade(engine)
    upgrade_s = time.perf_counter() - t

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    data = shipped_defaults()
    data["notify"] = {
        **data["notify"],
        "in_run_retries": 0,
        "routes": [
            {
                "name": "回环机器人",
                "url": f"wecombot://BENCH?base={base}",
                "tags": ["default", "coordinator"],
                "per_minute": 100_000_000,
            }
        ],
    }
    config = load_notify_config(Settings(data))
    as_of = dt.date.fromisoformat(args.as_of)
    now = dt.datetime.combine(as_of, dt.time(9, 0), dt.timezone(dt.timedelta(hours=8))).astimezone(dt.UTC)
    factory = session_factory(engine)

    # 1. planning in memory (what --dry-run does: a read-only transaction); the first day something fires
    for _day in range(10):
        now = dt.datetime.combine(as_of, dt.time(9, 0), dt.timezone(dt.timedelta(hours=8))).astimezone(dt.UTC)
        t = time.perf_counter()
        with read_only_session(engine) as session:
            dry = plan_messages(session, config=config, as_of=as_of, now=now, record_run=False, write=False)
        dry_s = time.perf_counter() - t
        if dry.planned:
            break
        print(f"  nothing fires on {as_of} ({dry_s:.1f} s); trying the next day", flush=True)
        as_of += dt.timedelta(days=1)
    # 2. planning for real (one transaction writing the outbox)
    t = time.perf_counter()
    with unit_of_work(factory) as session:
        real = plan_messages(session, config=config, as_of=as_of, now=now)
    plan_s = time.perf_counter() - t
    planned = len(real.planned)
    digests = sum(1 for p in real.planned if p.key.startswith("digest|"))
    if not planned:
        print(f"nothing planned on {as_of}: choose a working day with due or overdue milestones (--as-of)")
        return 1

    # 3. sending a sample to the loopback sink (pacing off: duban's own cost per message and part)
    with unit_of_work(factory) as session:
        from sqlalchemy import select, update

        ids = list(session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id).limit(args.sample)))
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(next_attempt_at=None))
    posts_before = _Sink.posts
    t = time.perf_counter()
    outcomes = send_due(factory, config=config, only=ids)
    send_s = time.perf_counter() - t
    posts = _Sink.posts - posts_before
    sent = sum(1 for o in outcomes if o.state == "sent")
    server.shutdown()

    per_message = send_s / max(len(ids), 1)
    parts_per_message = posts / max(len(ids), 1)
    full_send_s = per_message * planned
    full_run_s = plan_s + full_send_s
    lease_s = SENDING_LEASE.total_seconds()
    paced_one_robot_s = parts_per_message * planned / 20 * 60  # every part through one 20/min robot
    rows = [
        ("copy of the national DB (s)", f"{copy_s:.1f}"),
        ("upgrade of the copy to head (s)", f"{upgrade_s:.1f}"),
        ("messages planned (digests)", f"{planned} ({digests})"),
        ("plan, dry run: read-only (s)", f"{dry_s:.2f}"),
        ("plan, dry run: messages/s", f"{len(dry.planned) / dry_s:.0f}"),
        ("plan, writing the outbox (s)", f"{plan_s:.2f}"),
        ("plan, writing: messages/s", f"{planned / plan_s:.0f}"),
        ("send sample: messages / parts", f"{len(ids)} / {posts} (sent {sent})"),
        ("send to loopback: messages/s", f"{len(ids) / send_s:.1f}"),
        ("send to loopback: parts/s", f"{posts / send_s:.1f}"),
        ("full national run, estimated (s)", f"{full_run_s:.0f}"),
        ("full run / 15-minute lease", f"{full_run_s / lease_s:.2f}"),
        ("paced at 20/min through ONE robot (h)", f"{paced_one_robot_s / 3600:.1f}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"duban notify, national database {source} as of {as_of}")
    for k, v in rows:
        print(f"  {k.ljust(width)}  {v}")
    print(
        "  (the lease is renewed before every part, so a run longer than the lease is safe; pacing applies per"
        " robot: departments with robots of their own drain in parallel)"
    )
    out = work / "notify_national.json"
    out.write_text(json.dumps(dict(rows), ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"  results: {out}")
    if not args.work:
        copy.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
