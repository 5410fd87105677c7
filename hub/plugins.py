"""Finding and loading plugins through the ``billing_hub`` entry points.

pluggy's own ``load_setuptools_entrypoints`` stops at the first plugin that
fails to import. This loader records a broken plugin with its error instead
(``billing-hub plugins`` shows it) and refuses to go on only when the config
actually uses a connector that the broken plugin would have provided.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, cast

import pluggy

from hub.contract import hookspecs
from hub.contract.connector import ConnectorSpec
from hub.contract.demo import DemoService
from hub.errors import PluginError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "billing_hub"


@dataclass(slots=True)
class PluginInfo:
    """One installed plugin as the hub sees it."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    error: str | None = None
    connectors: list[ConnectorSpec] = field(default_factory=list)

    @property
    def broken(self) -> bool:
        return self.error is not None


@dataclass(slots=True)
class PluginRegistry:
    """A plugin manager with every plugin found, working or broken."""

    manager: pluggy.PluginManager
    plugins: list[PluginInfo]

    def connector_specs(self) -> dict[str, ConnectorSpec]:
        specs: dict[str, ConnectorSpec] = {}
        for info in self.plugins:
            for spec in info.connectors:
                specs.setdefault(spec.name, spec)
        return specs

    def connector_spec(self, name: str) -> ConnectorSpec:
        """The spec of connector type ``name``, or a :class:`PluginError` saying why not."""
        specs = self.connector_specs()
        if name in specs:
            return specs[name]
        broken = [p for p in self.plugins if p.broken and p.name == name]
        if broken:
            raise PluginError(
                f"connector type {name!r} comes from plugin {broken[0].module!r}, "
                f"which failed to load: {broken[0].error}",
                hint="fix or reinstall that plugin; `billing-hub plugins` shows every plugin",
            )
        known = ", ".join(sorted(specs)) or "none"
        raise PluginError(
            f"no installed plugin offers connector type {name!r} (installed: {known})",
            hint="install the plugin that provides it, or fix `type` in the config",
        )


def new_manager() -> pluggy.PluginManager:
    """A fresh plugin manager with billing-hub's hook specs and no plugins."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs.HubSpec)
    return pm


def _describe(ep: EntryPoint) -> tuple[str | None, str | None]:
    dist = ep.dist
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version


def _short_error(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" ({frame[0].filename}:{frame[0].lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _collect_connectors(pm: pluggy.PluginManager, plugin: object, info: PluginInfo) -> None:
    """Call one plugin's ``hub_connectors`` alone, so its failure stays its own.

    A plugin answers completely or not at all: on any failure it offers no
    connector, and ``info.error`` says why.
    """
    impls = [i for i in pm.hook.hub_connectors.get_hookimpls() if i.plugin is plugin]
    offered: list[ConnectorSpec] = []
    for impl in impls:
        try:
            answer = impl.function()
            if isinstance(answer, ConnectorSpec):
                info.error = ("hub_connectors returned one ConnectorSpec: return a list of "
                              "them or yield each one")
                log.warning("plugin %s: %s", info.name, info.error)
                return
            items = list(cast("Iterable[object] | None", answer) or ())
        except Exception as exc:
            info.error = f"hub_connectors failed: {_short_error(exc)}"
            log.warning("plugin %s: %s", info.name, info.error)
            return
        for spec in items:
            if not isinstance(spec, ConnectorSpec):
                info.error = (
                    f"hub_connectors yielded {type(spec).__name__}, expected ConnectorSpec"
                )
                log.warning("plugin %s: %s", info.name, info.error)
                return
            offered.append(spec)
    info.connectors = offered


def _clash(info: PluginInfo, seen: dict[str, str]) -> str | None:
    """Why ``info``'s connectors cannot be offered next to those already ``seen``, if so."""
    names: set[str] = set()
    for spec in info.connectors:
        if spec.name in seen:
            return f"connector {spec.name!r} is already offered by plugin {seen[spec.name]!r}"
        if spec.name in names:
            return f"connector {spec.name!r} is offered twice by this plugin"
        names.add(spec.name)
    return None


def load_plugins(
    extra: Sequence[tuple[str, object]] = (),
    *,
    entry_points_group: str = ENTRY_POINT_GROUP,
) -> PluginRegistry:
    """Load every plugin of the entry-point group, plus ``extra`` (name, module) pairs.

    Never raises for a broken plugin: it is recorded with its error and
    takes no further part (none of its hooks is called). Two plugins offering
    the same connector name: the first one loaded wins and the second is
    marked broken with the clash as its error.
    """
    pm = new_manager()
    infos: list[PluginInfo] = []
    candidates: list[tuple[EntryPoint | None, str, object | None]] = []
    for found in sorted(entry_points(group=entry_points_group), key=lambda e: e.name):
        candidates.append((found, found.name, None))
    for name, module in extra:
        candidates.append((None, name, module))

    seen: dict[str, str] = {}
    for ep, name, obj in candidates:
        dist, version = _describe(ep) if ep else (None, None)
        info = PluginInfo(name=name, module=ep.value if ep else repr(obj), distribution=dist,
                          version=version)
        infos.append(info)
        if pm.has_plugin(name):
            info.error = f"another plugin is already loaded under the name {name!r}"
            log.warning("plugin %s left out: %s", name, info.error)
            continue
        try:
            plugin = ep.load() if ep is not None else obj
            pm.register(plugin, name=name)
        except Exception as exc:
            info.error = _short_error(exc)
            log.warning("plugin %s failed to load: %s", name, info.error)
            continue
        _collect_connectors(pm, plugin, info)
        if info.error is None:
            info.error = _clash(info, seen)
            if info.error is not None:
                log.warning("plugin %s left out: %s", name, info.error)
        if info.error is not None:
            # A broken plugin takes no part at all: none of its hooks are called.
            info.connectors = []
            pm.unregister(plugin)
            continue
        for spec in info.connectors:
            seen[spec.name] = name
    return PluginRegistry(manager=pm, plugins=infos)


def demo_services(registry: PluginRegistry) -> list[DemoService]:
    """Every demo service the plugins offer; a plugin that fails here is logged and skipped."""
    found: list[DemoService] = []
    for impl in registry.manager.hook.hub_demo_services.get_hookimpls():
        try:
            offered = cast("Iterable[Any] | None", impl.function()) or ()
            found.extend(s for s in offered if isinstance(s, DemoService))
        except Exception:
            log.exception("plugin %s failed in hub_demo_services; the demo goes on without it",
                          impl.plugin_name)
    return found


def notify(registry: PluginRegistry, hook_name: str, **kwargs: object) -> None:
    """Call an observer hook one implementation at a time, logging each failure."""
    caller = getattr(registry.manager.hook, hook_name)
    for impl in reversed(caller.get_hookimpls()):
        try:
            args = {k: v for k, v in kwargs.items() if k in impl.argnames}
            impl.function(**args)
        except Exception:
            log.exception("plugin %s failed in %s; the sync goes on", impl.plugin_name, hook_name)


def iter_connector_names(registry: PluginRegistry) -> Iterable[str]:
    return sorted(registry.connector_specs())


def match_rules(registry: PluginRegistry) -> list[Any]:
    """Every match rule the plugins offer; a plugin that fails here is logged and skipped."""
    rules: list[Any] = []
    for impl in registry.manager.hook.hub_match_rules.get_hookimpls():
        try:
            rules.extend(cast("Iterable[Any] | None", impl.function()) or ())
        except Exception:
            log.exception("plugin %s failed in hub_match_rules; its rules are left out",
                          impl.plugin_name)
    return rules
