"""Every object the simulator serves has the fields of Stripe's own sample of its
type (``tests/data/stripe/fixtures3.json``), with the same JSON types.

A field may be null where Stripe's sample is null, or where the ``stripe``
SDK (generated from Stripe's OpenAPI spec) types it ``Optional``; where the
sample is null the SDK's type says what a value must be. The comparison is
recursive and reports every difference with its path.
"""

from __future__ import annotations

import inspect
import json
import types
import typing
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from plugins.stripe.simulator import SimClock, Simulator, SimulatorServer, seed_company
from tests.simulators.stripe.frozen import NOW
from tests.support.paths import DATA

FIXTURES = DATA / "stripe" / "fixtures3.json"

SDK_CLASS: dict[str, type] = {
    "invoice": stripe.Invoice,
    "line_item": stripe.InvoiceLineItem,
    "invoiceitem": stripe.InvoiceItem,
    "invoice_payment": stripe.InvoicePayment,
    "customer": stripe.Customer,
    "charge": stripe.Charge,
    "payment_intent": stripe.PaymentIntent,
    "refund": stripe.Refund,
    "credit_note": stripe.CreditNote,
    "credit_note_line_item": stripe.CreditNoteLineItem,
    "payout": stripe.Payout,
    "balance_transaction": stripe.BalanceTransaction,
    "dispute": stripe.Dispute,
    "event": stripe.Event,
}
"""Object type -> the SDK class whose annotations say which fields are nullable."""

SAMPLE_OF = {name: name for name in SDK_CLASS}

CONDITIONAL: dict[tuple[str, str], str] = {
    ("invoice", "payments"):
        "includable: present only when expanded (Invoice.payments, basil and later)",
    ("invoice_payment", "payment.payment_intent"):
        "present when payment.type is payment_intent (InvoicePayment.payment)",
    ("event", "data.previous_attributes"):
        "present on *.updated events only (Event.data.previous_attributes)",
    ("credit_note_line_item", "invoice_line_item"):
        "absent on custom_line_item lines, as on the second line of Stripe's own sample "
        "credit note",
}
"""Fields present on some objects of a type only, with the reason."""


