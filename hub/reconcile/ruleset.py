"""The rules one reconcile run applies, as the plugins registered them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from hub.contract.rules import Finding, FindingRuleSpec, MatchRuleSpec, RuleContext, Severity
from hub.errors import PluginError
from hub.plugins import PluginRegistry, load_plugins
from hub.reconcile.kinds import Kind


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Finding rules and match rules in the order they run (the built-in ones first)."""

    finding: tuple[FindingRuleSpec, ...] = ()
    match: tuple[MatchRuleSpec, ...] = ()

    @property
    def kinds(self) -> dict[str, Severity]:
        """Every kind of finding the rules report, with its default severity."""
        return {kind: severity for spec in self.finding for kind, severity in spec.kinds.items()}

    def kind_names(self) -> list[str]:
        """The kinds as people pick them: the built-in ones in their usual order
        (:class:`hub.reconcile.kinds.Kind`), then the plugins' in the order registered."""
        kinds = self.kinds
        builtin: list[str] = [k.value for k in Kind if k.value in kinds]
        return builtin + [k for k in kinds if k not in builtin]

    @classmethod
    def of(cls, registry: PluginRegistry, *, whole: bool = True) -> RuleSet:
        """The rules the plugins of ``registry`` registered, the built-in ones first.

        With ``whole`` (for a run), refuses (:class:`PluginError`) when the hub's own
        rules plugin is broken; without it, what there is (to list the kinds).
        """
        return cls(registry.finding_rules(whole=whole), registry.match_rules(whole=whole))

    @staticmethod
    def builtin() -> RuleSet:
        """The built-in rules alone, collected from their plugin as the loader does."""
        return _builtin()

    def findings(self, context: RuleContext) -> Iterator[Finding]:
        """Every finding rule's findings, in order, each checked against what its rule
        registered; a finding left without a severity gets its kind's default."""
        for spec in self.finding:
            try:
                for finding in spec.find(context):
                    if not isinstance(finding, Finding):
                        raise PluginError(f"finding rule {spec.name!r} yielded "
                                          f"{type(finding).__name__}, expected Finding")
                    severity = spec.kinds.get(finding.kind)
                    if severity is None:
                        raise PluginError(
                            f"finding rule {spec.name!r} reported kind {finding.kind!r}, "
                            f"which it did not register ({', '.join(spec.kinds)})")
                    if finding.severity is None:
                        finding.severity = severity
                    yield finding
            except PluginError:
                raise
            except Exception as exc:
                exc.add_note(f"(in finding rule {spec.name!r})")
                raise


@cache
def _builtin() -> RuleSet:
    return RuleSet.of(load_plugins(entry_points_group=None))
