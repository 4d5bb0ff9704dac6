"""Channels (``[[notify.routes]]``) and the rules' settings, validated when the configuration loads.

A route is an apprise URL (or one duban delivers itself: the chat robots, ``file:///folder``) with tags: agency keys (``minzheng``), jurisdictions (``jur-530000``),
``coordinator`` and ``leadership``. Secrets may be written as ``${ENV_VAR}`` inside the URL; they are
expanded here and never printed: logs and the outbox show apprise's ``url(privacy=True)``.

Who gets what (receivers are plain strings in the outbox):

- ``coordinator``            routes tagged ``coordinator``;
- ``minzheng@530000``        routes tagged ``minzheng`` but not ``leadership``, whose ``jur-*`` tags (if
                             any) include ``jur-530000`` — a route without a ``jur-*`` tag serves the
                             agency in every jurisdiction;
- ``minzheng@530000#leadership``  the same, among routes also tagged ``leadership``;
- ``tag:X``                  every route tagged ``X`` (``duban notify test --to X``).

A department whose only routes carry ``leadership`` gets its digests on them too. A receiver no route
names (a new plugin's agency, say) goes to the routes tagged ``default`` (the catch-all); without one it
is unrouted, which a run reports as a warning and a non-zero exit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from duban.errors import ConfigError

#: schemes duban posts to itself (apprise counts an HTTP 200 with a refusal in the body as delivered)
CHAT_SCHEMES = ("dingtalk", "wecombot", "feishu", "lark")
#: duban writes these itself too: ``file:///abs/folder``, one JSON file per message (duban.notify.filesink)
FILE_SCHEME = "file"
#: default byte limits of a message per scheme (``max_bytes`` on a route overrides)
DEFAULT_MAX_BYTES = {"wecombot": 2048, "dingtalk": 20000, "feishu": 18000, "lark": 18000}
#: the vendors' documented rate limits per robot, as (posts per minute, posts per second); a route's
#: ``per_minute`` / ``per_second`` override them (docs/notifications.md, 限速, cites the vendors' pages)
DEFAULT_RATES: dict[str, tuple[int | None, int | None]] = {
    "dingtalk": (20, None),  # 每个机器人每分钟最多发送 20 条，超过限流 10 分钟
    "wecombot": (20, None),  # 每个机器人发送的消息不能超过 20 条/分钟
    "feishu": (100, 5),  # 自定义机器人：单租户单机器人 100 次/分钟，5 次/秒
    "lark": (100, 5),
}
COORDINATOR = "coordinator"
LEADERSHIP = "leadership"
#: the catch-all tag: a route tagged ``default`` serves every receiver no other route serves
DEFAULT_TAG = "default"

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TAG = re.compile(r"^[^\s:,]+$")
#: query arguments apprise adds to every URL it prints; noise in a log line
_APPRISE_DEFAULT_ARGS = {
    "overflow",
    "format",
    "retry",
    "wait",
    "optional",
    "emojis",
    "tz",
    "store",
    "cto",
    "rto",
    "verify",
}


@dataclass(frozen=True)
class Route:
    """One channel. ``url`` holds the expanded secret; print ``redacted`` instead."""

    index: int
    name: str
    url: str = field(repr=False)
    tags: frozenset[str]
    scheme: str
    redacted: str
    max_bytes: int | None = None
    #: for chat schemes: where to post instead of the vendor's host (tests, relays): ``?base=http://…``
    base: str | None = None
    #: pacing: at most this many posts per minute / per second to this route (None: unpaced)
    per_minute: int | None = None
    per_second: int | None = None

    @property
    def key(self) -> str:
        """A short stable id of the URL (a hash; it reveals nothing of the secret)."""
        return hashlib.sha256(self.url.encode("utf-8")).hexdigest()[:10]

    @property
    def is_chat(self) -> bool:
        return self.scheme in CHAT_SCHEMES

    @property
    def is_file(self) -> bool:
        return self.scheme == FILE_SCHEME

    @property
    def label(self) -> str:
        return f"{self.name}: {self.redacted}" if self.name else self.redacted


@dataclass(frozen=True)
class Rules:
    """When to remind: N working days before; overdue every R working days; escalate after E."""

    remind_days: tuple[int, ...] = (5, 1)
    repeat_every: int = 3
    escalate_after: int = 5


@dataclass(frozen=True)
class NotifyConfig:
    rules: Rules = Rules()
    routes: tuple[Route, ...] = ()
    timezone: str = "Asia/Shanghai"
    quiet_start: dt.time = dt.time(20, 0)
    quiet_end: dt.time = dt.time(8, 30)
    retry_minutes: int = 10
    max_attempts: int = 6
    timeout: float = 10.0
    lookback_days: int = 14
    #: how long a run's claim of a message lasts; renewed from the clock before every part is sent
    lease: dt.timedelta = dt.timedelta(minutes=15)
    #: retries of a rate-limited / busy part inside one run (paced waits), before the backoff takes over
    in_run_retries: int = 3
    #: a department's digest at most every N working days (0: whenever a rule fires)
    min_interval_days: int = 0
    #: skip a department's digest when its items and levels are those of the last one it was sent
    changes_only: bool = False

    def routes_for(self, receiver: str) -> list[Route]:
        return routes_for(self.routes, receiver)


def department_receiver(agency: str, jurisdiction: str | None, *, leadership: bool = False) -> str:
    base = f"{agency}@{jurisdiction or '000000'}"
    return f"{base}#{LEADERSHIP}" if leadership else base


def own_routes_for(routes: Sequence[Route], receiver: str) -> list[Route]:
    """The routes that name a receiver (without the catch-all ``default`` route)."""
    if receiver == COORDINATOR:
        return [r for r in routes if COORDINATOR in r.tags]
    if receiver.startswith("tag:"):
        tag = receiver[4:]
        return [r for r in routes if tag in r.tags]
    dept, _, role = receiver.partition("#")
    agency, _, jurisdiction = dept.partition("@")
    mine: list[Route] = []
    leaders: list[Route] = []
    for r in routes:
        if agency not in r.tags:
            continue
        jurs = {t for t in r.tags if t.startswith("jur-")}
        if jurs and f"jur-{jurisdiction}" not in jurs:
            continue
        (leaders if LEADERSHIP in r.tags else mine).append(r)
    if role == LEADERSHIP:
        return leaders
    # a department whose only routes are tagged leadership still gets its digests there: adding
    # ``leadership`` to a route never drops the department's own messages
    return mine or leaders


def routes_for(routes: Sequence[Route], receiver: str) -> list[Route]:
    """The routes a receiver's messages go to (see the module docstring); the ``default`` routes
    when no route names the receiver (never for ``tag:X`` tests or a leadership receiver)."""
    own = own_routes_for(routes, receiver)
    if own or receiver.startswith("tag:") or receiver.endswith(f"#{LEADERSHIP}"):
        return own
    return [r for r in routes if DEFAULT_TAG in r.tags]


def expand_env(url: str, where: str) -> str:
    def sub(match: re.Match[str]) -> str:
        value = os.environ.get(match.group(1))
        if value is None:
            raise ConfigError(
                f"{where}：环境变量 {match.group(1)} 未设置（地址中引用了 ${{{match.group(1)}}}）"
            )
        return value

    return _ENV_REF.sub(sub, url)


def _tidy_redacted(text: str) -> str:
    head, sep, query = text.partition("?")
    if not sep:
        return head
    kept = [p for p in query.split("&") if p and p.split("=", 1)[0] not in _APPRISE_DEFAULT_ARGS]
    return f"{head}?{'&'.join(kept)}" if kept else head


def parse_route(item: Mapping[str, Any], index: int, *, source: str = "notify.routes") -> Route:
    """Validate one ``[[notify.routes]]`` table: apprise must parse the URL (unknown scheme → ConfigError)."""
    name = str(item.get("name") or "")
    where = f"{source}[{index}]" + (f"（{name}）" if name else "")
    raw = item.get("url")
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(f"{where}：缺少 url")
    url = expand_env(raw.strip(), where)
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    tags = item.get("tags") or []
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and _TAG.match(t) for t in tags):
        raise ConfigError(
            f'{where}：tags 应为非空的标签列表（如 ["minzheng", "jur-530000"]），标签中不能有冒号、逗号或空格'
        )
    max_bytes = item.get("max_bytes")
    if max_bytes is not None and (not isinstance(max_bytes, int) or max_bytes < 64):
        raise ConfigError(f"{where}：max_bytes 应为不小于 64 的整数")
    rates = []
    for key in ("per_minute", "per_second"):
        value = item.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ConfigError(f"{where}：{key} 应为正整数（每分钟/每秒最多发送的条数）")
        rates.append(value)
    default_minute, default_second = DEFAULT_RATES.get(scheme, (None, None))
    per_minute = rates[0] if rates[0] is not None else default_minute
    per_second = rates[1] if rates[1] is not None else default_second
    if scheme == FILE_SCHEME:  # duban's own folder sink: apprise has no file:// scheme
        from duban.notify.filesink import folder_of

        folder = folder_of(url, where)
        return Route(
            index=index,
            name=name,
            url=url,
            tags=frozenset(tags),
            scheme=scheme,
            redacted=f"file://{folder}",
            max_bytes=max_bytes,
            per_minute=per_minute,
            per_second=per_second,
        )
    from duban.notify.apprise_send import redacted_url  # apprise is imported only here and when sending

    redacted = redacted_url(url)
    if redacted is None:
        raise ConfigError(f"{where}：无法识别的通知地址（方案 {scheme or '缺失'}://），apprise 不能解析")
    base = None
    if scheme in CHAT_SCHEMES:
        base_values = parse_qs(urlsplit(url).query).get("base")
        if base_values:
            base = base_values[0].rstrip("/")
            if urlsplit(base).scheme not in ("http", "https"):
                raise ConfigError(f"{where}：base 应为 http:// 或 https:// 地址")
    shown = _tidy_redacted(redacted) + (f"?base={base}" if base else "")
    return Route(
        index=index,
        name=name,
        url=url,
        tags=frozenset(tags),
        scheme=scheme,
        redacted=shown,
        max_bytes=max_bytes if max_bytes is not None else DEFAULT_MAX_BYTES.get(scheme),
        base=base,
        per_minute=per_minute,
        per_second=per_second,
    )


def _clock(value: str, key: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"配置项 notify.{key} 应为 HH:MM，而不是 {value!r}") from exc


def load_notify_config(settings: Any) -> NotifyConfig:
    """The ``[notify]`` table of the effective settings (a :class:`duban.config.Settings`), validated."""
    remind = tuple(sorted({int(n) for n in settings.get("notify.remind_days", [5, 1])}, reverse=True))
    rules = Rules(
        remind, int(settings.get("notify.repeat_every", 3)), int(settings.get("notify.escalate_after", 5))
    )
    if any(n < 1 for n in remind) or rules.repeat_every < 1 or rules.escalate_after < 1:
        raise ConfigError("配置项 notify.remind_days / repeat_every / escalate_after 应为正整数")
    routes = tuple(
        parse_route(item, i) for i, item in enumerate(settings.get("notify.routes", []) or [], start=1)
    )
    return NotifyConfig(
        rules=rules,
        routes=routes,
        timezone=str(settings.get("general.timezone", "Asia/Shanghai")),
        quiet_start=_clock(str(settings.get("notify.quiet_start", "20:00")), "quiet_start"),
        quiet_end=_clock(str(settings.get("notify.quiet_end", "08:30")), "quiet_end"),
        retry_minutes=int(settings.get("notify.retry_minutes", 10)),
        max_attempts=int(settings.get("notify.max_attempts", 6)),
        timeout=float(settings.get("notify.timeout", 10)),
        lease=dt.timedelta(seconds=float(settings.get("notify.lease_seconds", 900))),
        in_run_retries=int(settings.get("notify.in_run_retries", 3)),
        min_interval_days=int(settings.get("notify.min_interval_days", 0)),
        changes_only=bool(settings.get("notify.changes_only", False)),
    )