# ---------------------------------------------------------------- the comparison


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    """(the annotation without None, whether None was allowed)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        rest = [a for a in args if a is not type(None)]
        nullable = len(rest) < len(args)
        return (rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]), nullable  # noqa: UP007
    return annotation, False


def _allowed_types(annotation: Any) -> set[str] | None:
    """The JSON types an annotation admits (None: unknown, anything goes)."""
    annotation, _ = _strip_optional(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        out: set[str] = set()
        for arg in typing.get_args(annotation):
            allowed = _allowed_types(arg)
            if allowed is None:
                return None
            out |= allowed
        return out
    if origin is typing.Literal:
        return {_json_type(x) for x in typing.get_args(annotation)}
    if origin in (list, typing.List):  # noqa: UP006
        return {"array"}
    if annotation is str:
        return {"string"}
    if annotation is bool:
        return {"boolean"}
    if annotation is int:
        return {"integer"}
    if annotation is float:
        return {"number", "integer"}
    if isinstance(annotation, typing.ForwardRef) or (
            inspect.isclass(origin or annotation)
            and issubclass(origin or annotation, stripe.StripeObject)):
        return {"object"}
    return None


def _field(owner: Any, key: str) -> Any:
    """The annotation of ``key`` on an SDK class (or None when unknown)."""
    if owner is None:
        return None
    owner, _ = _strip_optional(owner)
    if typing.get_origin(owner) is not None or not inspect.isclass(owner):
        return None
    for klass in owner.__mro__:
        found = inspect.get_annotations(klass).get(key)
        if found is not None:
            return found
    return None


def _element(annotation: Any) -> Any:
    annotation, _ = _strip_optional(annotation)
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (list, typing.List) and args:  # noqa: UP006
        return args[0]
    return None


def compare(ours: Any, sample: Any, annotation: Any, kind: str, path: str = "") -> list[str]:
    """Every difference between one served value and Stripe's sample, with its path."""
    where = f"{kind}.{path}" if path else kind
    if ours is None:
        if sample is None or _strip_optional(annotation)[1]:
            return []
        return [f"{where}: null, but Stripe's sample has {_json_type(sample)} and the field "
                "is not nullable"]
    if sample is None:
        allowed = _allowed_types(annotation)
        if allowed is not None and _json_type(ours) not in allowed:
            return [f"{where}: {_json_type(ours)}, but the field is typed "
                    f"{' | '.join(sorted(allowed))}"]
        return []
    if _json_type(ours) != _json_type(sample):
        return [f"{where}: {_json_type(ours)}, Stripe's sample has {_json_type(sample)}"]
    if isinstance(sample, list):
        if not sample:
            return []
        out: list[str] = []
        for index, item in enumerate(ours):
            out += compare(item, sample[0], _element(annotation), kind, f"{path}[{index}]")
        return out
    if not isinstance(sample, dict) or not sample:
        return []  # scalars of the same type; {} in a sample: a hash of any keys
    out = []
    prefix = f"{path}." if path else ""
    is_list = sample.get("object") == "list"
    for key in sorted(set(sample) - set(ours)):
        if (kind, prefix + key) not in CONDITIONAL:
            out.append(f"{where}: missing field {key!r}")
    for key in sorted(set(ours) - set(sample)):
        if (kind, prefix + key) not in CONDITIONAL:
            out.append(f"{where}: extra field {key!r} (not in Stripe's sample)")
    for key in sorted(set(ours) & set(sample)):
        if kind == "event" and prefix + key == "data" and isinstance(ours[key], dict):
            continue  # data.object is compared against the sample of its own type
        if is_list and key == "data":
            if sample["data"]:
                item_sample = sample["data"][0]
                item_kind = item_sample.get("object", kind)
                for item in ours["data"]:
                    out += compare(item, item_sample, SDK_CLASS.get(item_kind), item_kind)
            continue
        out += compare(ours[key], sample[key], _field(annotation, key), kind, prefix + key)
    return out


def check(obj: dict[str, Any], samples: dict[str, Any]) -> list[str]:
    kind = obj.get("object", "?")
    if kind not in SDK_CLASS:
        return [f"{kind}: no Stripe sample to compare with"]
    diffs = compare(obj, samples[SAMPLE_OF[kind]], SDK_CLASS[kind], kind)
    if kind == "event":
        data = obj.get("data") or {}
        if set(data) - {"object", "previous_attributes"} or "object" not in data:
            diffs.append(f"event.data: fields {sorted(data)}")
        inner = data.get("object")
        if isinstance(inner, dict):
            diffs += [f"event({obj.get('type')}).data.object -> {d}"
                      for d in check(inner, samples)]
    return diffs


# ---------------------------------------------------------------- what is served


