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

Compatibility policy
--------------------
The hooks below, and the objects they exchange (:mod:`hub.contract.connector`:
``ConnectorSpec``, ``EntitySupport``, ``Connector``, ``Page``, ``PushChange``,
``PushResult``, ``WebhookDelivery``, ``ChangeHint``), are billing-hub's public
plugin API. Within a major version (all of 0.x counts as one), a plugin
written against an earlier release keeps working:

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

if TYPE_CHECKING:
    from hub.contract.demo import DemoService
    from hub.reconcile.matching import MatchRule

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
    def hub_match_rules(self) -> Iterable[MatchRule]:  # type: ignore[empty-body]
        """Offer extra rules for suggesting what an unapplied payment pays.

        Return or yield callables ``rule(payment, open_invoices)`` that yield
        :class:`hub.reconcile.matching.Suggestion` objects. ``payment`` is a
        :class:`hub.reconcile.snapshot.PaymentRow` (amounts in minor units);
        ``open_invoices`` finds open invoices by number (``open_by_number``) and by
        customer (``by_customer``).
        Suggestions from every rule are ranked together by confidence.
        Example, for a bank that writes the customer number into the memo::

            @hookimpl
            def hub_match_rules():
                def customer_number_in_memo(payment, open_invoices):
                    for inv in open_invoices.by_customer.get(f"r:{payment.memo[:6]}", ()):
                        if inv.balance == payment.unapplied:
                            yield Suggestion([inv], [inv.balance], 0.8,
                                             "the memo starts with the customer number",
                                             "customer_number")
                yield customer_number_in_memo
        """

    @hookspec
    def hub_demo_services(self) -> Iterable[DemoService]:  # type: ignore[empty-body]
        """Offer a seeded local fake of the plugin's system to ``billing-hub demo``.

        Return or yield :class:`hub.contract.demo.DemoService` objects. While
        the demo syncs, each one's fake runs and its connector is added to the
        demo's config (unless the config already names that instance); it is
        stopped afterwards. A plugin that raises here is logged and left out of
        the demo. Example::

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
