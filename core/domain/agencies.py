"""Agency names as written in documents, resolved to canonical agency keys.

Real documents write one agency in many ways: 民政部, 省民政厅, 云南省民政厅, 市（州）民政局,
县（市、区）民政局, 民政厅（局）, a name broken across two lines, a misspelling (国务院妇工委办公室).
:class:`AgencyRegistry` is built from the :class:`~duban.hookspecs.AgencySpec` that department plugins
register and answers "which agency is this?" for any of those spellings.

Resolution, in order, stopping at the first hit:

1. the normalised name (NFKC, whitespace and line breaks removed, bracketed alternatives removed);
2. the name without its jurisdiction prefix (a real province, 新疆生产建设兵团, 各级, 省, 市, 县 …);
3. that, without its organisation suffix (部, 厅, 局, 委员会, 办公室 …): 民政厅 → 民政;
4. the same after dropping any leading place name ending in 省/市/州/县/区/旗/盟 (昆明市民政局).

Pure: imports only the plugin API, rapidfuzz and the standard library.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz, process

from duban.domain.vocabulary import JurisdictionLevel, values
from duban.hookspecs import AgencySpec

__all__ = ["AgencyRegistry", "normalize_name", "strip_jurisdiction"]

_ALL_LEVELS = values(JurisdictionLevel)

# Provincial-level divisions (GB/T 2260), full names first so that 内蒙古自治区 wins over 内蒙古.
_PROVINCES = (
    "北京市",
    "天津市",
    "河北省",
    "山西省",
    "内蒙古自治区",
    "辽宁省",
    "吉林省",
    "黑龙江省",
    "上海市",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "广西壮族自治区",
    "海南省",
    "重庆市",
    "四川省",
    "贵州省",
    "云南省",
    "西藏自治区",
    "陕西省",
    "甘肃省",
    "青海省",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
    "台湾省",
    "香港特别行政区",
    "澳门特别行政区",
)
_SPECIAL_JURISDICTIONS = ("新疆生产建设兵团", "长白山管委会", "长白山管理委员会")
_SHORT_PROVINCES = tuple(
    re.sub(r"(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)$", "", p) for p in _PROVINCES
)
# Generic prefixes, longest first. Bracketed parts are already removed: 市（州） arrives as 市.
_GENERIC_PREFIXES = (
    "各省自治区直辖市",
    "各省、自治区、直辖市",
    "省、自治区、直辖市",
    "各级",
    "各地",
    "省级",
    "市级",
    "州级",
    "县级",
    "乡级",
    "乡镇",
    "国务院有关",
    "有关",
    "各",
    "省",
    "自治区",
    "直辖市",
    "市",
    "州",
    "县",
    "人民政府",
    "政府",
)
# Organisation suffixes, longest first: 卫生健康委员会 → 卫生健康, 体育总局 → 体育.
_SUFFIXES = ("委员会", "办公室", "总局", "部门", "机关", "部", "厅", "局", "委", "办")
_NATIONAL_PREFIXES = ("中华人民共和国", "国务院", "国家", "中央", "全国")
_PLACE_PREFIX = re.compile(r"^[\u4e00-\u9fff]{2,12}?(?:自治区|自治州|自治县|地区|省|市|州|盟|县|区|旗)")
_BRACKETED = re.compile(r"\([^()]*\)")
_EDGE_PUNCT = "、，,：:；;。.·“”\"'‘’"


def normalize_name(name: str) -> str:
    """NFKC, no whitespace or line breaks, no bracketed alternatives, no edge punctuation.

    ``"人力资源社会保障\\n\\n局"`` → ``"人力资源社会保障局"``; ``"民政厅（局）"`` → ``"民政厅"``;
    ``"农业农村（农牧）厅（委、局）"`` → ``"农业农村厅"``.
    """
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if not ch.isspace())
    while text.startswith("(") and _BRACKETED.fullmatch(text):  # a whole clause: （省民政厅）
        text = text[1:-1]
    previous = None
    while previous != text:
        previous, text = text, _BRACKETED.sub("", text)
    return text.strip(_EDGE_PUNCT + "()")


def strip_jurisdiction(name: str) -> str:
    """Remove leading jurisdiction prefixes from a normalised name; never returns an empty string."""
    text = name
    changed = True
    while changed:
        changed = False
        for prefix in (*_PROVINCES, *_SPECIAL_JURISDICTIONS, *_SHORT_PROVINCES, *_GENERIC_PREFIXES):
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix) :].lstrip(_EDGE_PUNCT)
                changed = True
                break
    return text


def _strip_national_prefix(name: str) -> str:
    """国家乡村振兴局 → 乡村振兴局; 国务院扶贫办 → 扶贫办 (never empty)."""
    for prefix in _NATIONAL_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix) + 1:
            return name[len(prefix) :]
    return name


def _org_suffix(name: str) -> str:
    """The organisation suffix a name ends with (部, 厅, 局 …), or an empty string."""
    return next((s for s in _SUFFIXES if name.endswith(s) and len(name) > len(s)), "")


def _stem(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


class AgencyRegistry:
    """The agencies known to duban and the many ways documents write their names."""

    def __init__(self, specs: Iterable[AgencySpec], aliases: Mapping[str, str] | None = None) -> None:
        """``aliases`` are extra names (as written → agency key) a coordinator taught duban when correcting
        an import (``duban alias``); a name whose key is not registered is ignored. Names the plugins
        register win over them."""
        self._specs: dict[str, AgencySpec] = {}
        for spec in specs:
            if spec.key in self._specs:
                raise ValueError(f"agency key registered twice: {spec.key}")
            self._specs[spec.key] = spec
        # Exact (normalised) forms win over stripped forms, which win over stems.
        self._exact: dict[str, str] = {}
        self._stripped: dict[str, str] = {}
        self._stems: dict[str, str] = {}
        ambiguous: set[tuple[int, str]] = set()
        self._display: dict[str, str] = {}  # display name -> normalised, stripped form (for suggest)
        for spec in self._specs.values():
            for written in self._written_names(spec):
                norm = normalize_name(written)
                if not norm:
                    continue
                stripped = strip_jurisdiction(norm)
                self._display.setdefault(written, stripped)
                for tier, table, form in (
                    (0, self._exact, norm),
                    (1, self._stripped, stripped),
                    (2, self._stems, _stem(stripped)),
                ):
                    owner = table.setdefault(form, spec.key)
                    if owner != spec.key:
                        if tier == 0:
                            raise ValueError(f"agency name {written!r} claimed by {owner} and {spec.key}")
                        ambiguous.add((tier, form))
        for tier, form in ambiguous:
            (self._stripped if tier == 1 else self._stems).pop(form, None)
        # Learned aliases: the exact (normalised) name, then the name without its jurisdiction prefix.
        self._learned: dict[str, str] = {}
        for written, key in (aliases or {}).items():
            norm = normalize_name(written)
            if norm and key in self._specs:
                self._learned.setdefault(norm, key)
                stripped = strip_jurisdiction(norm)
                if len(stripped) >= 3:  # not a bare 办 or 局 left of 县政府办
                    self._learned.setdefault(stripped, key)

    @staticmethod
    def _written_names(spec: AgencySpec) -> list[str]:
        names = [spec.name, *spec.names.values(), *spec.aliases]
        names += [s.name for s in spec.successions if s.key is None]
        return names

    # ------------------------------------------------------------------ lookup

    def resolve(self, name: str) -> str | None:
        """The agency key for a department name as written in a document, or None."""
        norm = normalize_name(name)
        if not norm:
            return None
        if norm in self._exact:
            return self._exact[norm]
        if norm in self._learned:
            return self._learned[norm]
        candidate = strip_jurisdiction(norm)
        if candidate in self._learned and candidate not in self._exact and candidate not in self._stripped:
            return self._learned[candidate]
        for _ in range(4):  # 长春市朝阳区民政局: peel one place name at a time
            key = self._lookup_stripped(candidate)
            if key is not None:
                return key
            match = _PLACE_PREFIX.match(candidate)
            if match is None or match.end() >= len(candidate):
                return None
            candidate = strip_jurisdiction(candidate[match.end() :])
        return None

    def _lookup_stripped(self, stripped: str) -> str | None:
        if stripped in self._exact:
            return self._exact[stripped]
        if stripped in self._stripped:
            return self._stripped[stripped]
        return self._stems.get(_stem(stripped))

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """The known names closest to ``name`` (rapidfuzz), best first, for an error message."""
        query = strip_jurisdiction(normalize_name(name))
        if not query or limit <= 0:
            return []
        hits = process.extract(query, self._display, scorer=fuzz.ratio, limit=limit * 3, score_cutoff=40)
        result: list[str] = []
        for _choice, _score, display in hits:
            if display not in result:
                result.append(display)
            if len(result) == limit:
                break
        return result

    # ------------------------------------------------------------------ identity

    def spec(self, key: str) -> AgencySpec:
        """The spec registered for ``key``; KeyError if unknown."""
        return self._specs[key]

    def keys(self) -> list[str]:
        """Every registered agency key, in registration order."""
        return list(self._specs)

    def name_at(self, key: str, level: str) -> str:
        """The name the agency uses at a level (民政部 / 省民政厅 / 市（州）民政局 / 县民政局).

        A level the plugin did not name (township, or one left out) gives the short name (民政).
        """
        spec = self._specs[key]
        if level not in _ALL_LEVELS:
            raise ValueError(f"unknown level {level!r}; expected one of {', '.join(_ALL_LEVELS)}")
        return spec.names.get(level, spec.name)

    def name_on(self, key: str, level: str, day: dt.date) -> str:
        """The name the agency used at a level on ``day``, following its renames.

        A rename (a succession without ``key``) gives the national name from its date on: 国务院扶贫办
        until 2021-02-24, 国家乡村振兴局 from 2021-02-25. The names at the other levels are derived from
        it: the level's jurisdiction prefix (省, 市（州）, 县 …) plus the new name without its national
        prefix (国家, 国务院 …) — 省扶贫办 becomes 省乡村振兴局. When the national and the level name end
        differently (民政部 / 省民政厅), a new name ending like the old national one (…部) takes the
        level's ending (…厅). A level the plugin did not name keeps the short name.

        Successions that move the duties to another agency do not rename this one: after them the agency
        keeps the last name it had (use :meth:`successor_on` for the agency carrying the work).
        """
        base = self.name_at(key, level)  # validates key and level
        spec = self._specs[key]
        renames = [s for s in spec.successions if s.key is None and s.since <= day]
        if not renames:
            return base
        renamed = max(renames, key=lambda s: s.since).name
        if level == "national":
            return renamed
        if level not in spec.names:
            return base
        new_core = _strip_national_prefix(renamed)
        old_core = strip_jurisdiction(normalize_name(base))
        prefix = base[: -len(old_core)] if base.endswith(old_core) and base != old_core else ""
        national = spec.names.get("national")
        if national is not None:
            national_suffix, level_suffix = _org_suffix(national), _org_suffix(base)
            if (
                national_suffix
                and level_suffix
                and national_suffix != level_suffix
                and new_core.endswith(national_suffix)
            ):
                new_core = new_core[: -len(national_suffix)] + level_suffix
        return prefix + new_core

    def successor_on(self, key: str, day: dt.date) -> str:
        """The key of the agency that carries ``key``'s open work on ``day``.

        Follows successions that moved the duties to another agency (扶贫 → 农业农村 from 2023),
        transitively; a rename (succession without key) keeps the key.
        """
        seen = {key}
        current = key
        while True:
            spec = self._specs[current]
            moved = [s for s in spec.successions if s.key is not None and s.since <= day]
            if not moved:
                return current
            nxt = max(moved, key=lambda s: s.since).key
            assert nxt is not None
            if nxt in seen:
                raise ValueError(f"succession cycle through {nxt}")
            if nxt not in self._specs:
                return nxt
            seen.add(nxt)
            current = nxt
