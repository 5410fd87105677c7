"""One real thing, counted once: a company whose invoices and payments have copies in
three systems, every figure worked out by hand over the distinct invoices and payments."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hub.cli import exits
from hub.config import load_config
from hub.reconcile.copies import count_once
from hub.reconcile.linking import ManualLinks
from hub.reconcile.settings import ReconcileSettings
from hub.reconcile.snapshot import PaymentRow, Snapshot
from hub.reports.metrics import compute
from hub.reports.overview import overview
from hub.store import open_store
from tests.support.hub import cli, opened, write_config

pytestmark = pytest.mark.usefixtures("wide_console")

_INVOICE_FILE = """\
[[connectors.{name}.files]]
path = "{name}-invoices.csv"
entity = "invoice"
date_format = "iso"
[connectors.{name}.files.columns]
number = "No"
customer_name = "Customer"
issue_date = "Date"
due_date = "Due"
currency = "Cur"
total = "Total"
balance = "Open"
status = "Status"
"""
_PAYMENT_FILE = """\
[[connectors.{name}.files]]
path = "{name}-payments.csv"
entity = "payment"
date_format = "iso"
id_columns = ["Id"]
[connectors.{name}.files.columns]
reference = "Id"
received_date = "Date"
amount = "Amount"
currency = "Cur"
payer_name = "Payer"
invoice_number = "Applies to"
"""
BODY = "".join(f'[connectors.{n}]\ntype = "csv"\n' + _INVOICE_FILE.format(name=n)
               + _PAYMENT_FILE.format(name=n) for n in ("books", "erp", "shop"))

HEAD = "No,Customer,Date,Due,Cur,Total,Open,Status\n"
PAY = "Id,Date,Amount,Cur,Payer,Applies to\n"
FILES = {
    # the ledger: four invoices; INV-1001 part paid by P-2, INV-1002 paid by P-1
    "books-invoices.csv": HEAD + """\
INV-1001,Acme,2025-12-01,2025-12-31,USD,1000.00,600.00,partially_paid
INV-1002,Acme,2026-01-10,2026-02-09,USD,500.00,0.00,paid
INV-1003,Beta,2026-03-01,2026-03-31,USD,300.00,300.00,open
INV-1004,Beta,2026-02-01,2026-03-03,USD,200.00,200.00,open
""",
    "books-payments.csv": PAY + """\
P-1,2026-02-01,500.00,USD,Acme,INV-1002
P-2,2026-01-15,400.00,USD,Acme,INV-1001
""",
    # an ERP's copies of three of them; its INV-1003 says 350.00 (the ledger: 300.00)
    "erp-invoices.csv": HEAD + """\
INV-1001,Acme,2025-12-01,2025-12-31,USD,1000.00,600.00,partially_paid
INV-1003,Beta,2026-03-01,2026-03-31,USD,350.00,350.00,open
INV-1004,Beta,2026-02-01,2026-03-03,USD,200.00,200.00,open
""",
    # ... and its copy of P-1 says 505.00
    "erp-payments.csv": PAY + "E-1,2026-02-01,505.00,USD,Acme,INV-1002\n",
    # a web shop's copies (numbers without the prefix), and one sale only the shop has
    "shop-invoices.csv": HEAD + """\
