"""AR metrics on a ledger small enough to work out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hub.reconcile.snapshot import Application, InvoiceRow, PaymentRow, Snapshot
from hub.reports.metrics import bucket, compute


def _inv(id_: int, number: str, issued: date, due: date, total: int, balance: int,
         currency: str = "USD", status: str = "open") -> InvoiceRow:
    return InvoiceRow(id_, "books", number, number, "Acme", None, currency, total, balance,
                      status, issued, due)


def test_metrics_worked_by_hand() -> None:
    snapshot = Snapshot(
        invoices=[
            _inv(1, "A", date(2025, 12, 1), date(2025, 12, 31), 100000, 100000),
            _inv(2, "B", date(2026, 1, 10), date(2026, 2, 9), 50000, 0, status="paid"),
            _inv(3, "C", date(2026, 3, 1), date(2026, 4, 1), 30000, 30000),
            _inv(4, "D", date(2026, 2, 1), date(2026, 3, 3), 20000, 20000),
            _inv(5, "E", date(2026, 3, 15), date(2026, 3, 20), 5000, 5000, currency="JPY"),
            _inv(6, "V", date(2026, 3, 15), date(2026, 3, 20), 9900, 9900, status="void"),
        ],
        payments=[PaymentRow(10, "bank", "P1", "P1", "Acme", None, "USD", 50000, 0,
                             "succeeded", date(2026, 2, 1), "", [Application(None, "B", 50000)])],
    )
    m = compute(snapshot, date(2026, 1, 1), date(2026, 3, 31), open_findings=3)
    assert set(m.by_currency) == {"JPY", "USD"}  # never added together
    usd = m.by_currency["USD"]
    assert usd.invoiced == Decimal("1000.00")
    assert usd.receivables_end == Decimal("1500.00")
    assert usd.dso == Decimal("135.0")  # 1500 / 1000 * 90 days
    assert usd.cei == Decimal("29.4")  # (1000 + 1000 - 1500) / (1000 + 1000 - 300)
    assert usd.overdue_share == Decimal("66.7")
    assert usd.average_days_to_pay == Decimal("22.0")
    assert usd.aging == {"current": Decimal("300.00"), "1-30": Decimal("200.00"),
                         "31-60": Decimal("0.00"), "61-90": Decimal("1000.00"),
                         "90+": Decimal("0.00")}
    assert usd.aging_by_customer["Acme"]["61-90"] == Decimal("1000.00")
    jpy = m.by_currency["JPY"]
    assert jpy.aging["1-30"] == Decimal("5000") and str(jpy.aging["current"]) == "0"
    assert m.records == 7
    assert m.discrepancy_rate == Decimal("42.86")  # 3 open findings per 7 records


def test_buckets_edges() -> None:
    assert [bucket(d) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91)] == [
        "current", "current", "1-30", "1-30", "31-60", "31-60", "61-90", "61-90", "90+"]
