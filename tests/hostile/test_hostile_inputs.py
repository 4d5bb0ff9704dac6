"""The hostile-input corpus (issue 16): every input a careless user or a hostile department could give, run
through the real CLI. For each: the documented exit code, no traceback, a Chinese message naming the thing, and
every table's rows unchanged (a hash per table before and after). One seeded SQLite file is copied per case; a
representative subset also runs on PostgreSQL, each case in a database cloned from one seeded template.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from duban.cli.main import cli
from tests.hostile.conftest import Seed, copy_postgres, copy_sqlite, snapshot

pytestmark = pytest.mark.departments

ESC = "\x1b"
RLO = "\u202e"
BAD_UTF8 = "\udcff"  # how an undecodable argv byte arrives in Python (PEP 383)
HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Case:
    """``args`` after ``--db COPY --config CONFIG`` (unless ``own_db`` / ``own_config``); ``{name}`` is
    replaced by the seed's ids, ``{tmp}`` by the case's folder, ``{db}`` by the copy's path."""

    id: str
    args: tuple[str, ...]
    code: int
    needles: tuple[str, ...] = ()
    prep: str | None = None
    own_db: bool = False
    own_config: bool = False
    env: dict[str, str] = field(default_factory=dict)
    postgres: bool = False  #: also run on PostgreSQL


def case(
    id: str, args: str | tuple[str, ...], code: int, *needles: str, pg: bool = False, **kw: object
) -> Case:
    argv = tuple(args.split()) if isinstance(args, str) else args
    return Case(id, argv, code, needles, postgres=pg, **kw)  # type: ignore[arg-type]


MISSING = "{tmp}/nosuch/sub/duban.db"
READ_COMMANDS = (
    "status",
    "overdue",
    "policies",
    "tasks",
    "report list",
    "inbox",
    "findings",
    "audit verify",
    "audit log",
    "user list",
    "agencies",
    "jurisdictions",
    "milestones",
    "schedule list",
    "template list",
    "notify --dry-run",
    "notify log",
    "assess --period 2026",
    "db current",
    "calendar 2026-01",
    "alias list",
    "map list 1",
)

