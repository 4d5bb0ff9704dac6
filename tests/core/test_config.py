"""Configuration: defaults, user overrides, unknown keys and wrong types, database URL precedence."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from duban.config import (
    data_dir,
    default_database_path,
    load_settings,
    resolve_database_url,
    shipped_defaults,
    user_config_path,
    write_toml_atomic,
)
from duban.errors import ConfigError


def test_defaults_load_and_are_the_shipped_file() -> None:
    repo_file = Path(__file__).parents[2] / "config" / "duban.toml"
    import tomllib

    assert shipped_defaults() == tomllib.loads(repo_file.read_text(encoding="utf-8"))
    settings = load_settings()
    assert settings.timezone == "Asia/Shanghai"
    assert settings.warning_days == 5
    assert settings.get("notify.routes") == []


def test_user_file_overrides_one_key(tmp_path: Path) -> None:
    path = tmp_path / "duban.toml"
    path.write_text('[general]\nwarning_days = 3\n[users.map]\nalice = "mz_yunnan"\n', encoding="utf-8")
    settings = load_settings(path)
    assert settings.warning_days == 3
    assert settings.timezone == "Asia/Shanghai"
    assert settings.get("users.map.alice") == "mz_yunnan"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("[general]\nwarnings_days = 3\n", "未知的配置项 general.warnings_days"),
        ('[general]\nwarning_days = "五"\n', "general.warning_days 类型错误"),
        ("[nonsense]\nx = 1\n", "未知的配置项 nonsense"),
        ("general = 1\n", "general 应为表"),
        ('[[notify.routes]]\nurl = "mailto://a@b.cn"\n', "notify.routes[1] 缺少 tags"),
        ('[[notify.routes]]\nurl = "mailto://a@b.cn"\ntags = []\ncolour = 1\n', "notify.routes[1].colour"),
        ("[general\n", "不是有效的 TOML"),
    ],
)
def test_bad_files_name_the_key_and_the_file(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert fragment in str(info.value)
    assert str(path) in str(info.value)


def test_database_url_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[database]\nurl = "postgresql+psycopg://x@h/db"\n', encoding="utf-8")
    settings = load_settings(cfg)
    assert resolve_database_url(None, load_settings()) == f"sqlite:///{default_database_path()}"
    assert resolve_database_url(None, settings) == "postgresql+psycopg://x@h/db"
    monkeypatch.setenv("DUBAN_DATABASE_URL", "sqlite:///env.db")
    assert resolve_database_url(None, settings) == "sqlite:///env.db"
    assert resolve_database_url(str(tmp_path / "cli.db"), settings) == f"sqlite:///{tmp_path / 'cli.db'}"


def test_xdg_locations(isolated_home: Path) -> None:
    """platformdirs honours XDG_CONFIG_HOME and XDG_DATA_HOME (which every test sets, see conftest)."""
    assert user_config_path() == isolated_home / "xdg-config" / "duban" / "duban.toml"
    assert default_database_path() == isolated_home / "xdg-data" / "duban" / "duban.db"
    assert data_dir() == isolated_home / "xdg-data" / "duban"


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG defaults are the Linux locations")
def test_unset_or_empty_xdg_variables_mean_the_xdg_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", "")
    monkeypatch.delenv("XDG_DATA_HOME")
    assert user_config_path() == tmp_path / ".config" / "duban" / "duban.toml"
    assert default_database_path() == tmp_path / ".local" / "share" / "duban" / "duban.db"


def test_atomic_write_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "duban.toml"
    assert write_toml_atomic(path, {"database": {"url": "sqlite:///a.db"}}) is True
    mtime = os.stat(path).st_mtime_ns
    assert write_toml_atomic(path, {"database": {"url": "sqlite:///a.db"}}) is False
    assert os.stat(path).st_mtime_ns == mtime
    assert load_settings(path).configured_database_url == "sqlite:///a.db"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".duban-")]
