"""The seeded company adds up: totals from lines, balances from payments, links both ways."""

from __future__ import annotations

from decimal import Decimal

from plugins.quickbooks.simulator import QboSimulator, seed

ZERO = Decimal(0)


def test_invoice_totals_add_up(sim: QboSimulator) -> None:
    for invoice in sim.all("Invoice"):
        sales = [x for x in invoice["Line"] if x["DetailType"] == "SalesItemLineDetail"]
        subtotal = [x for x in invoice["Line"] if x["DetailType"] == "SubTotalLineDetail"]
        assert sales and len(subtotal) == 1
        lines = sum((x["Amount"] for x in sales), ZERO)
        assert subtotal[0]["Amount"] == lines
        for line in sales:
            detail = line["SalesItemLineDetail"]
            assert line["Amount"] == Decimal(detail["Qty"]) * detail["UnitPrice"]
        assert invoice["TotalAmt"] == lines + invoice["TxnTaxDetail"]["TotalTax"]
        assert invoice["domain"] == "QBO" and invoice["sparse"] is False
        assert invoice["DueDate"] > invoice["TxnDate"]
        assert all(isinstance(v, Decimal) for v in (invoice["TotalAmt"], invoice["Balance"]))


def test_balances_and_links_agree_both_ways(sim: QboSimulator) -> None:
    invoices = {i["Id"]: i for i in sim.all("Invoice")}
    memos = {m["Id"]: m for m in sim.all("CreditMemo")}
    applied: dict[tuple[str, str], Decimal] = {}
    for payment in sim.all("Payment"):
        lines = ZERO
        credits = ZERO
        for line in payment["Line"]:
            link = line["LinkedTxn"][0]
            key = (link["TxnType"], link["TxnId"])
            applied[key] = applied.get(key, ZERO) + line["Amount"]
            target = invoices.get(link["TxnId"]) if link["TxnType"] == "Invoice" \
                else memos[link["TxnId"]]
            assert target is not None
            assert target["CustomerRef"]["value"] == payment["CustomerRef"]["value"]
            assert target["CurrencyRef"] == payment["CurrencyRef"]
            if link["TxnType"] == "Invoice":
                lines += line["Amount"]
                assert {"TxnId": payment["Id"], "TxnType": "Payment"} in target["LinkedTxn"]
            else:
                credits += line["Amount"]
        assert payment["UnappliedAmt"] == payment["TotalAmt"] + credits - lines
    for invoice in invoices.values():
        paid = applied.get(("Invoice", invoice["Id"]), ZERO)
        assert invoice["Balance"] == invoice["TotalAmt"] - paid >= 0
        assert bool(invoice["LinkedTxn"]) == (paid > 0)
    for memo in memos.values():
        assert memo["RemainingCredit"] == memo["TotalAmt"] - applied.get(
            ("CreditMemo", memo["Id"]), ZERO)


def test_the_company_has_every_case(sim: QboSimulator) -> None:
    invoices = sim.all("Invoice")
    payments = sim.all("Payment")
    customers = sim.all("Customer")
    assert len(customers) == 20 and len(invoices) == 60
    assert customers[0]["DisplayName"] == "Amy's Bird Sanctuary"
    assert any(c["BillAddr"]["Lat"] == "INVALID" for c in customers)
    assert 0 < sum(1 for c in customers if "PrimaryEmailAddr" in c) < 20
    assert any(i["Balance"] == 0 for i in invoices)  # paid
    assert any(0 < i["Balance"] < i["TotalAmt"] for i in invoices)  # partly paid
    assert any(i["Balance"] == i["TotalAmt"] for i in invoices)  # open
    assert any(len(p["Line"]) > 1 for p in payments)  # several invoices at once
    assert any(p["UnappliedAmt"] == p["TotalAmt"] > 0 for p in payments)  # unapplied
    assert any(0 < p["UnappliedAmt"] < p["TotalAmt"] for p in payments)  # over-paid
    memos = sim.all("CreditMemo")
    assert any(m["RemainingCredit"] < m["TotalAmt"] for m in memos)
    eur = [i for i in invoices if i["CurrencyRef"]["value"] == "EUR"]
    assert eur and all(i["ExchangeRate"] == Decimal("1.08") for i in eur)
    assert any(i["TxnTaxDetail"]["TotalTax"] > 0 for i in invoices)


def test_seed_is_deterministic(sim: QboSimulator) -> None:
    from plugins.quickbooks.simulator import SimClock
    from tests.simulators.quickbooks.clients import NOW

    other = QboSimulator(clock=SimClock(frozen_at=NOW))
    seed(other, customers=20, invoices=60, seed=1)
    for entity in ("Customer", "Invoice", "Payment", "CreditMemo"):
        assert other.all(entity) == sim.all(entity)
    assert other.clock.now() == NOW
