"""Checks of disputes: what a dispute record must carry for the hub to act on it."""

from __future__ import annotations

from hub.models import Dispute
from hub.testing.checks.base import EntityCheck
from hub.testing.checks.context import INSTANCE
from hub.testing.checks.errors import CheckSkipped, ContractViolation

__all__ = ["DisputeRecordsCheck", "check_dispute"]


def _named(ref: str, entity: str) -> bool:
    """Whether ``ref`` is a record name ``SOURCE:ENTITY:ID`` of ``entity``."""
    parts = ref.split(":", 2)
    return len(parts) == 3 and parts[1] == entity and all(parts)


class DisputeRecordsCheck(EntityCheck):
    """A pulled dispute is a :class:`~hub.models.Dispute` the hub can act on.

    For a connector that pulls an entity named ``dispute``: every seeded
    dispute comes back as a ``Dispute`` with the raw payload, its amount and
    currency, when it was opened (time-zone aware), and what it disputes: a
    ``payment_ref`` (``SOURCE:payment:ID``) or ``invoice_refs``
    (``SOURCE:invoice:ID``), named as the hub names the records the same
    connector pulls (so an open dispute holds the reminders of its invoice
    and a lost one takes its amount off that payment). Each invoice ref has
    its number in ``invoice_numbers``; an ``evidence_due`` is not before the
    day it was opened; ``customer_ref``, when given, is ``SOURCE:customer:ID``.
    Where the connector also pulls invoices or payments, every ref names a
    record that pull returns, and at least one seeded dispute names its invoice.
    """

    name = "disputes"
    test = "test_disputes_carry_what_the_hub_acts_on"
    requires = "pull"

    def run(self, entity: str) -> None:
        if entity != "dispute":
            raise CheckSkipped("only for an entity named dispute")
        seeded = set(self.context.seed(entity))
        got = [r for page in self.context.pull(entity) for r in page.records
               if r.external_id in seeded]
        if not got:
            raise ContractViolation("a pull of the seeded disputes returned none of them")
        for record in got:
            check_dispute(record)
        pulled = {e for e in self.context.entities()}
        for other, refs in (("invoice", [r for d in got if isinstance(d, Dispute)
                                          for r in d.invoice_refs]),
                            ("payment", [d.payment_ref for d in got if isinstance(d, Dispute)
                                         and d.payment_ref])):
            if other not in pulled:
                continue
            ids = {r.external_id for page in self.context.pull(other) for r in page.records}
            unknown = [ref for ref in refs if ref.split(":", 2)[2] not in ids]
            if unknown:
                raise ContractViolation(
                    f"disputes name {', '.join(unknown[:3])}, which a pull of {other} does not "
                    f"return: name the {other} by the id the connector gives it there")
            if other == "invoice" and not refs:
                raise ContractViolation(
                    "no seeded dispute names its invoice: seed disputes of payments that paid "
                    "invoices, and map the invoice into invoice_refs")



def check_dispute(record: object, source: str = INSTANCE) -> None:
    """Raise :class:`ContractViolation` unless ``record`` is a dispute of ``source`` that
    carries what :class:`DisputeRecordsCheck` asks."""
    if not isinstance(record, Dispute):
        raise ContractViolation(
            f"a dispute was pulled as a {type(record).__name__}, not a hub.Dispute")
    where = f"dispute {record.external_id}"
    if not record.raw:
        raise ContractViolation(f"{where} has no raw payload: keep what the system sent")
    if record.amount is None or record.currency is None:
        raise ContractViolation(f"{where} has no amount and currency: say what is disputed")
    if record.opened_at.tzinfo is None:
        raise ContractViolation(f"{where} opened_at {record.opened_at} has no time zone")
    if not record.payment_ref and not record.invoice_refs:
        raise ContractViolation(
            f"{where} names neither a payment_ref nor invoice_refs: link it to what it "
            "disputes")
    for ref, kind in ([(r, "invoice") for r in record.invoice_refs]
                      + [(record.payment_ref, "payment")] * bool(record.payment_ref)
                      + [(record.customer_ref, "customer")] * bool(record.customer_ref)):
        assert ref is not None
        if not _named(ref, kind) or not ref.startswith(f"{source}:"):
            raise ContractViolation(
                f"{where} names {ref!r}; expected {source}:{kind}:ID (the connector's "
                "own name, as hub.record_name(source, entity, id) gives it)")
    if len(record.invoice_numbers) < len(record.invoice_refs):
        raise ContractViolation(
            f"{where} names {len(record.invoice_refs)} invoice(s) but "
            f"{len(record.invoice_numbers)} number(s): give each invoice's number")
    if record.evidence_due is not None and record.evidence_due < record.opened_at.date():
        raise ContractViolation(
            f"{where} has evidence due {record.evidence_due}, before it was opened "
            f"({record.opened_at.date()})")
