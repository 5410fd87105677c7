"""Finding and loading plugins, and collecting what they offer.

The hub's own plugins (:data:`DEFAULT_PLUGINS`: the reconciler's rules) are
registered first, as datasette and llm register theirs, then every plugin of
the ``billing_hub`` entry-point group. pluggy's own
``load_setuptools_entrypoints`` stops at the first plugin that fails to
import; this loader records a broken plugin with its error instead
(``billing-hub plugins`` shows it) and refuses to go on only when the config
actually uses a connector that the broken plugin would have provided.

What plugins offer is collected by one typed collector
(:mod:`hub.plugins.offers`), with one policy for every registration hook.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import EntryPoint, PackageNotFoundError, entry_points, version
from typing import TypeVar

import pluggy

from hub.contract import hookspecs
from hub.contract.connector import ConnectorSpec
from hub.contract.demo import DemoService
from hub.contract.rules import FindingRuleSpec, MatchRuleSpec
from hub.errors import PluginError
from hub.plugins.offers import (
    CONNECTORS,
    DEMO_SERVICES,
    FINDING_RULES,
    LOADED,
    MATCH_RULES,
    Offer,
    PluginInfo,
    short_error,
    take_offers,
)

__all__ = ["DEFAULT_PLUGINS", "ENTRY_POINT_GROUP", "PluginInfo", "PluginRegistry",
           "collect", "demo_services", "load_plugins", "new_manager",
           "notify"]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "billing_hub"
DEFAULT_PLUGINS: dict[str, str] = {"reconciler": "hub.reconcile.default_rules"}
"""The hub's own plugins, name -> module, registered before any installed plugin."""
DISTRIBUTION = "billing-hub"

T = TypeVar("T")


@dataclass(slots=True)
class PluginRegistry:
    """A plugin manager with every plugin found, working or broken."""

    manager: pluggy.PluginManager
    plugins: list[PluginInfo]

    def offered(self, offer: Offer[T]) -> list[T]:
        """What the working plugins offer through ``offer``'s hook, in load order."""
        return [item for info in self.plugins if not info.broken for item in offer.held(info)]

    def connector_specs(self) -> dict[str, ConnectorSpec]:
        return {spec.name: spec for spec in self.offered(CONNECTORS)}

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

    def finding_rules(self, *, whole: bool = True) -> tuple[FindingRuleSpec, ...]:
        """The finding rules the plugins registered, the built-in ones first.

        With ``whole``, refuses (:class:`PluginError`) when one of the hub's own
        plugins is broken: a run without the built-in rules would resolve every
        finding they made. Without it, what there is (to list the kinds, say).
        """
        if whole:
            self._builtins_whole()
        return tuple(self.offered(FINDING_RULES))

    def match_rules(self, *, whole: bool = True) -> tuple[MatchRuleSpec, ...]:
        """The match rules the plugins registered, the built-in ones first (``whole`` as
        for :meth:`finding_rules`)."""
        if whole:
            self._builtins_whole()
        return tuple(self.offered(MATCH_RULES))

    def _builtins_whole(self) -> None:
        for info in self.plugins:
            if info.builtin and info.broken:
                raise PluginError(
                    f"the hub's own plugin {info.name!r} ({info.module}) is broken: "
                    f"{info.error}", hint="reinstall billing-hub; `billing-hub plugins` "
                                          "shows every plugin")


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


def _own_version() -> str | None:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return None


@dataclass(frozen=True, slots=True)
class _Candidate:
    name: str
    module: str
    entry_point: EntryPoint | None = None
    plugin: object | None = None
    builtin: bool = False

    def load(self) -> object:
        if self.entry_point is not None:
            return self.entry_point.load()
        if self.builtin:
            return import_module(self.module)
        return self.plugin


def _candidates(extra: Sequence[tuple[str, object]], group: str | None) -> list[_Candidate]:
    found = [_Candidate(name, module, builtin=True) for name, module in DEFAULT_PLUGINS.items()]
    if group is not None:
        found += [_Candidate(ep.name, ep.value, entry_point=ep)
                  for ep in sorted(entry_points(group=group), key=lambda e: e.name)]
    found += [_Candidate(name, repr(obj), plugin=obj) for name, obj in extra]
    return found


def load_plugins(
    extra: Sequence[tuple[str, object]] = (),
    *,
    entry_points_group: str | None = ENTRY_POINT_GROUP,
) -> PluginRegistry:
    """Load the hub's own plugins, every plugin of the entry-point group (none when
    ``entry_points_group`` is ``None``), then ``extra`` (name, module) pairs.

    Never raises for a broken plugin: it is recorded with its error and
    takes no further part (none of its hooks is called). The registration
    hooks of :data:`hub.plugins.offers.LOADED` are collected here; two plugins
    offering the same name: the first one loaded wins and the second is
    marked broken with the clash as its error.
    """
    pm = new_manager()
    infos: list[PluginInfo] = []
    seen: dict[tuple[str, str], str] = {}
    own_version = _own_version()
    for candidate in _candidates(extra, entry_points_group):
        dist, dist_version = (_describe(candidate.entry_point) if candidate.entry_point
                              else (DISTRIBUTION, own_version) if candidate.builtin
                              else (None, None))
        info = PluginInfo(name=candidate.name, module=candidate.module, distribution=dist,
                          version=dist_version, builtin=candidate.builtin)
        infos.append(info)
        if pm.has_plugin(candidate.name):
            info.error = f"another plugin is already loaded under the name {candidate.name!r}"
            log.warning("plugin %s left out: %s", candidate.name, info.error)
            continue
        try:
            plugin = candidate.load()
            pm.register(plugin, name=candidate.name)
        except Exception as exc:
            info.error = short_error(exc)
            log.warning("plugin %s failed to load: %s", candidate.name, info.error)
            continue
        take_offers(pm, plugin, info, LOADED, seen)
    return PluginRegistry(manager=pm, plugins=infos)


def collect(registry: PluginRegistry, offer: Offer[T]) -> list[T]:
    """Collect a registration hook that is not collected at load, by the same policy.

    A plugin registered on the manager directly is recorded on the way.
    """
    infos = {info.name: info for info in registry.plugins}
    seen: dict[tuple[str, str], str] = {}
    for name, plugin in registry.manager.list_name_plugin():
        info = infos.get(name)
        if info is None:
            info = PluginInfo(name=name, module=repr(plugin))
            registry.plugins.append(info)
        if not info.broken:
            take_offers(registry.manager, plugin, info, (offer,), seen)
    return registry.offered(offer)


def demo_services(registry: PluginRegistry) -> list[DemoService]:
    """Every demo service the plugins offer, collected now: only the demo asks, and a
    plugin's answer may build its fake. A plugin that fails here is broken from now on."""
    return collect(registry, DEMO_SERVICES)


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
