"""Configuration: shipped defaults (config/duban.toml) overlaid by the user's file.

The shipped file is also the schema: a key the defaults do not have is unknown, and a value whose type
differs from the default's is wrong. A few tables are open (``users.map``) or hold lists of tables
(``notify.routes``); they are described in :data:`LIST_ITEM_SCHEMAS` and :data:`OPEN_TABLES`.
"""

from __future__ import annotations

import fnmatch
import math
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

from duban.errors import ConfigError

APP_NAME = "duban"

#: lists whose items are tables, with the type of each allowed key (``required`` keys must be present)
LIST_ITEM_SCHEMAS: dict[str, dict[str, tuple[type, bool]]] = {
    "notify.routes": {
        "url": (str, True),
        "tags": (list, True),
        "name": (str, False),
        "max_bytes": (int, False),
        "per_minute": (int, False),
        "per_second": (int, False),
    },
}
#: tables whose keys are free, with the type of every value
OPEN_TABLES: dict[str, type] = {"users.map": str, "dashboard.keymap": str}
#: the allowed range of every number (a list's items each), by dotted key (``*`` matches one part);
#: documented in docs/configuration.md
RANGES: dict[str, tuple[float, float]] = {
    "general.warning_days": (0, 365),
    "schedule.horizon_years": (0, 20),
    "inbox.days": (0, 3660),
    "notify.remind_days": (0, 365),
    "notify.repeat_every": (1, 365),
    "notify.escalate_after": (0, 365),
    "notify.retry_minutes": (1, 10_080),
    "notify.max_attempts": (1, 100),
    "notify.timeout": (0.1, 600),
    "notify.routes.max_bytes": (1, 100_000_000),
    "notify.routes.per_minute": (1, 100_000),
    "notify.routes.per_second": (1, 10_000),
    "notify.lease_seconds": (1, 86_400),
    "notify.in_run_retries": (0, 20),
    "notify.min_interval_days": (0, 365),
    "scoring.grades.*": (0, 100),
    "scoring.default.*": (0, 10_000),
}
#: every text value: at most this many characters, no control characters
STRING_MAX = 4096
#: values that must have a form: (regular expression, what is expected)
FORMS: dict[str, tuple[str, str]] = {
    "general.jurisdiction": (r"\d{6}", "6 位行政区划代码（GB/T 2260），如 530000"),
    "notify.quiet_start": (r"([01]\d|2[0-3]):[0-5]\d", "时间 HH:MM，如 20:00"),
    "notify.quiet_end": (r"([01]\d|2[0-3]):[0-5]\d", "时间 HH:MM，如 08:30"),
}


def config_dir() -> Path:
    """duban's folder for the user's configuration (platformdirs).

    Linux and the BSDs: ``$XDG_CONFIG_HOME/duban``, ``~/.config/duban`` when the variable is unset or empty;
    macOS: ``~/Library/Application Support/duban``; Windows: ``%LOCALAPPDATA%\\duban``.
    """
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """duban's folder for data (the default SQLite database, attachments), from platformdirs.

    Linux and the BSDs: ``$XDG_DATA_HOME/duban``, ``~/.local/share/duban`` when the variable is unset or
    empty; macOS: ``~/Library/Application Support/duban``; Windows: ``%LOCALAPPDATA%\\duban``.
    """
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def user_config_path() -> Path:
    return config_dir() / "duban.toml"


def default_database_path() -> Path:
    return data_dir() / "duban.db"


def sqlite_url(path: Path | str) -> str:
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def _read_toml(path: Path) -> dict[str, Any]:
    if path.is_dir():
        raise ConfigError(f"{path}: 是一个文件夹，应为配置文件（TOML）")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: 配置文件不存在") from exc
    except PermissionError as exc:
        raise ConfigError(f"{path}: 没有读取配置文件的权限") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: 无法读取配置文件：{exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: 第 {exc.start} 字节不是有效的 UTF-8：配置文件应以 UTF-8 编码保存"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: 不是有效的 TOML：{exc}") from exc


