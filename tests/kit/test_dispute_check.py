"""DisputeRecordsCheck refuses a dispute the hub could not act on, saying what to change."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from hub.models import Customer, Dispute
from hub.testing.checks import ContractViolation
from hub.testing.checks.disputes import check_dispute


def dispute(**changes: Any) -> Dispute:
    fields: dict[str, Any] = {
        "source": "contract", "external_id": "dp_1", "raw": {"id": "dp_1"},
        "amount": Decimal("40.00"), "currency": "USD",
        "opened_at": datetime(2026, 12, 1, tzinfo=UTC), "evidence_due": date(2026, 12, 20),
        "payment_ref": "contract:payment:ch_1", "invoice_refs": ["contract:invoice:in_1"],
        "invoice_numbers": ["INV-1"], "customer_ref": "contract:customer:cus_1",
        **changes}
    return Dispute.model_validate(fields)


def test_a_complete_dispute_passes() -> None:
    check_dispute(dispute())


@pytest.mark.parametrize(("record", "message"), [
    (Customer(source="contract", external_id="dp_1", name="x"), "not a hub.Dispute"),
    (dispute(raw={}), "no raw payload"),
    (dispute(amount=None, currency=None), "no amount and currency"),
    (dispute(opened_at=datetime(2026, 12, 1)), "has no time zone"),  # noqa: DTZ001
    (dispute(payment_ref=None, invoice_refs=[], invoice_numbers=[]),
     "neither a payment_ref nor invoice_refs"),
    (dispute(invoice_refs=["in_1"]), "expected contract:invoice:ID"),
    (dispute(payment_ref="stripe:payment:ch_1"), "expected contract:payment:ID"),
    (dispute(customer_ref="cus_1"), "expected contract:customer:ID"),
    (dispute(invoice_numbers=[]), "give each invoice's number"),
    (dispute(evidence_due=date(2026, 11, 1)), "before it was opened"),
])
def test_a_dispute_the_hub_cannot_act_on_is_refused(record: object, message: str) -> None:
    with pytest.raises(ContractViolation, match=message):
        check_dispute(record)