@pytest.fixture(scope="module")
def served() -> Iterator[list[dict[str, Any]]]:
    """Every object a seeded company serves, as the HTTP answers carry them."""
    sim = Simulator(seed=3, clock=SimClock(frozen_at=NOW))
    seed_company(sim, customers=12, invoices=160, days=40, refunded=0.3, credit_noted=0.3,
                 payments_without_invoice=4)
    sim.api("POST", "/v1/customers", {"name": "Plain"})
    gone = sim.api("POST", "/v1/customers", {"email": "gone@example.com"})
    sim.api("DELETE", f"/v1/customers/{gone['id']}")
    sim.api("POST", "/v1/invoiceitems", {"customer": sim.store.customers.values()[0].id,
                                         "amount": 500, "description": "pending"})
    charges = sim.store.charges.values()
    won = sim.open_dispute(charges[0].id, reason="fraudulent")
    sim.decide_dispute(won.id, "won")
    sim.open_dispute(charges[1].id, inquiry=True)
    sim.api("POST", f"/v1/disputes/{sim.open_dispute(charges[2].id).id}/close")
    objects: list[dict[str, Any]] = []
    with SimulatorServer(sim) as server, httpx.Client(
            base_url=server.url, headers={"Authorization": "Bearer sk_test_x"}) as http:

        def every(path: str, **params: Any) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            after = None
            while True:
                query = {"limit": 100, **params, **({"starting_after": after} if after else {})}
                page = http.get(path, params=query).json()
                out += page["data"]
                if not page["has_more"]:
                    return out
                after = page["data"][-1]["id"]

        for path in ("/v1/customers", "/v1/invoices", "/v1/invoiceitems", "/v1/invoice_payments",
                     "/v1/payment_intents", "/v1/charges", "/v1/refunds", "/v1/credit_notes",
                     "/v1/payouts", "/v1/balance_transactions", "/v1/disputes",
                     "/v1/events"):
            objects += every(path)
        for invoice in every("/v1/invoices"):
            objects += every(f"/v1/invoices/{invoice['id']}/lines")
        for note in every("/v1/credit_notes"):
            objects += every(f"/v1/credit_notes/{note['id']}/lines")
        expanded = http.get("/v1/invoices", params={"limit": 100, "expand[]": "data.payments"})
        for invoice in expanded.json()["data"]:
            objects += invoice["payments"]["data"]
        retrieved: dict[str, int] = {}
        for obj in list(objects):
            kind = obj["object"]
            base = {"invoiceitem": "/v1/invoiceitems", "line_item": None,
                    "credit_note_line_item": None}.get(kind, f"/v1/{kind}s")
            if base and retrieved.get(kind, 0) < 25:
                retrieved[kind] = retrieved.get(kind, 0) + 1
                one = http.get(f"{base}/{obj['id']}")
                assert one.status_code == 200, one.text
                objects.append(one.json())
    yield objects


def test_every_served_type_is_compared(served: list[dict[str, Any]]) -> None:
    kinds = {obj["object"] for obj in served}
    assert kinds == set(SDK_CLASS), kinds ^ set(SDK_CLASS)
    event_objects = {obj["data"]["object"]["object"] for obj in served if obj["object"] == "event"}
    assert {"customer", "invoice", "charge", "payment_intent", "refund", "credit_note", "payout",
            "invoice_payment", "invoiceitem", "dispute"} <= event_objects


def test_served_objects_match_stripes_samples(served: list[dict[str, Any]]) -> None:
    samples = json.loads(FIXTURES.read_text())["resources"]
    differences: dict[str, None] = {}
    for obj in served:
        for difference in check(obj, samples):
            differences.setdefault(difference)
    assert not differences, "\n".join(differences)


def test_deleted_customer_matches_stripes_sample() -> None:
    samples = json.loads(FIXTURES.read_text())["resources"]
    sim = Simulator(seed=1)
    customer = sim.api("POST", "/v1/customers", {"name": "Gone"})
    deleted = sim.api("DELETE", f"/v1/customers/{customer['id']}")
    assert deleted == {"id": customer["id"], "object": "customer", "deleted": True}
    assert set(deleted) == set(samples["deleted_customer"])
    assert sim.api("GET", f"/v1/customers/{customer['id']}") == deleted


def test_the_comparison_reports_each_difference_with_its_path() -> None:
    samples = json.loads(FIXTURES.read_text())["resources"]
    invoice = Simulator(seed=1)
    customer = invoice.api("POST", "/v1/customers", {"name": "X"})
    good = invoice.api("POST", "/v1/invoices", {"customer": customer["id"]})
    assert check(good, samples) == []
    bad = json.loads(json.dumps(good))
    del bad["amount_due"]
    bad["paid"] = True
    bad["status_transitions"]["paid_at"] = "yesterday"
    bad["total"] = None
    bad["lines"]["data"] = [{**samples["line_item"], "amount": 1.5}]
    found = check(bad, samples)
    assert "invoice: missing field 'amount_due'" in found
    assert "invoice: extra field 'paid' (not in Stripe's sample)" in found
    assert any(x.startswith("invoice.status_transitions.paid_at: string") for x in found)
    assert any(x.startswith("invoice.total: null") for x in found)
    assert "line_item.amount: number, Stripe's sample has integer" in found