CASES: list[Case] = [
    # -- a database that is missing, not a database, unreachable or newer: exit 6, nothing created ----------
    *(
        case(
            f"missing-db-{cmd.replace(' ', '-')}",
            ("--db", MISSING, *cmd.split()),
            6,
            "数据库不存在",
            "nosuch",
        )
        for cmd in READ_COMMANDS
    ),
    case("missing-db-ack", ("--db", MISSING, "ack", "1"), 6, "数据库不存在"),
    case("missing-db-submit", ("--db", MISSING, "report", "submit", "1", "--text", "x"), 6, "数据库不存在"),
    case("missing-db-review", ("--db", MISSING, "review", "accept", "1"), 6, "数据库不存在"),
    case("missing-db-user-add", ("--db", MISSING, "user", "add", "x", "--role", "viewer"), 6, "数据库不存在"),
    case("missing-db-same-folder", ("--db", "{tmp}/missing.db", "status"), 6, "数据库不存在", "missing.db"),
    case("missing-db-url", ("--db", "sqlite:///{tmp}/nosuch/x.db", "status"), 6, "数据库不存在"),
    case("text-db-status", ("--db", "{tmp}/text.db", "status"), 6, "text.db", prep="text_db"),
    case("text-db-upgrade", ("--db", "{tmp}/text.db", "db", "upgrade"), 6, "text.db", prep="text_db"),
    case("text-db-init", ("--db", "{tmp}/text.db", "init"), 6, "text.db", prep="text_db"),
    case("binary-db-status", ("--db", "{tmp}/text.db", "status"), 6, "text.db", prep="binary_db"),
    case("corrupt-db-status", ("--db", "{tmp}/corrupt.db", "status"), 6, "corrupt.db", prep="corrupt_db"),
    case(
        "corrupt-db-list", ("--db", "{tmp}/corrupt.db", "report", "list"), 6, "corrupt.db", prep="corrupt_db"
    ),
    case("truncated-db-status", ("--db", "{tmp}/cut.db", "status"), 6, "cut.db", prep="truncated_db"),
    case("truncated-db-submit", ("--db", "{tmp}/cut.db", "ack", "1"), 6, "cut.db", prep="truncated_db"),
    case("directory-db-status", ("--db", "{tmp}", "status"), 6, "文件夹"),
    case("directory-db-upgrade", ("--db", "{tmp}", "db", "upgrade"), 6, "文件夹"),
    case("empty-file-db", ("--db", "{tmp}/empty.db", "status"), 6, "db upgrade", prep="empty_db"),
    case("foreign-sqlite-db", ("--db", "{tmp}/other.db", "policies"), 6, "db upgrade", prep="foreign_db"),
    case("newer-schema-status", "status", 6, "更新", "9999_future", prep="future_db", pg=True),
    case("newer-schema-upgrade", "db upgrade", 6, "更新", "9999_future", prep="future_db", pg=True),
    case("newer-schema-init", "init", 6, "更新", prep="future_db"),
    case("newer-schema-submit", "report submit {r_mz} --text x", 6, "更新", prep="future_db"),
    case("scheme-mysql", ("--db", "mysql://u@localhost/duban", "status"), 6, "不支持的数据库类型", "mysql"),
    case("scheme-unknown", ("--db", "foo://bar/baz", "status"), 6, "不支持的数据库类型", "foo"),
    case("scheme-http", ("--db", "http://example.invalid/x", "policies"), 6, "不支持的数据库类型"),
    case("driver-unknown-pg", ("--db", "postgresql+nosuch://u@h/d", "status"), 6, "数据库地址无效"),
    case(
        "driver-unknown-sqlite", ("--db", "sqlite+nosuch:///{tmp}/x.db", "db", "upgrade"), 6, "数据库地址无效"
    ),
    case("url-garbage", ("--db", "://", "status"), 6, "数据库地址无效"),
    case(
        "pg-wrong-port", ("--db", "postgresql+psycopg://postgres@127.0.0.1:1/duban", "status"), 6, "127.0.0.1"
    ),
    case(
        "pg-unknown-host",
        ("--db", "postgresql+psycopg://postgres@nosuchhost.invalid/duban", "status"),
        6,
        "nosuchhost",
    ),
    case(
        "pg-missing-database",
        ("--db", "postgresql+psycopg://postgres@127.0.0.1:5432/duban_no_such_database", "report", "list"),
        6,
        "duban_no_such_database",
    ),
    case(
        "pg-missing-database-upgrade",
        ("--db", "postgresql+psycopg://postgres@127.0.0.1:5432/duban_no_such_database", "db", "upgrade"),
        6,
        "duban_no_such_database",
    ),
    case(
        "env-url-garbage",
        "status",
        6,
        "不支持的数据库类型",
        own_db=True,
        env={"DUBAN_DATABASE_URL": "nonsense://x"},
    ),
    case(
        "config-url-unwritable-read",
        "status",
        6,
        "数据库不存在",
        "/dev/null",
        own_db=True,
        prep="cfg_url_unwritable",
    ),
    case(
        "config-url-unwritable-upgrade", "db upgrade", 6, "/dev/null", own_db=True, prep="cfg_url_unwritable"
    ),
    case("config-url-under-file", "init", 6, "无法在", own_db=True, prep="cfg_url_under_file"),
    # -- configuration: exit 3 naming the file and the key --------------------------------------------------
    case("config-directory", ("--config", "{tmp}", "status"), 3, "文件夹", own_config=True),
    case("config-missing", ("--config", "{tmp}/nosuch.toml", "status"), 3, "配置文件不存在", own_config=True),
    case("config-invalid-utf8", "status", 3, "UTF-8", prep="cfg_bad_utf8"),
    case("config-binary", "status", 3, "UTF-8", prep="cfg_binary"),
    case("config-not-toml", "status", 3, "不是有效的 TOML", prep="cfg:[general\nx"),
    case("config-unknown-key", "status", 3, "未知的配置项 general.colour", prep="cfg:[general]\ncolour = 1"),
    case("config-wrong-type", "status", 3, "general.warning_days", prep='cfg:[general]\nwarning_days = "5"'),
    case(
        "config-timezone",
        "status",
        3,
        "Mars/Olympus",
        "时区",
        prep='cfg:[general]\ntimezone = "Mars/Olympus"',
        pg=True,
    ),
    case("config-timezone-empty", "overdue", 3, "时区", prep='cfg:[general]\ntimezone = ""'),
    case("config-timezone-path", "status", 3, "时区", prep='cfg:[general]\ntimezone = "../../etc/passwd"'),
    case(
        "config-warning-huge",
        "status",
        3,
        "general.warning_days",
        "超出范围",
        prep="cfg:[general]\nwarning_days = 1000000000",
        pg=True,
    ),
    case(
        "config-warning-negative",
        "status",
        3,
        "general.warning_days",
        prep="cfg:[general]\nwarning_days = -1",
    ),
    case(
        "config-warning-10e30",
        "status",
        3,
        "general.warning_days",
        prep="cfg:[general]\nwarning_days = 1000000000000000000000000000000",
    ),
    case("config-inbox-days", "inbox", 3, "inbox.days", prep="cfg:[inbox]\ndays = 99999"),
    case(
        "config-horizon",
        "milestones generate",
        3,
        "schedule.horizon_years",
        prep="cfg:[schedule]\nhorizon_years = 1000",
    ),
    case(
        "config-max-attempts",
        "notify --dry-run",
        3,
        "notify.max_attempts",
        prep="cfg:[notify]\nmax_attempts = 0",
    ),
    case("config-timeout-inf", "notify --dry-run", 3, "notify.timeout", prep="cfg:[notify]\ntimeout = inf"),
    case("config-timeout-nan", "notify --dry-run", 3, "notify.timeout", prep="cfg:[notify]\ntimeout = nan"),
    case(
        "config-quiet-start",
        "notify --dry-run",
        3,
        "notify.quiet_start",
        prep='cfg:[notify]\nquiet_start = "25:00"',
    ),
    case(
        "config-remind-days",
        "notify --dry-run",
        3,
        "notify.remind_days",
        prep="cfg:[notify]\nremind_days = [5, -1]",
    ),
    case(
        "config-route-max-bytes",
        "notify --dry-run",
        3,
        "max_bytes",
        prep='cfg:[[notify.routes]]\nurl = "json://x"\ntags = ["a"]\nmax_bytes = 0',
    ),
    case(
        "config-route-bool-bytes",
        "notify --dry-run",
        3,
        "max_bytes",
        prep='cfg:[[notify.routes]]\nurl = "json://x"\ntags = ["a"]\nmax_bytes = true',
    ),
    case(
        "config-jurisdiction", "status", 3, "general.jurisdiction", prep='cfg:[general]\njurisdiction = "abc"'
    ),
    case(
        "config-grade",
        "assess --period 2026",
        3,
        "scoring.grades.good",
        prep="cfg:[scoring.grades]\ngood = 1e9",
    ),
    case(
        "config-weight",
        "assess --period 2026",
        3,
        "scoring.default.base",
        prep="cfg:[scoring.default]\nbase = -5.0",
    ),
    case(
        "config-control-char",
        "status",
        3,
        "database.url",
        "控制字符",
        own_db=True,
        prep='cfg:[database]\nurl = "a\\u001bb"',
    ),
    case("config-url-huge", "status", 3, "database.url", "过长", own_db=True, prep="cfg_url_huge"),
    case("config-users-map-type", "status", 3, "users.map", prep="cfg_users_map"),
    case("config-env-directory", "status", 3, "文件夹", own_config=True, env={"DUBAN_CONFIG": "/"}),
    # -- ids beyond the tables' range, not numbers: usage errors (2) or not found (7) -----------------------
    case("id-review-3e9", "review accept 3000000000", 2, "超出范围", "2147483647", pg=True),
    case("id-review-huge", "review accept 99999999999999999999999", 2, "超出范围", pg=True),
    case("id-review-zero", "review accept 0", 2, "超出范围"),
    case("id-review-text", "review accept abc", 2, "不是编号"),
    case("id-review-negative", ("review", "accept", "--", "-5"), 2, "超出范围"),
    case("id-ack-2^31", "ack 2147483648", 2, "超出范围", pg=True),
    case("id-ack-max", "ack 2147483647", 7, "2147483647", pg=True),
    case("id-ack-fullwidth", "ack １２３", 7, "123"),
    case("id-submit", "report submit 3000000000 --text x", 2, "超出范围", pg=True),
    case("id-submit-milestone", "report submit {r_mz} --milestone 3000000000 --text x", 2, "超出范围"),
    case("id-extend-approve", "extend approve 3000000000", 2, "超出范围", pg=True),
    case("id-extend-refuse", "extend refuse 3000000000 --reason x", 2, "超出范围"),
    case(
        "id-extend-request",
        "extend request 3000000000 --to 2027-01-01 --reason x --progress y",
        2,
        "超出范围",
    ),
    case("id-withdraw", "milestones withdraw 3000000000 --reason x", 2, "超出范围"),
    case("id-template-task", "template list --task 3000000000", 2, "超出范围"),
    case("id-report-list", "report list --responsibility 3000000000", 2, "超出范围"),
    case("id-assess-show", "assess show 3000000000", 2, "超出范围"),
    case("id-findings-task", "findings --task 99999999999", 2, "超出范围"),
    case("id-audit-task", "audit log --task 99999999999", 2, "超出范围"),
    case("id-policy-digits", "tasks --policy 3000000000", 7, "3000000000", pg=True),
    case("id-status-policy", "status --policy 99999999999999999999", 7, "99999999999999999999", pg=True),
    case("id-review-missing", "review accept 999999", 7, "999999", pg=True),
    # -- dates outside 2000-01-01 … 2100-12-31, or not dates: exit 2 ---------------------------------------
    case("date-status-9999", "status --as-of 9999-12-31", 2, "9999-12-31", "2000-01-01", pg=True),
    case("date-status-0001", "status --as-of 0001-01-01", 2, "0001-01-01", pg=True),
    case("date-status-1999", "status --as-of 1999-12-31", 2, "超出范围"),
    case("date-status-2101", "status --as-of 2101-01-01", 2, "超出范围"),
    case("date-status-feb30", "status --as-of 2026-02-30", 2, "不是日期"),
    case("date-status-slash", "status --as-of 2026/01/01", 2, "不是日期"),
    case("date-status-word", "status --as-of tomorrow", 2, "不是日期"),
    case("date-overdue-9999", "overdue --as-of 9999-12-31", 2, "超出范围"),
    case("date-findings-9999", "findings --as-of 9999-12-31", 2, "超出范围"),
    case("date-notify-9999", "notify --dry-run --as-of 9999-12-31", 2, "超出范围"),
    case("date-report-list-0001", "report list --as-of 0001-01-01", 2, "超出范围"),
    case("date-inbox-9999", "inbox --as-of 9999-12-31", 2, "超出范围"),
    case("date-assess-9999", "assess --period 2026 --as-of 9999-12-31", 2, "超出范围"),
    case("date-generate-until", "milestones generate --until 9999-12-31", 2, "超出范围"),
    case(
        "date-extend-9999",
        "extend request {m6} --to 9999-12-31 --reason x --progress y",
        2,
        "超出范围",
        pg=True,
    ),
    case("date-extend-0001", "extend request {m6} --to 0001-01-01 --reason x --progress y", 2, "超出范围"),
    case("date-extend-month13", "extend request {m6} --to 2026-13-01 --reason x --progress y", 2, "不是日期"),
    case("date-calendar-9999", "calendar 9999-01", 2, "9999-01"),
    case("date-calendar-month", "calendar 2026-13", 2, "2026-13"),
    case(
        "date-indicator-0001",
        "report submit {r_mz} --milestone {m6} --indicator minzheng.ledger_total=5 --indicator minzheng.ledger_updated_on=0001-01-01",
        9,
        "台账更新日期",
        "超出范围",
        pg=True,
    ),
    case(
        "date-indicator-9999",
        "report submit {r_mz} --milestone {m6} --indicator minzheng.ledger_total=5 --indicator minzheng.ledger_updated_on=9999-12-31",
        9,
        "超出范围",
    ),
    case(
        "date-indicator-word",
        "report submit {r_mz} --milestone {m6} --indicator minzheng.ledger_total=5 --indicator minzheng.ledger_updated_on=昨天",
        9,
        "台账更新日期",
    ),
    # -- counts: 10^30, negative, not finite -----------------------------------------------------------
    case(
        "count-indicator-10e30",
        "report submit {r_mz} --milestone {m6} --indicator minzheng.ledger_total=1000000000000000000000000000000 --indicator minzheng.ledger_updated_on=2026-01-01",
        9,
        "台账人数",
        "超出范围",
        pg=True,
    ),
    case(
        "count-indicator-1e30",
        "report submit {r_mz} --milestone {m6} --indicator minzheng.ledger_total=1e30",
        9,
        "台账人数",
    ),
    case(
        "count-indicator-negative",
        "report submit {r_mz} --milestone {m6} --indicator minzheng.ledger_total=-5 --indicator minzheng.ledger_updated_on=2026-01-01",
        9,
        "台账人数",
    ),
    case(
        "count-indicator-text",
        "report submit {r_mz} --milestone {m6} --indicator minzheng.ledger_total=很多",
        9,
        "台账人数",
    ),
    case(
        "count-indicator-unknown",
        "report submit {r_mz} --milestone {m6} --indicator nosuch.key=1",
        9,
        "nosuch.key",
    ),
    case(
        "count-indicator-no-equals",
        "report submit {r_mz} --milestone {m6} --indicator novalue",
        2,
        "key=value",
    ),
    case("count-limit-huge", "report list --limit 1000000000000000000000000000000", 2, "超出范围"),
    case("count-limit-zero", "status --limit 0", 9, "--limit"),
    case("count-offset-negative", "policies --offset -1", 9, "--offset"),
    case("count-offset-huge", "overdue --offset 100000000000000000000000", 2, "超出范围"),
    case("count-offset-2^40", "overdue --offset 1099511627776", 0),
    case("count-inbox-days", "inbox --days 1000000000", 2, "超出范围"),
    case("count-inbox-days-negative", ("inbox", "--days", "-1"), 2, "超出范围"),
    case("count-dashboard-port", "dashboard --web --port 70000", 2, "超出范围"),
    case("count-demo-seed", ("demo", "--seed", "-1", "--db", "{tmp}/demo.db"), 2, "超出范围"),
    # -- text: control characters, terminal escapes, direction overrides, newlines, sizes --------------------
    case("text-escape", ("report", "submit", "{r_mz}", "--text", f"{ESC}[2J已通过"), 2, "控制字符", pg=True),
    case("text-nul", ("report", "submit", "{r_mz}", "--text", "a\x00b"), 2, "控制字符"),
    case("text-bell", ("report", "submit", "{r_mz}", "--text", "a\x07b"), 2, "控制字符"),
    case("text-c1-csi", ("report", "submit", "{r_mz}", "--text", "a\x9b31mb"), 2, "控制字符"),
    case("text-rlo", ("report", "submit", "{r_mz}", "--text", f"a{RLO}b"), 2, "方向控制符"),
    case("text-huge", ("report", "submit", "{r_mz}", "--text", "字" * 20_001), 2, "过长", "20000"),
    case(
        "reason-escape",
        ("review", "return", "{report}", "--reason", f"{ESC}]0;x{ESC}\\"),
        2,
        "控制字符",
        pg=True,
    ),
    case("reason-newline", ("review", "return", "{report}", "--reason", "第一行\n已通过"), 2, "控制字符"),
    case("reason-huge", ("review", "return", "{report}", "--reason", "x" * 2001), 2, "过长"),
    case("reason-extend", ("extend", "refuse", "{extension}", "--reason", f"x{ESC}[1A"), 2, "控制字符"),
    case(
        "progress-rlo",
        ("extend", "request", "{m6}", "--to", "2027-07-30", "--reason", "x", "--progress", f"{RLO}x"),
        2,
        "方向控制符",
    ),
    case("withdraw-reason-newline", ("milestones", "withdraw", "{m1}", "--reason", "a\nb"), 2, "控制字符"),
    case("as-newline", ("--as", "mz\ncoord", "status"), 2, "控制字符", pg=True),
    case("as-escape", ("--as", f"mz{ESC}[8m", "status"), 2, "控制字符"),
    case("as-huge", ("--as", "m" * 65, "status"), 2, "过长"),
    case("as-blank", ("--as", "  ", "status"), 2, "不能为空"),
    case("as-unknown", ("--as", "nosuchuser", "status"), 7, "nosuchuser"),
    case("user-newline", ("user", "add", "evil\ncoord  协调人", "--role", "viewer"), 2, "控制字符", pg=True),
    case("user-escape", ("user", "add", f"x{ESC}[31m", "--role", "viewer"), 2, "控制字符"),
    case("user-empty", ("user", "add", "", "--role", "viewer"), 2, "不能为空"),
    case("user-huge", ("user", "add", "u" * 200, "--role", "viewer"), 2, "过长"),
    case("user-rlo", ("user", "add", f"a{RLO}b", "--role", "viewer"), 2, "方向控制符"),
    case(
        "user-display-newline",
        ("user", "add", "ok", "--role", "viewer", "--display-name", "a\nb"),
        2,
        "控制字符",
    ),
    case("user-role-bad", ("user", "add", "ok", "--role", "god"), 2, "不是可选值", "coordinator"),
    case("user-remove-unknown", ("user", "remove", "nosuchuser"), 7, "nosuchuser"),
    case("alias-newline", ("alias", "add", "民政\n厅", "minzheng"), 2, "控制字符"),
    case("init-coordinator-newline", ("init", "--coordinator", "a\nb"), 2, "控制字符"),
    # -- invalid UTF-8 in argv (as Python decodes it: lone surrogates) -------------------------------------
    case("utf8-text", ("report", "submit", "{r_mz}", "--text", f"a{BAD_UTF8}b"), 2, "UTF-8", pg=True),
    case("utf8-as", ("--as", f"mz{BAD_UTF8}", "status"), 2, "UTF-8"),
    case("utf8-reason", ("review", "return", "{report}", "--reason", BAD_UTF8), 2, "UTF-8"),
    case("utf8-agency", ("status", "--agency", BAD_UTF8), 2, "UTF-8"),
    case("utf8-db", ("--db", f"{{tmp}}/{BAD_UTF8}.db", "status"), 2, "UTF-8", own_db=True),
    # -- unknown names: exit 7 naming the known ones -----------------------------------------------------
    case("agency-status", "status --agency nosuch", 7, "nosuch", "minzheng", pg=True),
    case("agency-overdue", "overdue --agency nosuch", 7, "nosuch", "minzheng"),
    case("agency-report-list", "report list --agency nosuch", 7, "nosuch", "minzheng"),
    case("agency-findings", "findings --agency nosuch", 7, "nosuch"),
    case("agency-template", "report template --agency nosuch -o {tmp}/t.xlsx", 7, "nosuch"),
    case("jurisdiction-status", "status --jurisdiction 999999", 7, "999999", "行政区划"),
    case("policy-status", "status --policy 不存在的文号", 7, "不存在的文号"),
    case("policy-tasks", "tasks --policy nosuch", 7, "nosuch"),
    # -- click's usage errors, in Chinese ------------------------------------------------------------------
    case("usage-missing-argument", "ack", 2, "缺少参数"),
    case("usage-missing-option", "review return {report}", 2, "缺少选项", "--reason"),
    case("usage-no-such-option", "status --nosuch", 2, "没有选项", "--nosuch"),
    case("usage-no-such-option-hint", "status --agenc minzheng", 2, "没有选项", "是不是"),
    case("usage-no-such-command", "nosuchcommand", 2, "没有命令"),
    case("usage-option-needs-value", "status --as-of", 2, "需要一个值"),
    case("usage-extra-argument", "status extra", 2, "多余的参数"),
    case("usage-bad-choice", "findings --severity nope", 2, "不是可选值"),
    case("usage-flag-value", "status --json=yes", 2, "不带值"),
    case("usage-attach-missing", "report submit {r_mz} --text x --attach {tmp}/nosuch.pdf", 2, "不存在"),
    case("usage-import-missing", "report import {tmp}/nosuch.xlsx", 2, "不存在"),
    case("usage-import-directory", "report import {tmp}", 2, "文件夹"),
    case("usage-policy-import-missing", "import {tmp}/nosuch.docx", 2, "不存在"),
    # -- Excel report rows ----------------------------------------------------------------------------
    case("excel-formula", "--as mz report import {tmp}/r.xlsx", 9, "公式", prep="xlsx:formula", pg=True),
    case(
        "excel-count-10e30",
        "--as mz report import {tmp}/r.xlsx",
        9,
        "台账人数",
        "超出范围",
        prep="xlsx:count",
        pg=True,
    ),
    case("excel-count-float", "--as mz report import {tmp}/r.xlsx", 9, "台账人数", prep="xlsx:count_float"),
    case("excel-date-0001", "--as mz report import {tmp}/r.xlsx", 9, "台账更新日期", prep="xlsx:date_0001"),
    case("excel-date-9999", "--as mz report import {tmp}/r.xlsx", 9, "台账更新日期", prep="xlsx:date_9999"),
    case("excel-text-escape", "--as mz report import {tmp}/r.xlsx", 9, "控制字符", prep="xlsx:escape"),
    case("excel-text-rlo", "--as mz report import {tmp}/r.xlsx", 9, "方向控制符", prep="xlsx:rlo"),
    case("excel-text-huge", "--as mz report import {tmp}/r.xlsx", 9, "过长", prep="xlsx:huge"),
    case(
        "excel-milestone-huge",
        "--as mz report import {tmp}/r.xlsx",
        9,
        "3000000000",
        prep="xlsx:milestone",
        pg=True,
    ),
    case("excel-milestone-text", "--as mz report import {tmp}/r.xlsx", 9, "abc", prep="xlsx:milestone_text"),
    case("excel-not-xlsx", "--as mz report import {tmp}/r.xlsx", 4, "r.xlsx", prep="xlsx:text"),
    case("excel-no-sheet", "--as mz report import {tmp}/r.xlsx", 4, "缺少工作表", prep="xlsx:nosheet"),
]


