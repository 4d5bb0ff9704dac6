"""The plugin host: loads entry points one by one and calls every implementation in isolation.

pluggy stops a hook call at the first implementation that raises, and
``load_setuptools_entrypoints`` does not catch import errors. duban therefore loads each entry point
in its own try/except and calls each implementation itself, recording faults by plugin name, so one
broken agency plugin never hides the others.

Hooks are a contract: pluggy registers a ``@hookimpl`` whose name matches no hook specification (a typo
such as ``duban_check_reprot``) without a word and never calls it, and ignores a ``duban_*`` function that
lacks the ``@hookimpl`` mark. The host checks every plugin as it registers it (what ``check_pending``
checks, one plugin at a time so that the fault names it), refuses a plugin with either mistake and
records why, with the hook it probably meant.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import os
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any, cast

import pluggy

from duban import hookspecs
from duban.hookspecs import (
    ENTRY_POINT_GROUP,
    PROJECT_NAME,
    AgencySpec,
    DocumentReaderSpec,
    ExporterSpec,
    FindingSpec,
    IndicatorSpec,
    ReportContext,
    ResponsibilityContext,
    ScoringSchemeSpec,
    TaskTemplateSpec,
)

log = logging.getLogger(__name__)

#: The distributions this repository ships: duban itself and the thirteen department plugins
#: (departments/<key>/, each a distribution of its own). Anything else is third-party.
SHIPPED_DEPARTMENTS = (
    "minzheng",
    "gongan",
    "sifa",
    "caizheng",
    "renshe",
    "nongye",
    "wenlv",
    "weijian",
    "tiyu",
    "fupin",
    "fuergongwei",
    "fulian",
    "canlian",
)
BUILTIN_DISTRIBUTIONS = frozenset({"duban", *(f"duban-{key}" for key in SHIPPED_DEPARTMENTS)})


def _normalise(dist_name: str) -> str:
    return dist_name.lower().replace("_", "-").replace(".", "-")


def hook_names() -> list[str]:
    """The names of every hook specification (``duban_register_agencies`` …), sorted."""
    return sorted(
        n for n, _ in inspect.getmembers(hookspecs.DubanHookSpecs, inspect.isfunction) if n[0] != "_"
    )


def _suggest(name: str, known: list[str]) -> str:
    """“（是否想写 duban_check_report？）” for the nearest hook name, or nothing."""
    prefix = f"{PROJECT_NAME}_"  # compared without it: every name shares it, which would flatter any guess
    stems = {k.removeprefix(prefix): k for k in known}
    close = difflib.get_close_matches(name.removeprefix(prefix), list(stems), n=1, cutoff=0.6)
    return f"（是否想写 {stems[close[0]]}？）" if close else ""


def _is_routine(plugin: object, attr: str) -> bool:
    """A function or method (found without running properties), as pluggy looks for hook implementations."""
    try:
        obj = inspect.getattr_static(plugin, attr)
    except AttributeError:
        return False
    if isinstance(obj, staticmethod | classmethod):
        return True
    return inspect.isroutine(obj)


@dataclass
class PluginFault:
    plugin: str
    stage: str  # "load" or the hook name
    error: str
    detail: str = ""


@dataclass
class PluginInfo:
    name: str
    version: str
    builtin: bool
    module: str
    hooks: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ResponsibilityChecks:
    """The answers of every ``duban_check_responsibility`` implementation to a batch of contexts."""

    plugins: tuple[str, ...]  #: the plugins that implement the hook
    found: Mapping[int, tuple[tuple[str, FindingSpec], ...]]  #: context index → (plugin, finding), if any
    failed: Mapping[int, frozenset[str]]  #: context index → the plugins that raised on it, if any
    faults: tuple[tuple[str, str, int], ...]  #: (plugin, first error, how many contexts failed)


@dataclass(frozen=True)
class PluginResult:
    """One plugin's answer to one hook call."""

    plugin: str
    value: Any