def shipped_defaults() -> dict[str, Any]:
    text = resources.files("duban.defaults").joinpath("duban.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _type_name(value: Any) -> str:
    return {str: "字符串", int: "整数", float: "数字", bool: "true/false", list: "列表", dict: "表"}.get(
        type(value), type(value).__name__
    )


def _same_type(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float) and isinstance(value, int | float):
        return True
    return isinstance(value, type(default))


def validate(user: dict[str, Any], defaults: dict[str, Any], *, file: Path, prefix: str = "") -> None:
    """Raise ConfigError naming the key and the file for an unknown key or a wrong type."""
    for key, value in user.items():
        dotted = f"{prefix}{key}"
        if dotted in OPEN_TABLES:
            if not isinstance(value, dict):
                raise ConfigError(f"{file}: 配置项 {dotted} 应为表")
            for sub, subval in value.items():
                if not isinstance(subval, OPEN_TABLES[dotted]):
                    raise ConfigError(
                        f"{file}: 配置项 {dotted}.{sub} 类型错误，应为{_type_name(OPEN_TABLES[dotted]())}"
                    )
            continue
        if key not in defaults:
            raise ConfigError(f"{file}: 未知的配置项 {dotted}")
        default = defaults[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{file}: 配置项 {dotted} 应为表（[{dotted}]）")
            validate(value, default, file=file, prefix=f"{dotted}.")
            continue
        if not _same_type(default, value):
            raise ConfigError(
                f"{file}: 配置项 {dotted} 类型错误，应为{_type_name(default)}，实际为{_type_name(value)}"
            )
        if dotted in LIST_ITEM_SCHEMAS:
            _validate_items(dotted, value, LIST_ITEM_SCHEMAS[dotted], file)
        else:
            check_value(dotted, value, file)


def _range_of(dotted: str) -> tuple[float, float] | None:
    for pattern, bounds in RANGES.items():
        if fnmatch.fnmatchcase(dotted, pattern):
            return bounds
    return None


def check_value(dotted: str, value: Any, file: Path) -> None:
    """The declared range, form or size of one value (a list's items each); ConfigError names key and file."""
    if isinstance(value, list):
        for item in value:
            check_value(dotted, item, file)
        return
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        bounds = _range_of(dotted)
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{file}: 配置项 {dotted} 的值 {value} 不是有限的数")
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            low, high = (_plain(b) for b in bounds)
            raise ConfigError(f"{file}: 配置项 {dotted} 的值 {value} 超出范围：应在 {low} 至 {high} 之间")
        return
    if isinstance(value, str):
        if len(value) > STRING_MAX:
            raise ConfigError(f"{file}: 配置项 {dotted} 过长（{len(value)} 个字符，最多 {STRING_MAX} 个）")
        if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in value):
            raise ConfigError(f"{file}: 配置项 {dotted} 含有控制字符")
        form = FORMS.get(dotted)
        if form is not None and not re.fullmatch(form[0], value):
            raise ConfigError(f"{file}: 配置项 {dotted} 的值 {value!r} 无效：应为{form[1]}")
        if dotted == "general.timezone":
            check_timezone(value, f"{file}: 配置项 {dotted}")


def check_timezone(name: str, where: str) -> None:
    """An IANA time zone name (Asia/Shanghai); ConfigError otherwise."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"{where} 的值 {name!r} 不是已知的时区：应为 IANA 时区名，如 Asia/Shanghai"
        ) from exc


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _validate_items(dotted: str, items: list[Any], schema: dict[str, tuple[type, bool]], file: Path) -> None:
    for index, item in enumerate(items, start=1):
        where = f"{dotted}[{index}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{file}: 配置项 {where} 应为表")
        for key, value in item.items():
            if key not in schema:
                raise ConfigError(f"{file}: 未知的配置项 {where}.{key}")
            expected, _required = schema[key]
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise ConfigError(f"{file}: 配置项 {where}.{key} 类型错误，应为{_type_name(expected())}")
            check_value(f"{dotted}.{key}", value, file)
        for key, (_expected, required) in schema.items():
            if required and key not in item:
                raise ConfigError(f"{file}: 配置项 {where} 缺少 {key}")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class Settings:
    """The effective configuration: defaults overlaid by the user's file."""

    data: dict[str, Any]
    path: Path | None = None
    sources: tuple[str, ...] = field(default_factory=tuple)

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    @property
    def timezone(self) -> str:
        return str(self.get("general.timezone"))

    @property
    def warning_days(self) -> int:
        return int(self.get("general.warning_days"))

    @property
    def configured_database_url(self) -> str:
        return str(self.get("database.url") or "")


def load_settings(path: Path | None = None) -> Settings:
    """Load defaults and, if present, the user's file (``path`` or the XDG location)."""
    defaults = shipped_defaults()
    if path is None and os.environ.get("DUBAN_CONFIG"):
        path = Path(os.environ["DUBAN_CONFIG"])
    explicit = path is not None
    path = path or user_config_path()
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: 配置文件不存在")
        return Settings(defaults, None, ("defaults",))
    user = _read_toml(path)
    validate(user, defaults, file=path)
    return Settings(_merge(defaults, user), path, ("defaults", str(path)))


def resolve_database_url(cli_value: str | None, settings: Settings) -> str:
    """``--db``, then DUBAN_DATABASE_URL, then the config file, then the default XDG SQLite file."""
    for candidate in (cli_value, os.environ.get("DUBAN_DATABASE_URL"), settings.configured_database_url):
        if candidate:
            return candidate if "://" in candidate else sqlite_url(candidate)
    return sqlite_url(default_database_path())


def write_toml_atomic(path: Path, data: dict[str, Any]) -> bool:
    """Write ``data`` to ``path`` through a temporary file and an atomic replace.

    Returns False (and writes nothing) when the file already holds exactly this content.
    """
    text = tomli_w.dumps(data)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".duban-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