# -- preparing files ----------------------------------------------------------------------------------------


def _future(db: str) -> None:
    if db.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(db)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
        engine.dispose()
        return
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")


def _xlsx(kind: str, tmp: Path, db: str, seed: Seed) -> None:
    target = tmp / "r.xlsx"
    if kind == "text":
        target.write_text("不是 Excel", encoding="utf-8")
        return
    if kind == "nosheet":
        Workbook().save(target)
        return
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "--db",
            db,
            "--config",
            str(tmp / "duban.toml"),
            "report",
            "template",
            "--agency",
            "minzheng",
            "-o",
            str(target),
            "--as-of",
            "2027-06-20",
        ],
    )
    assert result.exit_code == 0, result.output
    wb = load_workbook(target)
    ws = wb.worksheets[0]
    keys = [c.value for c in ws[2]]
    row = 3
    assert ws.cell(row, keys.index("milestone") + 1).value, "the template has an open milestone"

    def put(key: str, value: object) -> None:
        ws.cell(row, keys.index(key) + 1).value = value

    put("text", "按期推进")
    put("minzheng.ledger_total", 12)
    put("minzheng.ledger_updated_on", "2026-01-05")
    if kind == "formula":
        put("minzheng.ledger_total", "=SUM(1,2)")
    elif kind == "count":
        put("minzheng.ledger_total", 10**30)
    elif kind == "count_float":
        put("minzheng.ledger_total", 1e30)
    elif kind == "date_0001":
        put("minzheng.ledger_updated_on", "0001-01-01")
    elif kind == "date_9999":
        import datetime as dt

        put("minzheng.ledger_updated_on", dt.datetime(9999, 12, 31))
    elif kind == "escape":
        put("text", "\x9b2K已通过")  # openpyxl refuses C0 characters in a cell; C1's CSI is stored
    elif kind == "rlo":
        put("text", f"{RLO}过通已")
    elif kind == "huge":
        put("text", "字" * 20_001)
    elif kind == "milestone":
        put("milestone", 3_000_000_000)
    elif kind == "milestone_text":
        put("milestone", "abc")
    wb.save(target)