class PluginHost:
    """A typed facade over a pluggy PluginManager."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs.DubanHookSpecs)
        self.infos: dict[str, PluginInfo] = {}
        self.faults: list[PluginFault] = []

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, *, disabled: Iterable[str] | None = None, entry_points: bool = True) -> PluginHost:
        """Build a host with every entry point in the group ``duban`` (minus DUBAN_DISABLE_PLUGINS)."""
        host = cls()
        if disabled is None:
            disabled = [
                p.strip() for p in os.environ.get("DUBAN_DISABLE_PLUGINS", "").split(",") if p.strip()
            ]
        if entry_points:
            host.load_entry_points(set(disabled))
        return host

    def load_entry_points(self, disabled: set[str]) -> None:
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in disabled or ep.name in self.infos:
                continue
            dist = ep.dist
            version = dist.version if dist is not None else "?"
            dist_name = dist.metadata["Name"] if dist is not None else "?"
            try:
                plugin = ep.load()
            except Exception as exc:  # a plugin's import error must not stop the others
                self._fault(ep.name, "load", exc)
                self.infos[ep.name] = PluginInfo(
                    ep.name, version, _normalise(dist_name) in BUILTIN_DISTRIBUTIONS, ep.value
                )
                continue
            self.register(
                plugin, ep.name, version=version, builtin=_normalise(dist_name) in BUILTIN_DISTRIBUTIONS
            )

    def register(
        self, plugin: ModuleType | object, name: str, *, version: str = "", builtin: bool = False
    ) -> None:
        """Register a plugin object or module (tests register their own this way).

        A plugin that pluggy refuses (a hook with parameters its specification lacks), that implements
        a hook no specification declares, or that has a ``duban_*`` function without ``@hookimpl`` is
        not registered: it contributes nothing and its faults name the hooks.
        """
        module = getattr(plugin, "__name__", type(plugin).__name__)
        self.infos[name] = PluginInfo(name, version, builtin, module)
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:  # pluggy validation errors: wrong hook signature, a name registered twice
            self._fault(name, "load", exc)
            return
        problems = self._contract_problems(plugin, name)
        if problems:
            self.pm.unregister(plugin)
            for problem in problems:
                log.info("plugin %s refused: %s", name, problem)
                self.faults.append(PluginFault(name, "load", problem))
            return
        self.infos[name].hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])

    def _contract_problems(self, plugin: object, name: str) -> list[str]:
        """Hook implementations of a registered plugin that would never run, as Chinese messages.

        pluggy's ``check_pending`` raises for the first unknown hook of any plugin; this looks at one
        plugin, names every unknown hook and suggests the nearest specified one.
        """
        known = hook_names()
        problems = []
        for caller in self.pm.get_hookcallers(plugin) or []:
            if caller.has_spec():
                continue
            if any(impl.plugin is plugin and not impl.optionalhook for impl in caller.get_hookimpls()):
                problems.append(f"插件 {name} 实现了未知的钩子 {caller.name}{_suggest(caller.name, known)}")
        for attr in sorted(dir(plugin)):
            if not attr.startswith(f"{PROJECT_NAME}_") or not _is_routine(plugin, attr):
                continue
            if self.pm.parse_hookimpl_opts(plugin, attr) is not None:
                continue
            if attr in known:
                problems.append(
                    f"插件 {name} 的 {attr} 没有用 @hookimpl 标记，不会被调用"
                    "（from duban.plugin import hookimpl，写在函数定义上一行）"
                )
            else:
                problems.append(
                    f"插件 {name} 的 {attr} 不是已知的钩子，也没有用 @hookimpl 标记，不会被调用"
                    f"{_suggest(attr, known)}；以 {PROJECT_NAME}_ 开头的名称留给钩子"
                )
        return problems

    def _fault(self, plugin: str, stage: str, exc: BaseException) -> None:
        detail = "".join(traceback.format_exception(exc))
        log.info("plugin %s failed in %s: %s", plugin, stage, exc)
        self.faults.append(PluginFault(plugin, stage, f"{type(exc).__name__}: {exc}", detail))

    # ------------------------------------------------------------------ calling

    def call_each(self, hook_name: str, **kwargs: Any) -> list[PluginResult]:
        """Call every implementation of ``hook_name`` separately; a raising plugin is recorded and skipped."""
        caller = getattr(self.pm.hook, hook_name)
        results: list[PluginResult] = []
        for impl in reversed(caller.get_hookimpls()):  # registration order
            try:
                value = impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception as exc:
                self._fault(impl.plugin_name, hook_name, exc)
                continue
            if value is not None:
                results.append(PluginResult(impl.plugin_name, value))
        return results

    def _collect(self, hook_name: str, kind: type, **kwargs: Any) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        for result in self.call_each(hook_name, **kwargs):
            try:
                items = list(result.value)
                for item in items:
                    if not isinstance(item, kind):
                        raise TypeError(
                            f"{hook_name} returned {type(item).__name__}, expected {kind.__name__}"
                        )
            except Exception as exc:
                self._fault(result.plugin, hook_name, exc)
                continue
            out.extend((result.plugin, item) for item in items)
        return out

    def agencies(self) -> list[AgencySpec]:
        return [a for _p, a in self._collect("duban_register_agencies", AgencySpec)]

    def agencies_by_plugin(self) -> list[tuple[str, AgencySpec]]:
        return self._collect("duban_register_agencies", AgencySpec)

    def task_templates(self) -> list[TaskTemplateSpec]:
        return [t for _p, t in self._collect("duban_register_task_templates", TaskTemplateSpec)]

    def indicators(self) -> list[IndicatorSpec]:
        return [i for _p, i in self._collect("duban_register_indicators", IndicatorSpec)]

    def document_readers(self) -> list[DocumentReaderSpec]:
        return [r for _p, r in self._collect("duban_register_document_readers", DocumentReaderSpec)]

    def scoring_schemes(self) -> list[ScoringSchemeSpec]:
        return [s for _p, s in self._collect("duban_register_scoring_schemes", ScoringSchemeSpec)]

    def exporters(self) -> list[ExporterSpec]:
        return [e for _p, e in self._collect("duban_register_exporters", ExporterSpec)]

    def check_report(self, report: ReportContext) -> list[tuple[str, FindingSpec]]:
        return self._collect("duban_check_report", FindingSpec, report=report)

    def check_responsibility(self, responsibility: ResponsibilityContext) -> list[tuple[str, FindingSpec]]:
        return self._collect("duban_check_responsibility", FindingSpec, responsibility=responsibility)

    def implementers(self, hook_name: str) -> list[str]:
        """The plugins implementing ``hook_name``, in registration order."""
        return [impl.plugin_name for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls())]

    def check_responsibilities(self, contexts: Sequence[ResponsibilityContext]) -> ResponsibilityChecks:
        """Run every ``duban_check_responsibility`` on many contexts (one status run), each call isolated.

        Unlike :meth:`check_responsibility` in a loop, a plugin that raises on many responsibilities is
        recorded once in :attr:`faults` (with the number of failures), and the result says which plugins
        failed on which context, so that their earlier findings there are kept rather than resolved.
        """
        impls = list(reversed(self.pm.hook.duban_check_responsibility.get_hookimpls()))
        takes = [bool(impl.argnames) for impl in impls]  # the one parameter, ``responsibility``, or none
        found: dict[int, list[tuple[str, FindingSpec]]] = {}
        failed: dict[int, set[str]] = {}
        errors: dict[str, tuple[BaseException, int]] = {}
        calls = [
            (impl.plugin_name, impl.function, takes_context)
            for impl, takes_context in zip(impls, takes, strict=True)
        ]
        for i, context in enumerate(contexts):
            for name, function, takes_context in calls:
                try:
                    value = function(context) if takes_context else function()
                    if not value:
                        continue
                    items: list[FindingSpec] = []
                    for item in cast("Iterable[object]", value):
                        if not isinstance(item, FindingSpec):
                            raise TypeError(
                                f"duban_check_responsibility returned {type(item).__name__}, expected FindingSpec"
                            )
                        items.append(item)
                except Exception as exc:  # recorded once per plugin below; the other plugins go on
                    first, count = errors.get(name, (exc, 0))
                    errors[name] = (first, count + 1)
                    failed.setdefault(i, set()).add(name)
                    continue
                found.setdefault(i, []).extend((name, item) for item in items)
        for name, (error, count) in errors.items():
            self._fault(name, "duban_check_responsibility", error)
            if count > 1:
                self.faults[-1].error += f"（本次共 {count} 项责任出错）"
        return ResponsibilityChecks(
            plugins=tuple(impl.plugin_name for impl in impls),
            found={i: tuple(f) for i, f in found.items()},
            failed={i: frozenset(f) for i, f in failed.items()},
            faults=tuple(
                (name, f"{type(exc).__name__}: {exc}", count) for name, (exc, count) in errors.items()
            ),
        )

    # ------------------------------------------------------------------ reporting

    def faults_by_plugin(self) -> dict[str, list[PluginFault]]:
        out: dict[str, list[PluginFault]] = {}
        for fault in self.faults:
            out.setdefault(fault.plugin, []).append(fault)
        return out

    def describe(self) -> list[dict[str, Any]]:
        """Every plugin with its version, origin, hooks and faults (for ``duban plugins``)."""
        faults = self.faults_by_plugin()
        rows = []
        for name in sorted(self.infos):
            info = self.infos[name]
            rows.append(
                {
                    "name": name,
                    "version": info.version,
                    "builtin": info.builtin,
                    "module": info.module,
                    "hooks": info.hooks,
                    "errors": [{"stage": f.stage, "error": f.error} for f in faults.get(name, [])],
                }
            )
        return rows
