"""Read a department plugin's ``plugin.toml`` into plugin API specs.

The file is meant to be read and edited by a department official, so it is plain TOML with three parts::

    [agency]            key, name, aliases, [agency.names], [[agency.successions]]
    [[templates]]       key, title, description, schedule, indicators, source (agency defaults to [agency].key),
                        serves = [{ doc = "民发〔2019〕86号", task = "二十三" }], keywords = ["信息台账", "摸底排查"]
    [[indicators]]      key, name, type, unit, required, part_of, minimum, description

Anything unexpected — an unknown key, a wrong type, a template naming an undeclared indicator, a schedule
that duban.domain.schedule cannot parse — raises :class:`duban.errors.ConfigError` naming the file and the key.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from duban.domain.limits import INDICATOR_MAX
from duban.domain.schedule import RuleSyntaxError, parse_rule
from duban.domain.vocabulary import JurisdictionLevel, values
from duban.errors import ConfigError
from duban.hookspecs import AgencySpec, IndicatorSpec, Succession, TaskTemplateSpec, TemplateServes

__all__ = ["PluginData", "load_plugin_toml", "parse_plugin_toml"]

LEVELS = values(JurisdictionLevel)
INDICATOR_TYPES = ("int", "float", "bool", "text", "date")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$")


@dataclass(frozen=True)
class PluginData:
    """What one plugin.toml declares."""

    agency: AgencySpec
    templates: tuple[TaskTemplateSpec, ...]
    indicators: tuple[IndicatorSpec, ...]

    def indicator(self, key: str) -> IndicatorSpec:
        """The indicator declared under ``key``; KeyError if it is not declared here."""
        for spec in self.indicators:
            if spec.key == key:
                return spec
        raise KeyError(key)

    def template(self, key: str) -> TaskTemplateSpec:
        """The template declared under ``key``; KeyError if it is not declared here."""
        for spec in self.templates:
            if spec.key == key:
                return spec
        raise KeyError(key)


def load_plugin_toml(path: Path | Traversable) -> PluginData:
    """Read and validate a plugin.toml (a path or an importlib.resources file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: 无法读取插件配置文件：{exc}") from exc
    return parse_plugin_toml(text, file=str(path))


def parse_plugin_toml(text: str, *, file: str) -> PluginData:
    """Validate TOML text; ``file`` names the source in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: TOML 语法错误：{exc}") from exc
    return _Reader(file).read(data)


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file

    # ------------------------------------------------------------------ helpers

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.file}: {where}: {message}")

    def table(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"应为表（table），实际为 {type(value).__name__}")
        return value

    def known(self, table: Mapping[str, Any], where: str, allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(f"{where}.{key}", f"未知的键；允许的键：{', '.join(allowed)}")

    def get(
        self,
        table: Mapping[str, Any],
        where: str,
        key: str,
        kind: type | tuple[type, ...],
        default: Any = ...,
        *,
        choices: tuple[str, ...] = (),
    ) -> Any:
        if key not in table:
            if default is ...:
                raise self.fail(f"{where}.{key}", "缺少必填的键")
            return default
        value = table[key]
        names = {
            str: "字符串",
            bool: "布尔值 true/false",
            int: "整数",
            float: "数字",
            list: "数组",
            dt.date: "日期（如 2021-02-25）",
        }
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if dt.date in kinds and isinstance(value, dt.datetime):
            ok = False
        if not ok:
            expected = " 或 ".join(names.get(k, k.__name__) for k in kinds)
            raise self.fail(f"{where}.{key}", f"类型错误：应为{expected}，实际为 {value!r}")
        if choices and value not in choices:
            raise self.fail(f"{where}.{key}", f"取值 {value!r} 无效；应为 {', '.join(choices)} 之一")
        return value

    def strings(self, table: Mapping[str, Any], where: str, key: str) -> tuple[str, ...]:
        values = self.get(table, where, key, list, [])
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise self.fail(f"{where}.{key}[{i}]", f"类型错误：应为字符串，实际为 {value!r}")
        return tuple(values)

    def key(self, table: Mapping[str, Any], where: str) -> str:
        value: str = self.get(table, where, "key", str)
        if not KEY_PATTERN.match(value):
            raise self.fail(f"{where}.key", f"键名 {value!r} 只能用小写字母、数字、下划线和点")
        return value

    # ------------------------------------------------------------------ sections

    def read(self, data: Mapping[str, Any]) -> PluginData:
        self.known(data, "(顶层)", ("agency", "templates", "indicators"))
        if "agency" not in data:
            raise self.fail("agency", "缺少 [agency] 表")
        agency = self.agency(self.table(data["agency"], "agency"))
        indicators = tuple(
            self.indicator(self.table(item, f"indicators[{i}]"), f"indicators[{i}]")
            for i, item in enumerate(self.get(data, "(顶层)", "indicators", list, []))
        )
        by_key: dict[str, IndicatorSpec] = {}
        for i, spec in enumerate(indicators):
            if spec.key in by_key:
                raise self.fail(f"indicators[{i}].key", f"指标 {spec.key} 重复声明")
            by_key[spec.key] = spec
        for i, spec in enumerate(indicators):
            if spec.part_of is None:
                continue
            whole = by_key.get(spec.part_of)
            if whole is None:
                raise self.fail(f"indicators[{i}].part_of", f"未声明的指标 {spec.part_of}")
            if whole.type not in ("int", "float") or spec.type not in ("int", "float"):
                raise self.fail(f"indicators[{i}].part_of", "只有数值指标（int/float）可以是另一指标的一部分")
        templates = tuple(
            self.template(self.table(item, f"templates[{i}]"), f"templates[{i}]", agency.key, by_key)
            for i, item in enumerate(self.get(data, "(顶层)", "templates", list, []))
        )
        seen: set[str] = set()
        for i, tpl in enumerate(templates):
            if tpl.key in seen:
                raise self.fail(f"templates[{i}].key", f"任务模板 {tpl.key} 重复声明")
            seen.add(tpl.key)
        return PluginData(agency=agency, templates=templates, indicators=indicators)

    def agency(self, table: Mapping[str, Any]) -> AgencySpec:
        where = "agency"
        self.known(table, where, ("key", "name", "aliases", "names", "successions"))
        names_table = self.table(table.get("names", {}), f"{where}.names")
        self.known(names_table, f"{where}.names", LEVELS)
        names = {level: self.get(names_table, f"{where}.names", level, str) for level in names_table}
        successions = []
        for i, item in enumerate(self.get(table, where, "successions", list, [])):
            sub = f"{where}.successions[{i}]"
            item = self.table(item, sub)
            self.known(item, sub, ("name", "since", "key"))
            successions.append(
                Succession(
                    name=self.get(item, sub, "name", str),
                    since=self.get(item, sub, "since", dt.date),
                    key=self.get(item, sub, "key", str, None),
                )
            )
        return AgencySpec(
            key=self.key(table, where),
            name=self.get(table, where, "name", str),
            names=names,
            aliases=self.strings(table, where, "aliases"),
            successions=tuple(sorted(successions, key=lambda s: s.since)),
        )

    def template(
        self, table: Mapping[str, Any], where: str, agency: str, indicators: Mapping[str, IndicatorSpec]
    ) -> TaskTemplateSpec:
        self.known(
            table,
            where,
            (
                "key",
                "agency",
                "title",
                "description",
                "schedule",
                "indicators",
                "source",
                "serves",
                "keywords",
            ),
        )
        schedule = self.get(table, where, "schedule", str, None)
        if schedule is not None:
            try:  # the schedule syntax of duban.domain.schedule: a typo fails when the plugin loads
                parse_rule(schedule)
            except RuleSyntaxError as exc:
                raise self.fail(f"{where}.schedule", str(exc)) from None
        refs = self.strings(table, where, "indicators")
        for j, ref in enumerate(refs):
            if ref not in indicators:
                raise self.fail(f"{where}.indicators[{j}]", f"未声明的指标 {ref}；请在 [[indicators]] 中声明")
        return TaskTemplateSpec(
            key=self.key(table, where),
            agency=self.get(table, where, "agency", str, agency),
            title=self.get(table, where, "title", str),
            description=self.get(table, where, "description", str, ""),
            schedule=schedule,
            indicators=refs,
            source=self.get(table, where, "source", str, ""),
            serves=self.serves(table, where),
            keywords=self.keywords(table, where),
        )

    def serves(self, table: Mapping[str, Any], where: str) -> tuple[TemplateServes, ...]:
        out = []
        for i, item in enumerate(self.get(table, where, "serves", list, [])):
            sub = f"{where}.serves[{i}]"
            item = self.table(item, sub)
            self.known(item, sub, ("doc", "task", "section"))
            doc = self.get(item, sub, "doc", str).strip()
            task = self.get(item, sub, "task", str).strip()
            if not doc or not task:
                raise self.fail(sub, "doc（文号或标题）和 task（任务编号，如 二十三）不能为空")
            section = self.get(item, sub, "section", str, None)
            out.append(TemplateServes(doc=doc, task=task, section=section.strip() if section else None))
        return tuple(out)

    def keywords(self, table: Mapping[str, Any], where: str) -> tuple[str, ...]:
        words = self.strings(table, where, "keywords")
        for j, word in enumerate(words):
            if not word.strip() or any(not part.strip() for part in word.split("|")):
                raise self.fail(f"{where}.keywords[{j}]", f"关键词 {word!r} 为空或含空的“|”分支")
        return tuple(w.strip() for w in words)

    def indicator(self, table: Mapping[str, Any], where: str) -> IndicatorSpec:
        self.known(
            table,
            where,
            ("key", "name", "type", "unit", "required", "part_of", "minimum", "maximum", "description"),
        )
        kind = self.get(table, where, "type", str, "int", choices=INDICATOR_TYPES)
        numeric = kind in ("int", "float")
        minimum = self.get(table, where, "minimum", (int, float), 0 if numeric else None)
        if minimum is not None and not numeric:
            raise self.fail(f"{where}.minimum", f"只有数值指标可以设置最小值（本指标类型为 {kind}）")
        maximum = self.get(table, where, "maximum", (int, float), None)
        if maximum is not None and not numeric:
            raise self.fail(f"{where}.maximum", f"只有数值指标可以设置最大值（本指标类型为 {kind}）")
        if maximum is not None and not (minimum or 0) <= maximum <= INDICATOR_MAX:
            raise self.fail(f"{where}.maximum", f"最大值应在最小值与 {INDICATOR_MAX} 之间")
        return IndicatorSpec(
            key=self.key(table, where),
            name=self.get(table, where, "name", str),
            type=kind,
            unit=self.get(table, where, "unit", str, ""),
            required=self.get(table, where, "required", bool, False),
            part_of=self.get(table, where, "part_of", str, None),
            minimum=minimum,
            maximum=maximum,
            description=self.get(table, where, "description", str, ""),
        )
