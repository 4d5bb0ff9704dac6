"""Scaffold an installable agency plugin: ``duban plugin new KEY --name 教育``.

:func:`render_plugin` turns a key, a short name and the level names into file contents (pure);
:func:`scaffold_plugin` validates them and writes ``duban-plugin-<key>/`` in one step, so a refused or
failed run leaves nothing behind. The generated plugin is a few lines on the SDK ``duban.plugin``
(``plugin = <Key>Plugin(__name__)``, a :class:`~duban.plugin.DepartmentPlugin` subclass with one example
check) plus its plugin.toml, so it gets every generic check the built-in departments get; its tests use
``duban.plugin.testing``. Its distribution is ``duban-plugin-<key>`` — the shipped departments are
``duban-<key>``, and the plugin host tells built-in from third-party by that name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from duban import __version__
from duban.domain.agencies import AgencyRegistry
from duban.domain.plugin_toml import PluginData, parse_plugin_toml
from duban.domain.vocabulary import JurisdictionLevel
from duban.errors import ConfigError, ValidationError
from duban.hookspecs import AgencySpec
from duban.plugin_host import SHIPPED_DEPARTMENTS
from duban.scaffold import templates

__all__ = ["LEVELS", "compatible_range", "default_names", "render_plugin", "scaffold_plugin"]

LEVELS = ("national", "province", "prefecture", "county")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Chinese (or other) letters, digits and the brackets and marks real agency names use: 市（州）, 县（市、区）.
_NAME = re.compile(r"[\w（）()·、]+")


def default_names(name: str) -> dict[str, str]:
    """The usual names at each level: 教育 → 教育部 / 省教育厅 / 市教育局 / 县教育局."""
    return {
        "national": f"{name}部",
        "province": f"省{name}厅",
        "prefecture": f"市{name}局",
        "county": f"县{name}局",
    }


def compatible_range(version: str) -> str:
    """The duban versions a plugin made for ``version`` declares: ``>=0.2,<0.3`` for 0.2.x, ``>=1.4,<2``
    for 1.4.x (before 1.0 a minor release may change the SDK; from 1.0 on only a major one)."""
    major, minor = (int(part) for part in re.findall(r"\d+", version)[:2])
    upper = f"{major}.{minor + 1}" if major == 0 else str(major + 1)
    return f">={major}.{minor},<{upper}"


def _check_key(key: str) -> None:
    if not _KEY.fullmatch(key):
        raise ValidationError(
            f"部门代码“{key}”无效：只能用小写英文字母、数字和下划线，以字母开头，最长 40 个字符（例如 jiaoyu）。"
        )


def _check_name(value: str, what: str) -> None:
    if not _NAME.fullmatch(value):
        raise ValidationError(
            f"{what}“{value}”无效：不能为空，不能含空格、引号或反斜杠（例如 教育、省教育厅）。"
        )


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def render_plugin(key: str, name: str, names: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The plugin's files (relative POSIX path → text). ``names`` overrides :func:`default_names` per level."""
    _check_key(key)
    _check_name(name, "部门简称")
    levels = default_names(name)
    for level, value in (names or {}).items():
        if level not in levels:
            raise ValidationError(f"未知的层级 {level}；应为 {', '.join(LEVELS)} 之一")
        if value is not None:
            _check_name(value, f"{JurisdictionLevel(level).label}名称")
            levels[level] = value
    package = f"duban_{key}"
    values = {
        "key": key,
        "name": name,
        "package": package,
        "dist": f"duban-plugin-{key}",
        "wheel": f"duban_plugin_{key}",
        "cls": "".join(part.capitalize() for part in key.split("_") if part) + "Plugin",
        "duban_version": __version__,
        "duban_range": compatible_range(__version__),
        "toml_name": _toml(name),
        "toml_alias": _toml(f"{name}部门"),
        **levels,
        **{f"toml_{level}": _toml(value) for level, value in levels.items()},
    }
    return {
        "pyproject.toml": templates.PYPROJECT.substitute(values),
        "README.md": templates.README_MD.substitute(values),
        f"{package}/__init__.py": templates.INIT_PY.substitute(values),
        f"{package}/plugin.toml": templates.PLUGIN_TOML.substitute(values),
        "tests/test_plugin.py": templates.TEST_PY.substitute(values),
    }


def _validate(files: Mapping[str, str], key: str, existing: Iterable[AgencySpec]) -> PluginData:
    """Parse the rendered plugin.toml and refuse a key or name an installed agency already uses."""
    path = f"duban_{key}/plugin.toml"
    try:
        data = parse_plugin_toml(files[path], file=path)
    except ConfigError as exc:  # a name the templates cannot hold; the name checks should prevent it
        raise ValidationError(f"生成的插件配置无效：{exc}") from exc
    others = list(existing)
    for spec in others:
        if spec.key == key:
            raise ValidationError(f"部门代码 {key} 已被已安装的部门“{spec.name}”使用，请换一个代码。")
    if key in SHIPPED_DEPARTMENTS:  # installed or not, its module duban_<key> is the shipped distribution's
        raise ValidationError(
            f"部门代码 {key} 是 duban 自带的部门插件 duban-{key} 所用的代码，请换一个代码。"
        )
    try:
        AgencyRegistry([*others, data.agency])
    except ValueError as exc:
        raise ValidationError(
            f"部门名称与已安装的部门冲突（{exc}）；请用 --name 或 --national 等选项换一个名称。"
        ) from exc
    return data


def scaffold_plugin(
    key: str,
    name: str,
    *,
    parent: Path,
    names: Mapping[str, str | None] | None = None,
    existing: Iterable[AgencySpec] = (),
) -> Path:
    """Write ``parent/duban-plugin-<key>/`` and return its path.

    :param names: level → name overrides (None keeps the default derived from ``name``).
    :param existing: the agencies already installed; a clash of key or name is refused.
    :raises ValidationError: bad key or name, a clash, an existing target, or a write that failed.
    """
    files = render_plugin(key, name, names)
    _validate(files, key, existing)
    target = parent / f"duban-plugin-{key}"
    if target.exists() or target.is_symlink():
        raise ValidationError(f"目录 {target} 已存在，未做任何改动；请换一个位置（--dir）或先移走它。")
    staging = parent / f".duban-plugin-{key}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if target.exists():  # created by someone else meanwhile
            raise FileExistsError(f"目录 {target} 已存在")
        os.rename(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ValidationError(f"无法在 {parent} 创建插件目录：{exc}") from exc
    return target
