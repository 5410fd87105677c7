"""One typed collector for every registration hook, with one failure policy.

In the spirit of conda's ``get_hook_results``: each registration hook is
described once (:class:`Offer`: the hook, the type of object it answers
with, the names each object takes) and collected by the same loop,
:func:`take_offers`, one plugin at a time. The policy, the same for every hook:

- a plugin answers completely or not at all: if its hook raises, returns one
  object instead of a list of them, or yields anything but the hook's type,
  it is **broken**: its error is recorded (``billing-hub plugins`` shows it,
  the log says it), it is unregistered, and nothing it offered through any
  hook is used;
- every name an object takes (a connector type, a finding rule, a finding
  kind, a match rule, a demo instance) must be valid and unique: a name that
  an earlier plugin took (the hub's own plugins come first) or that the
  plugin offers twice makes the plugin broken the same way.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

import pluggy

from hub.contract.connector import ConnectorSpec
from hub.contract.demo import DemoService
from hub.contract.rules import KIND_NAME, FindingRuleSpec, MatchRuleSpec, Severity

log = logging.getLogger("hub.plugins")

T = TypeVar("T")
NAME = re.compile(r"\S{1,100}")
"""A name people can type: no spaces, at most 100 characters."""


@dataclass(slots=True)
class PluginInfo:
    """One plugin as the hub sees it: where it comes from, and what it offers or why
    it is broken."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    error: str | None = None
    connectors: list[ConnectorSpec] = field(default_factory=list)
    finding_rules: list[FindingRuleSpec] = field(default_factory=list)
    match_rules: list[MatchRuleSpec] = field(default_factory=list)
    demo_services: list[DemoService] = field(default_factory=list)
    builtin: bool = False
    """One of the hub's own plugins (:data:`hub.plugins.DEFAULT_PLUGINS`)."""

    @property
    def broken(self) -> bool:
        return self.error is not None


def _as_is(item: object, plugin: str) -> object:
    return item


def _fine(item: Any) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Offer(Generic[T]):
    """A registration hook, as the collector reads its answers."""

    hook: str
    type: type[T]
    held: Callable[[PluginInfo], list[T]]
    """Where a plugin's accepted objects are kept."""
    names: Callable[[T], Iterable[tuple[str, str]]]
    """The names an object takes, each with what it names (``("connector", "csv")``)."""
    accept: Callable[[object, str], object] = _as_is
    """Turns an older form of answer into the hook's type (given the plugin's name)."""
    check: Callable[[T], str | None] = _fine
    """What is wrong with an object beyond its type, if anything."""


def _as_match_rule(item: object, plugin: str) -> object:
    """A bare ``rule(payment, open_invoices)``, as ``hub_match_rules`` first took, in a
    spec named ``<plugin>.<function name>``."""
    if isinstance(item, MatchRuleSpec) or not callable(item):
        return item
    name = getattr(item, "__name__", None) or type(item).__name__
    return MatchRuleSpec(name=f"{plugin}.{name}", rule=item)


def _check_finding_rule(spec: FindingRuleSpec) -> str | None:
    if not callable(spec.find):
        return f"finding rule {spec.name!r}: find is not callable"
    if not spec.kinds:
        return f"finding rule {spec.name!r} registers no kind"
    for kind, severity in spec.kinds.items():
        if not isinstance(kind, str) or not KIND_NAME.fullmatch(kind):
            return (f"finding rule {spec.name!r}: kind {kind!r} is not a valid name "
                    "(lower-case letters, digits and '_', starting with a letter)")
        if not isinstance(severity, Severity):
            return f"finding rule {spec.name!r}: the severity of {kind!r} is not a Severity"
    return None


def _check_match_rule(spec: MatchRuleSpec) -> str | None:
    return None if callable(spec.rule) else f"match rule {spec.name!r}: rule is not callable"


CONNECTORS = Offer("hub_connectors", ConnectorSpec, lambda info: info.connectors,
                   lambda spec: [("connector", spec.name)])
FINDING_RULES = Offer(
    "hub_finding_rules", FindingRuleSpec, lambda info: info.finding_rules,
    lambda spec: [("finding rule", spec.name), *(("finding kind", k) for k in spec.kinds)],
    check=_check_finding_rule)
