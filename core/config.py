"""Configuration: shipped defaults (config/duban.toml) overlaid by the user's file.

The shipped file is also the schema: a key the defaults do not have is unknown, and a value whose type
differs from the default's is wrong. A few tables are open (``users.map``) or hold lists of tables
(``notify.routes``); they are described in :data:`LIST_ITEM_SCHEMAS` and :data:`OPEN_TABLES`.
"""

from __future__ import annotations

import os
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
    },
}
#: tables whose keys are free, with the type of every value
OPEN_TABLES: dict[str, type] = {"users.map": str, "dashboard.keymap": str}


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
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: 配置文件不存在") from exc
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


def _validate_items(dotted: str, items: list[Any], schema: dict[str, tuple[type, bool]], file: Path) -> None:
    for index, item in enumerate(items, start=1):
        where = f"{dotted}[{index}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{file}: 配置项 {where} 应为表")
        for key, value in item.items():
            if key not in schema:
                raise ConfigError(f"{file}: 未知的配置项 {where}.{key}")
            expected, _required = schema[key]
            if not isinstance(value, expected):
                raise ConfigError(f"{file}: 配置项 {where}.{key} 类型错误，应为{_type_name(expected())}")
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
