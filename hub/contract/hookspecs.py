"""The hooks a billing-hub plugin can implement.

Every hook is named ``hub_<what it is about>``. Registration hooks
(``hub_connectors``) answer "what do you offer?" with small typed objects;
the objects do the work. Observer hooks (``hub_records_pulled``,
``hub_sync_finished``) are told what happened; one observer's failure is
logged and does not stop the others or the sync.

A plugin is a module (or object) with functions decorated by
:data:`hookimpl`, registered through the ``billing_hub`` entry-point group::

    # pyproject.toml of your package
    [project.entry-points.billing_hub]
    acme = "acme_billing.plugin"

    # acme_billing/plugin.py
    from hub.contract.hookspecs import hookimpl
    from hub.contract.connector import ConnectorSpec, EntitySupport

    @hookimpl
    def hub_connectors():
        yield ConnectorSpec(name="acme", description="ACME ERP", config_model=AcmeConfig,
                            entities=(EntitySupport("invoice"),), factory=AcmeConnector)

An implementation may take fewer arguments than the spec names, so hooks can
gain arguments without breaking existing plugins.

Registration hooks are called one plugin at a time by one collector with one
policy (:mod:`hub.plugins.offers`): a plugin whose registration hook raises,
answers anything but the hook's objects, or offers a name another plugin (or
the hub's built-in plugin, registered first) already offers is listed as
broken by ``billing-hub plugins`` with the reason, and takes no part at all.

Compatibility policy
--------------------
The hooks below, and the objects they exchange (:mod:`hub.contract.connector`:
``ConnectorSpec``, ``EntitySupport``, ``Connector``, ``Page``, ``PushChange``,
``PushResult``, ``WebhookDelivery``, ``ChangeHint``; :mod:`hub.contract.rules`:
``FindingRuleSpec``, ``MatchRuleSpec``, ``Finding``, ``Suggestion``, the rows and
the protocols a rule is handed), are billing-hub's public plugin API.
Within a major version (all of 0.x counts as one), a plugin written against
an earlier release keeps working:

- hooks are only added, never removed or renamed;
- an existing hook only gains arguments, never loses or renames one, and its
  implementations keep receiving only the arguments they name, so a new
  argument is invisible to a plugin that does not ask for it;
- a hook never changes between broadcast and ``firstresult``, and what its
  answer means never changes: a new meaning gets a new hook;
- registration objects and ``Connector`` only gain fields and methods with a
  default (an optional capability's base method raises
  ``NotImplementedError``, and plugins declare it before the hub calls it).

Anything to be removed is first deprecated for at least one minor release,
with a warning naming the replacement, and removed only at the next major
version. ``tests/core/test_hookspec_signatures.py`` pins every hook's name,
arguments and options: a change to a spec fails it, and changing the pinned
list is a decision to record in the release notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

from hub.contract.connector import ConnectorSpec
from hub.contract.outcomes import EntityCounts, RunSummary
from hub.contract.rules import FindingRuleSpec, MatchRule, MatchRuleSpec

if TYPE_CHECKING:
    from hub.contract.demo import DemoService

PROJECT = "billing_hub"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class HubSpec:
    """The hook specifications of billing-hub."""

    @hookspec
    def hub_connectors(self) -> Iterable[ConnectorSpec]:  # type: ignore[empty-body]
        """Offer connector types.

        Return or yield :class:`hub.contract.connector.ConnectorSpec` objects. Each
        name must be unique across installed plugins; a config selects one
        with ``type = "<name>"``. Each :class:`~hub.contract.connector.EntitySupport`
        declares what the connector does with that entity (``pull``,
        ``push``, ``incremental``, ``webhook``); the hub relies on it, and the
        contract test kit (:mod:`hub.testing`) checks that the connector does
        exactly that. Called once when the plugins load; a plugin that raises
        here, or yields anything but specs, is listed as broken and offers
        nothing. Example::

            @hookimpl
            def hub_connectors():
                yield ConnectorSpec(
                    name="acme", description="ACME ERP invoices",
                    config_model=AcmeConfig,
                    entities=(EntitySupport("invoice", incremental=True),),
                    factory=AcmeConnector,
                )
        """

    @hookspec
    def hub_records_pulled(self, source: str, entity: str, counts: EntityCounts) -> None:
        """Observe one committed page of a pull.

        Called after the page's transaction committed, with the counts of that
        page only (created, updated, unchanged, quarantined). Useful for
        metrics and progress in other front ends. Example::

            @hookimpl
            def hub_records_pulled(source, entity, counts):
                statsd.incr(f"billing_hub.{source}.{entity}.created", counts.created)
        """

    @hookspec
    def hub_sync_finished(self, summary: RunSummary) -> None:
        """Observe the end of a sync run, successful or not.

        ``summary`` holds the run id, the connector, the status, the counts per
        entity and the error, if any. Example::

            @hookimpl
            def hub_sync_finished(summary):
                if summary.status != "succeeded":
                    pager.alert(f"billing-hub sync of {summary.connector} failed")
        """

    @hookspec
    def hub_match_rules(self) -> Iterable[MatchRuleSpec | MatchRule]:  # type: ignore[empty-body]
        """Offer rules that suggest which invoices an unapplied payment pays.

        Return or yield :class:`hub.contract.rules.MatchRuleSpec` objects: a
        unique ``name`` and a ``rule(payment, open_invoices)`` that yields
        :class:`hub.contract.rules.Suggestion` objects (the invoices, the amounts
        to apply in minor units, a confidence from 0 to 1, the reason in words,
        and the evidence's name). ``payment`` is a
        :class:`hub.contract.rows.PaymentRow` (amounts in minor units);
        ``open_invoices`` (:class:`hub.contract.rules.OpenInvoices`) finds open
        invoices by number (``numbers_in``, ``open_by_number``), by customer
        (``by_customer``, ``payer_invoices``) and says the amount tolerance.
        Every unapplied receipt is shown to each rule in turn, in booking
        order with what earlier receipts pay already deducted, the built-in
        ones (``memo_reference``, ``payer_amount``) first; the suggestions of
        all of them are ranked together by confidence, and the best one at or
        above ``[reconcile.matching] confident`` is the receipt's decision
        (give ``Suggestion.kind``, or the hub derives it from the amounts). A
        plain callable ``rule(payment, open_invoices)``, as this hook took before
        ``MatchRuleSpec``, is still accepted: it is named ``<plugin>.<function name>``.
        Example, for a bank that writes the customer number into the memo::

            from hub import MatchRuleSpec, Suggestion, hookimpl

            def customer_number_in_memo(payment, open_invoices):
                for inv in open_invoices.by_customer.get(f"r:{payment.memo[:6]}", ()):
                    if inv.balance == payment.unapplied and inv.currency == payment.currency:
                        yield Suggestion([inv], [inv.balance], 0.8,
                                         "the memo starts with the customer number",
                                         "customer_number")

            @hookimpl
            def hub_match_rules():
                yield MatchRuleSpec(name="customer_number_in_memo",
                                    rule=customer_number_in_memo,
                                    description="the customer number in the memo")
        """

    @hookspec
    def hub_finding_rules(self) -> Iterable[FindingRuleSpec]:  # type: ignore[empty-body]
        """Offer finding rules to the reconciler, with the kinds of finding they report.

        Return or yield :class:`hub.contract.rules.FindingRuleSpec` objects: a
        unique ``name``, the ``kinds`` the rule reports with each one's default
        :class:`~hub.contract.rules.Severity` (a kind is named like
        ``no_due_date`` and belongs to one rule: the built-in kinds cannot be
        taken over), and ``find(context)``, which yields
        :class:`hub.contract.rules.Finding` objects of those kinds. ``context``
        (:class:`hub.contract.rules.RuleContext`) holds the run's invoices,
        payments, customers and bank credits, the open invoices, and
        ``suggest(payment)``. Each run calls every rule once, the built-in ones
        first; a finding's ``key`` must name the problem, not the run, so that
        the next run finds the same finding again (and resolves it when the
        rule no longer yields it). A rule that raises, or yields a kind it did
        not register, fails the run, and no stored finding changes. The kinds
        are offered by ``billing-hub findings list --kind``, the web page's
        filter and the report. Example, for open invoices that no reminder chases::

            from hub import Finding, FindingRuleSpec, Severity, from_minor_units, hookimpl

            def open_without_due_date(context):
                for inv in context.invoices:
                    if inv.due_date is None and inv.balance > 0 and inv.status == "open":
                        yield Finding(
                            key=f"no_due_date:{inv.source}:{inv.external_id}",
                            kind="no_due_date", record_ids=[inv.id],
                            explanation=f"{inv.number} has no due date.",
                            currency=inv.currency, customer=inv.customer,
                            money_at_stake=from_minor_units(inv.balance, inv.currency))

            @hookimpl
            def hub_finding_rules():
                yield FindingRuleSpec(name="open_without_due_date",
                                      kinds={"no_due_date": Severity.LOW},
                                      find=open_without_due_date,
                                      description="an open invoice with no due date")
        """

    @hookspec
    def hub_demo_services(self) -> Iterable[DemoService]:  # type: ignore[empty-body]
        """Offer a seeded local fake of the plugin's system to ``billing-hub demo``.

        Return or yield :class:`hub.contract.demo.DemoService` objects. While
        the demo syncs, each one's fake runs and its connector is added to the
        demo's config (unless the config already names that instance); it is
        stopped afterwards. Only the demo calls this hook, when it starts; a
        plugin that raises here, yields anything but demo services, or names an
        instance another plugin's service has, is logged, marked broken and
        left out. Example::

            @hookimpl
            def hub_demo_services():
                server = FakeAcme(seed=1)
                yield DemoService(
                    instance="acme", connector_type="acme",
                    description="a simulated ACME ERP with 40 invoices",
                    start=lambda: {"base_url": server.start(), "token": SecretStr("demo")},
                    stop=server.stop,
                )
        """