MATCH_RULES = Offer("hub_match_rules", MatchRuleSpec, lambda info: info.match_rules,
                    lambda spec: [("match rule", spec.name)], accept=_as_match_rule,
                    check=_check_match_rule)
DEMO_SERVICES = Offer("hub_demo_services", DemoService, lambda info: info.demo_services,
                      lambda service: [("demo instance", service.instance)])
LOADED: tuple[Offer[Any], ...] = (CONNECTORS, FINDING_RULES, MATCH_RULES)
"""The hooks collected when the plugins load. ``hub_demo_services`` is collected when
the demo asks (:func:`hub.plugins.demo_services`): answering may build a fake."""
EVERY: tuple[Offer[Any], ...] = (*LOADED, DEMO_SERVICES)


class Refused(Exception):
    """Why a plugin's answer to ``hook`` is refused."""

    def __init__(self, hook: str, reason: str) -> None:
        super().__init__(reason)
        self.hook = hook


def short_error(exc: BaseException) -> str:
    """The exception and where it was raised, on one line."""
    frame = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" ({frame[0].filename}:{frame[0].lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"


def answers(pm: pluggy.PluginManager, plugin: object, name: str, offer: Offer[T]) -> list[T]:
    """Call ``plugin``'s implementation of ``offer``'s hook alone and check its answer."""
    caller = getattr(pm.hook, offer.hook)
    kind = offer.type.__name__
    found: list[T] = []
    for impl in (i for i in caller.get_hookimpls() if i.plugin is plugin):
        try:
            answer = impl.function()
            if isinstance(answer, offer.type):
                raise Refused(offer.hook, f"{offer.hook} returned one {kind}: return a list "
                                          "of them or yield each one")
            items = list(cast("Iterable[object] | None", answer) or ())
        except Refused:
            raise
        except Exception as exc:
            raise Refused(offer.hook, f"{offer.hook} failed: {short_error(exc)}") from exc
        for item in items:
            item = offer.accept(item, name)
            if not isinstance(item, offer.type):
                raise Refused(offer.hook,
                              f"{offer.hook} yielded {type(item).__name__}, expected {kind}")
            problem = offer.check(item)
            if problem is not None:
                raise Refused(offer.hook, problem)
            found.append(item)
    return found


def _check_names(offered: Sequence[tuple[Offer[Any], list[Any]]],
                 seen: dict[tuple[str, str], str]) -> None:
    mine: set[tuple[str, str]] = set()
    for offer, items in offered:
        for item in items:
            for noun, name in offer.names(item):
                if not isinstance(name, str) or not NAME.fullmatch(name):
                    raise Refused(offer.hook, f"{noun} name {name!r} is not valid (no spaces, "
                                              "at most 100 characters)")
                if (noun, name) in seen:
                    raise Refused(offer.hook, f"{noun} {name!r} is already offered by plugin "
                                              f"{seen[(noun, name)]!r}")
                if (noun, name) in mine:
                    raise Refused(offer.hook, f"{noun} {name!r} is offered twice by this plugin")
                mine.add((noun, name))


def take_offers(pm: pluggy.PluginManager, plugin: object, info: PluginInfo,
                offers: Sequence[Offer[Any]], seen: dict[tuple[str, str], str]) -> bool:
    """Collect what ``plugin`` offers through ``offers`` into ``info``, or make it broken.

    ``seen`` holds the names taken so far (name -> plugin) and gains the plugin's.
    """
    try:
        offered = [(offer, answers(pm, plugin, info.name, offer)) for offer in offers]
        _check_names(offered, seen)
    except Refused as refused:
        info.error = str(refused)
        for offer in EVERY:
            offer.held(info).clear()
        if pm.is_registered(plugin):
            pm.unregister(plugin)
        log.error("plugin %s failed in %s and takes no part: %s", info.name, refused.hook,
                  info.error)
        return False
    for offer, items in offered:
        offer.held(info)[:] = items
        for item in items:
            for key in offer.names(item):
                seen[key] = info.name
    return True