def prepare(c: Case, tmp: Path, db: str, seed: Seed, config: Path) -> None:
    if c.prep is None:
        return
    if c.prep.startswith("cfg:"):
        config.write_text(config.read_text(encoding="utf-8") + "\n" + c.prep[4:] + "\n", encoding="utf-8")
        return
    if c.prep.startswith("xlsx:"):
        _xlsx(c.prep[5:], tmp, db, seed)
        return
    seed_file = Path(seed.url)
    match c.prep:
        case "text_db":
            (tmp / "text.db").write_text("这不是数据库\n" * 100, encoding="utf-8")
        case "binary_db":
            (tmp / "text.db").write_bytes(bytes(range(256)) * 64)
        case "corrupt_db":
            data = bytearray(seed_file.read_bytes())
            data[0:100] = b"\xff" * 100
            (tmp / "corrupt.db").write_bytes(bytes(data))
        case "truncated_db":
            (tmp / "cut.db").write_bytes(seed_file.read_bytes()[:8192])
        case "empty_db":
            (tmp / "empty.db").write_bytes(b"")
        case "foreign_db":
            with sqlite3.connect(tmp / "other.db") as conn:
                conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        case "future_db":
            _future(db)
        case "cfg_url_unwritable":
            config.write_text('[database]\nurl = "/dev/null/sub/duban.db"\n', encoding="utf-8")
        case "cfg_url_under_file":
            (tmp / "afile").write_text("x", encoding="utf-8")
            config.write_text(f'[database]\nurl = "{tmp}/afile/sub/duban.db"\n', encoding="utf-8")
        case "cfg_users_map":
            config.write_text("[users.map]\nx = 1\n", encoding="utf-8")
        case "cfg_url_huge":
            config.write_text(f'[database]\nurl = "{"x" * 5000}"\n', encoding="utf-8")
        case "cfg_bad_utf8":
            config.write_bytes(b'[general]\ntimezone = "Asia/Shanghai\xff\xfe"\n')
        case "cfg_binary":
            config.rename(tmp / "bad.toml")
            (tmp / "bad.toml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
            config.symlink_to(tmp / "bad.toml")
        case _:
            raise AssertionError(c.prep)


# -- running -----------------------------------------------------------------------------------------------


def run_case(c: Case, seed: Seed, tmp: Path, config: Path, db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(db)
    prepare(c, tmp, db, seed, config)
    fill = {**{k: str(v) for k, v in seed.ids.items()}, "tmp": str(tmp), "db": db}
    args = [a.format(**fill) if "{" in a else a for a in c.args]
    argv = [*([] if c.own_db else ["--db", db]), *([] if c.own_config else ["--config", str(config)]), *args]
    for key, value in c.env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(cli, argv)
    out = result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{c.id}: {type(result.exception).__name__}: {result.exception}\n{out}"
    )
    assert "Traceback" not in out, f"{c.id}: {out}"
    assert result.exit_code == c.code, f"{c.id}: exit {result.exit_code}, expected {c.code}\n{out}"
    if c.code != 0:
        assert HAN.search(result.stderr), f"{c.id}: no Chinese message: {result.stderr!r}"
        assert ESC not in out and BAD_UTF8 not in out, f"{c.id}: raw control characters in {out!r}"
        for needle in c.needles:
            assert needle in result.stderr, f"{c.id}: {needle!r} not in {result.stderr!r}"
    if c.prep != "future_db":  # the prepared stamp is the only change
        assert snapshot(db) == before, f"{c.id}: tables changed"
    assert not (tmp / "nosuch").exists(), f"{c.id}: created {tmp / 'nosuch'}"


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_hostile_input_sqlite(
    c: Case, sqlite_seed: Seed, tmp_path: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = copy_sqlite(sqlite_seed, tmp_path)
    run_case(c, sqlite_seed, tmp_path, config_file, db, monkeypatch)


PG_CASES = [c for c in CASES if c.postgres]


@pytest.mark.postgres
@pytest.mark.parametrize("c", PG_CASES, ids=[c.id for c in PG_CASES])
def test_hostile_input_postgres(
    c: Case, postgres_seed: Seed, tmp_path: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import _pg_admin, drop_database

    url, name = copy_postgres(postgres_seed)
    try:
        run_case(c, postgres_seed, tmp_path, config_file, url, monkeypatch)
    finally:
        admin = _pg_admin()
        assert admin is not None
        drop_database(admin, name)


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 150 and len({c.id for c in CASES}) == len(CASES)
    assert len(PG_CASES) >= 20


@pytest.mark.parametrize(
    "argv",
    [
        [b"report", b"submit", b"1", b"--text", b"caf\xe9"],
        [b"--as", b"\xff\xfe", b"status"],
        [b"review", b"return", b"1", b"--reason", b"\xc3\x28"],
    ],
    ids=["text-latin1", "as-bytes", "reason-bad-sequence"],
)
def test_invalid_utf8_argv_in_a_real_process(
    argv: list[bytes], sqlite_seed: Seed, tmp_path: Path, config_file: Path
) -> None:
    db = copy_sqlite(sqlite_seed, tmp_path)
    before = snapshot(db)
    env = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONUTF8": "1"}
    proc = subprocess.run(
        [
            sys.executable.encode(),
            b"-m",
            b"duban",
            b"--db",
            db.encode(),
            b"--config",
            str(config_file).encode(),
            *argv,
        ],
        capture_output=True,
        env=env,
        timeout=60,
    )
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, err
    assert "UTF-8" in err and "Traceback" not in err
    assert snapshot(db) == before


def test_traceback_only_when_asked(sqlite_seed: Seed, tmp_path: Path, config_file: Path) -> None:
    """Without --traceback a short message; with it the exception itself (the runner sees it raised)."""
    db = copy_sqlite(sqlite_seed, tmp_path)
    base = ["--db", db, "--config", str(config_file)]
    quiet = CliRunner().invoke(cli, [*base, "status", "--agency", "nosuch"])
    assert quiet.exit_code == 7 and quiet.exception is None or isinstance(quiet.exception, SystemExit)
    loud = CliRunner().invoke(cli, [*base, "--traceback", "status", "--agency", "nosuch"])
    from duban.errors import NotFoundError

    assert isinstance(loud.exception, NotFoundError)


def test_unforeseen_failures_become_exit_1_in_chinese(tmp_path: Path) -> None:
    """What the edge makes of failures nobody foresaw: an OS error names the file, anything else says how
    to get the traceback."""
    from duban.cli.edge import as_duban_error

    target = str(tmp_path / "attachments")
    error = as_duban_error(NotADirectoryError(20, "Not a directory", target), None)
    assert error.exit_code == 1 and target in str(error) and HAN.search(str(error))
    error = as_duban_error(KeyError("x"), None)
    assert error.exit_code == 1 and "--traceback" in str(error)