1002,Acme,2026-01-10,2026-02-09,USD,500.00,0.00,paid
1003,Beta,2026-03-01,2026-03-31,USD,300.00,300.00,open
1099,Gamma,2026-03-10,2026-04-09,USD,42.00,42.00,open
""",
    "shop-payments.csv": PAY + "S-1,2026-02-01,500.00,USD,Acme,1002\n",
}

# By hand, over the distinct invoices INV-1001..1004 (the ledger's copies) and 1099 (the
# shop's, the only copy), period 2026-01-01 to 2026-03-31 (90 days), at 2026-03-31:
INVOICED = Decimal("1042.00")      # 1002 500 + 1003 300 + 1004 200 + 1099 42 (issued in it)
RECEIVABLES = Decimal("1142.00")   # 1001 600 + 1003 300 + 1004 200 + 1099 42
START = Decimal("1000.00")         # 1001's total: nothing paid before the period
AGING = {"current": "342.00",      # 1003 (due 03-31) + 1099 (due 04-09)
         "1-30": "200.00",         # 1004, 28 days past due
         "31-60": "0.00",
         "61-90": "600.00",        # 1001, 90 days past due
         "90+": "0.00"}
DSO = "98.6"                       # 1142 / 1042 * 90 = 98.637
OVERDUE = "50.0"                   # 2 of the 4 open invoices past due
CEI = "52.9"                       # (1000 + 1042 - 1142) / (1000 + 1042 - 342) = 900 / 1700
DAYS_TO_PAY = "33.5"               # 1002: 01-10 to 02-01, 22 days; 1001: 12-01 to 01-15, 45
DISTINCT = 7                       # five invoices and two payments (P-1 = E-1 = S-1, P-2)


@pytest.fixture
def company(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return write_config(tmp_path, store_url, BODY)


def _prepare(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
    for copy in ("erp:payment:E-1", "shop:payment:S-1"):  # the same money, booked thrice
        assert cli(capsys, "link", "books:payment:P-1", copy)[0] == exits.OK
    assert cli(capsys, "reconcile")[0] == exits.OK


def _metrics(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:  # type: ignore[type-arg]
    code, out, err = cli(capsys, "metrics", "--since", "2026-01-01", "--until", "2026-03-31",
                         "-f", "json", *extra)
    assert code == exits.OK, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_three_systems_every_figure_counted_once(company: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _prepare(capsys)
    m = _metrics(capsys)
    usd = m["by_currency"]["USD"]
    assert Decimal(usd["invoiced"]) == INVOICED
    assert Decimal(usd["receivables"]) == RECEIVABLES
    assert usd["aging"] == AGING
    assert usd["dso_days"] == DSO
    assert usd["overdue_share_percent"] == OVERDUE
    assert usd["cei_percent"] == CEI
    assert usd["average_days_to_pay"] == DAYS_TO_PAY
    assert m["records"] == DISTINCT  # not the 15 records the three systems hold
    open_findings = m["open_findings"]
    assert open_findings > 0
    assert m["discrepancy_rate_per_100"] == str(
        (Decimal(open_findings) * 100 / DISTINCT).quantize(Decimal("0.01")))

    # the ERP's INV-1003 disagrees with the ledger: a finding, not a second amount
    out = cli(capsys, "findings", "list", "--kind", "amount_mismatch")[1]
    assert "INV-1003 is for $300.00 in books but $350.00 in erp" in out
    # so does the ERP's copy of P-1; and P-1 with its copies pays INV-1002 once, not thrice
    assert ("erp:payment:E-1 is $505.00, but the payment it copies, books:payment:P-1, is "
            "$500.00 in the system of record: $5.00 apart.") in out
    assert "No findings match" in cli(capsys, "findings", "list", "--kind", "overpayment")[1]

    # the report's JSON carries the same figures
    code, out, _ = cli(capsys, "report", "-f", "json", "--since", "2026-01-01",
                       "--until", "2026-03-31")
    assert code == exits.OK
    assert json.loads(out)["metrics"]["by_currency"]["USD"] == usd

    # status: records against real things
    code, out, _ = cli(capsys, "report", "-f", "html", "-o", "r.html", "--since", "2026-01-01",
                       "--until", "2026-03-31")
    html = (company.parent / "r.html").read_text(encoding="utf-8")
    assert code == exits.OK and f"<td class='num'>{DSO}</td>" in html
    assert f"({open_findings} of {DISTINCT})" in html
    out = cli(capsys, "report", "--since", "2026-01-01", "--until", "2026-03-31")[1]
    assert f"({open_findings} of {DISTINCT})" in out and f"│ {DSO} │" in out

    out = cli(capsys, "status")[1]
    assert "counted once: 10 invoice record(s), 5 distinct: 5 set aside as copies " \
           "(system of record: books, the ledger)" in out
    assert "counted once: 4 payment record(s), 2 distinct: 2 set aside as copies" in out

    # the overview (the demo's headline and the web page's receivables)
    engine = open_store(load_config(company).store_url())
    try:
        with engine.connect() as conn:
            seen = overview(conn, date(2026, 3, 31), ReconcileSettings())
    finally:
        engine.dispose()
    assert seen.open_invoices == 4 and seen.open_balance == {"USD": RECEIVABLES}
    assert seen.overdue_invoices == 2  # due before 31 March: 1001 and 1004
    assert seen.overdue_balance == {"USD": Decimal("800.00")}
    assert seen.payments == 2 and seen.payments_total == {"USD": Decimal("900.00")}


def test_explain_names_the_records_behind_each_figure(company: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    _prepare(capsys)
    doc = _metrics(capsys, "--explain")
    usd = doc["by_currency"]["USD"]
    receivables = usd["receivables"]
    assert Decimal(receivables["value"]) == RECEIVABLES
    assert sum(Decimal(r["amount"]) for r in receivables["records"]) == RECEIVABLES
    by_record = {r["record"]: r for r in receivables["records"]}
    assert set(by_record) == {"books:invoice:INV-1001", "books:invoice:INV-1003",
                              "books:invoice:INV-1004", "shop:invoice:1099"}
    assert by_record["books:invoice:INV-1003"]["amount"] == "300.00"
    assert sorted(by_record["books:invoice:INV-1003"]["set_aside"]) == [
        "erp:invoice:INV-1003", "shop:invoice:1003"]
    assert by_record["shop:invoice:1099"]["set_aside"] == []
    for bucket, value in AGING.items():
        figure = usd[f"aging.{bucket}"]
        assert figure["value"] == value
        assert sum((Decimal(r["amount"]) for r in figure["records"]), Decimal("0.00")) == \
            Decimal(value)
    assert [r["record"] for r in usd["overdue_invoices"]["records"]] == [
        "books:invoice:INV-1001", "books:invoice:INV-1004"]
    assert sorted(r["note"] for r in usd["days_to_pay"]["records"]) == [
        "issued 2025-12-01, paid 2026-01-15: 45 days",
        "issued 2026-01-10, paid 2026-02-01: 22 days"]
    assert usd["dso_days"] == {"value": DSO, "how": "receivables / invoiced * days in the "
                               "period", "from": ["receivables", "invoiced"]}
    rate = doc["discrepancy_rate_per_100"]
    payments = [r for r in rate["records"] if ":payment:" in r["record"]]
    assert len(rate["records"]) == DISTINCT
    assert {r["record"]: sorted(r["set_aside"]) for r in payments} == {
        "books:payment:P-1": ["erp:payment:E-1", "shop:payment:S-1"],
        "books:payment:P-2": []}

    code, out, _ = cli(capsys, "metrics", "--since", "2026-01-01", "--until", "2026-03-31",
                       "--explain")
    assert code == exits.OK
    assert "USD receivables = 1142.00" in out
    assert "books:invoice:INV-1003  300.00  due 2026-03-31  (set aside: " in out


def test_system_of_record_chooses_the_copy_that_counts(company: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    _prepare(capsys)
    company.write_text(company.read_text() + '\n[reconcile.system_of_record]\ninvoice = "erp"\n',
                       encoding="utf-8")
    doc = _metrics(capsys, "--explain")
    usd = doc["by_currency"]["USD"]
    # the ERP's INV-1003 (350.00) counts now; INV-1002, which the ERP lacks, the ledger's
    assert Decimal(usd["receivables"]["value"]) == RECEIVABLES + 50
    records = {r["record"] for r in usd["invoiced"]["records"]}
    assert records == {"books:invoice:INV-1002", "erp:invoice:INV-1003",
                       "erp:invoice:INV-1004", "shop:invoice:1099"}
    code, out, _ = cli(capsys, "status")
    assert "5 distinct: 5 set aside as copies (system of record: erp, configured)" in out

    company.write_text(company.read_text().replace('invoice = "erp"', 'invoice = "erpp"'),
                       encoding="utf-8")
    code, _, err = cli(capsys, "metrics")
    assert code != exits.OK
    assert "reconcile.system_of_record.invoice" in err and "'erpp'" in err


def test_the_init_template_names_the_system_of_record_once_uncommented(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "init")[0] == exits.OK
    text = (tmp_path / "billing-hub.toml").read_text()
    assert ReconcileSettings.of(load_config(tmp_path / "billing-hub.toml")) \
        .system_of_record.invoice is None
    (tmp_path / "chosen.toml").write_text(opened(text, "# [reconcile.system_of_record]"))
    chosen = ReconcileSettings.of(load_config(tmp_path / "chosen.toml")).system_of_record
    assert (chosen.invoice, chosen.payment) == ("books", "books")


def _pay(id_: int, source: str, ext: str, refs: dict[str, str] | None = None) -> PaymentRow:
    return PaymentRow(id_, source, ext, ext, "Acme", None, "USD", 50000, 50000, "succeeded",
                      date(2026, 2, 1), "", [], refs or {})


def test_a_reference_in_a_payment_names_its_copy_unless_a_person_said_otherwise() -> None:
    snapshot = Snapshot(payments=[
        _pay(1, "books", "P-1", {"stripe_charge": "ch_1"}),  # the ledger's, naming Stripe's
        _pay(2, "stripe", "ch_1"),
        _pay(3, "stripe", "ch_2"),
    ])
    # no invoices: the ledger is the system with the most payments, Stripe
    assert list(count_once(snapshot, ReconcileSettings()).payments.counts) == [0, 1, 1]
    settings = ReconcileSettings.model_validate({"system_of_record": {"payment": "books"}})
    counted = count_once(snapshot, settings)
    assert list(counted.payments.counts) == [1, 0, 1]
    assert counted.payments.copies == {0: [1]}
    apart = ManualLinks(set(), {(2, 1)})  # `billing-hub unlink`: two payments
    assert list(count_once(snapshot, ReconcileSettings(), apart).payments.counts) == [1, 1, 1]
    m = compute(snapshot, date(2026, 1, 1), date(2026, 3, 31), 0, (), counted)
    assert m.records == 2
