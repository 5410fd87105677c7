"""Cash application end to end, as a coordinator meets it: a customer list, an invoice
list and a bank statement exported from their systems, synced with the CSV connector,
and ``billing-hub cash`` / ``reconcile`` saying what each bank line is."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hub.cli import exits
from hub.reconcile.cash.names import name_fit, name_words, printed_words
from hub.reconcile.cash.refs import RefIndex, Strength
from hub.reconcile.runner import find
from hub.reconcile.settings import ReconcileSettings
from hub.reconcile.snapshot import InvoiceRow, PaymentRow, Snapshot
from tests.support.hub import cli, write_config

CUSTOMERS = """\
customer_id,name,email,aliases
C1,Weißmüller Antriebstechnik GmbH,ap@weissmueller.example,
C2,Gdańskie Łożyska Sp. z o.o.,,Grupa Bałtyk S.A. (parent company)
C3,Świętokrzyskie Opakowania Sp. z o.o.,,Grupa Bałtyk S.A. (parent company)
C4,Blue Heron Bakery LLC,hello@blueheron.example,Rosa M. Delgado (owner)
C5,Kestrel Outdoor Inc.,,
"""
INVOICES = """\
invoice_number,customer_id,currency,total,balance,issue_date,due_date,status
INV-1042,C1,EUR,4318.60,4318.60,2024-08-05,2024-09-04,open
RE-2001,C1,EUR,2975.00,2975.00,2024-08-10,2024-09-09,open
RE-2002,C1,EUR,1000.00,0.00,2024-07-01,2024-07-31,paid
RE-2003,C1,EUR,777.00,777.00,2024-09-01,2024-10-01,open
S-1027/24,C2,PLN,7380.00,7380.00,2024-08-26,2024-09-25,open
S-1019/24,C3,PLN,5166.00,5166.00,2024-08-16,2024-09-15,open
S-1033/24,C2,PLN,24600.00,24600.00,2024-08-30,2024-09-29,open
F245,C4,USD,642.80,642.80,2024-08-30,2024-09-29,open
F300,C5,EUR,500.00,500.00,2024-09-01,2024-10-01,open
F301,C5,USD,860.50,860.50,2024-09-02,2024-10-02,open
F302,C5,USD,1245.00,1245.00,2024-09-03,2024-10-03,open
"""
BANK = """\
line_id,booked_date,amount,currency,counterparty,memo
L1,2024-09-02,-12.50,EUR,ENTGELTABSCHLUSS,Kontoführungsentgelt 08/2024
L2,2024-09-03,4318.60,EUR,SEPA CT FROM WEISSMUELLER ANTRIEBSTECHNI,Rechnung INV1042
L3,2024-09-04,2915.50,EUR,SEPA CT FROM WEISSMUELLER ANTRIEBSTECHNI,RE-2001 abzgl. 2% Skonto
L4,2024-09-05,12546.00,PLN,PRZELEW OD GRUPA BALTYK SA,"Faktury S-1027/24, S-1019/24"
L5,2024-09-10,8200.00,PLN,PRZELEW OD SP Z O O GDANSKIE LOZYSKA,rata 1/3 za fakturę S-1033/24
L6,2024-10-08,8200.00,PLN,PRZELEW OD SP Z O O GDANSKIE LOZYSKA,rata 2/3 S-1033/24
L7,2024-10-14,8200.00,PLN,PRZELEW OD SP Z O O GDANSKIE LOZYSKA,rata 2/3 S-1033/24
L8,2024-09-20,642.80,USD,ZELLE FROM DELGADO ROSA M,bakery inv 245
L9,2024-09-24,1932.60,EUR,CARDNET MERCHANT SERVICES,CARD SETTLEMENT 23/09 MID 4471902
L10,2024-09-25,1000.00,EUR,SEPA CT FROM WEISSMUELLER ANTRIEBSTECHNI,RE2002
L11,2024-09-26,540.00,USD,WIRE IN KESTREL OUTDOOR INC,INVOICE F300
L12,2024-09-27,2105.50,USD,ACH CREDIT KESTREL OUTDOOR INC,CCD PMT 2 INVOICES
L13,2024-09-28,250.00,EUR,SEPA CT FROM SCHNEIDER M.,Zahlung
L14,2024-09-30,777.00,EUR,SEPA CT FROM ANOTHER NAME,remittance from ap@weissmueller.example
"""
CONFIG = """
[connectors.books]
type = "csv"
[[connectors.books.files]]
path = "customers.csv"
entity = "customer"
id_columns = ["customer_id"]
columns = { name = "name", email = "email", aliases = "aliases" }

[[connectors.books.files]]
path = "invoices.csv"
entity = "invoice"
date_format = "iso"
id_columns = ["invoice_number"]
defaults = { source_modified = "2024-09-01" }
[connectors.books.files.columns]
number = "invoice_number"
customer_ref = "customer_id"
currency = "currency"
total = "total"
balance = "balance"
issue_date = "issue_date"
due_date = "due_date"
status = "status"

[connectors.bank]
type = "csv"
[[connectors.bank.files]]
path = "bank.csv"
entity = "bank_transaction"
date_format = "iso"
id_columns = ["line_id"]
[connectors.bank.files.columns]
booked_date = "booked_date"
amount = "amount"
currency = "currency"
counterparty = "counterparty"
description = "memo"
"""


@pytest.fixture
def company(tmp_path: Path, store_url: str) -> Path:
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "invoices.csv").write_text(INVOICES, encoding="utf-8")
    (tmp_path / "bank.csv").write_text(BANK, encoding="utf-8")
    return write_config(tmp_path, store_url, CONFIG)


def _cash(capsys: pytest.CaptureFixture[str], config: Path) -> dict[str, dict[str, Any]]:
    code, out, err = cli(capsys, "--config", str(config), "cash", "-f", "json")
    assert code == exits.OK, err
    return {r["record"].split(":")[-1]: r for r in json.loads(out)["receipts"]}


def test_each_bank_line_is_decided_as_a_coordinator_would(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "--config", str(company), "sync")
    assert code == exits.OK, err  # a fee debit on the statement is no error: nothing quarantined
    cash = _cash(capsys, company)
    kinds = {line: (r["kind"], r["numbers"]) for line, r in cash.items()}
    assert kinds["L1"] == ("not_customer_payment", [])  # money out
    assert cash["L1"]["category"] == "money_out"
    assert kinds["L2"] == ("full", ["INV-1042"])  # "INV1042": the reference without its hyphen
    assert kinds["L3"] == ("short_fee", ["RE-2001"])  # less the 2 % discount the memo states
    assert "discount of 2%" in cash["L3"]["reason"]
    assert sorted(kinds["L4"][1]) == ["S-1019/24", "S-1027/24"]  # one combined suggestion
    assert kinds["L4"][0] == "many"  # the parent company (an alias of both) pays both
    assert kinds["L5"] == ("partial", ["S-1033/24"])
    assert kinds["L6"] == ("partial", ["S-1033/24"])  # the next instalment, not a duplicate
    assert kinds["L7"][0] == "duplicate_of"  # the same memo booked again six days later
    assert cash["L7"]["original"] == "bank:bank_transaction:L6"
    assert kinds["L8"] == ("full", ["F245"])  # the owner, printed surname first
    assert cash["L9"]["kind"] == "not_customer_payment"
    assert cash["L9"]["category"] == "card_settlement"
    assert kinds["L10"] == ("names_closed_invoice", ["RE-2002"])  # paid before: hold
    assert kinds["L11"] == ("wrong_currency", ["F300"])  # names a EUR invoice, pays USD
    assert sorted(kinds["L12"][1]) == ["F301", "F302"] and kinds["L12"][0] == "many"
    assert kinds["L13"] == ("unknown", [])  # nobody known, nothing named: no suggestion
    assert kinds["L14"] == ("full", ["RE-2003"])  # the customer's billing address names it
    assert "e-mail address ap@weissmueller.example" in cash["L14"]["payer"]


def test_the_cash_table_reads_in_a_terminal(company: Path, capsys: pytest.CaptureFixture[str],
                                            wide_console: None) -> None:
    assert cli(capsys, "--config", str(company), "sync")[0] == exits.OK
    code, out, _ = cli(capsys, "--config", str(company), "cash", "--kind", "duplicate_of",
                       "--why")
    assert code == exits.OK
    assert "bank:bank_transaction:L7" in out and "bank:bank_transaction:L5" not in out
    assert "not an instalment" in out
    code, _, err = cli(capsys, "--config", str(company), "cash", "--kind", "nonsense")
    assert code != exits.OK and "unknown kind 'nonsense'" in err


def test_reconcile_raises_findings_from_the_decisions_and_reruns_change_nothing(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "--config", str(company), "sync")[0] == exits.OK
    assert cli(capsys, "--config", str(company), "reconcile")[0] == exits.OK
    code, out, _ = cli(capsys, "--config", str(company), "report", "-f", "json")
    assert code == exits.OK
    findings = {f["key"]: f for f in json.loads(out)["findings"]}
    combined = findings["unapplied_payment:bank:L4"]
    top = combined["details"]["suggestions"][0]
    assert sorted(top["numbers"]) == ["S-1019/24", "S-1027/24"] and top["kind"] == "many"
    assert "Most likely: " in combined["explanation"] and "(many, " in combined["explanation"]
    assert "duplicate_payment:bank:L6|L7" in findings
    assert "not an instalment" in findings["duplicate_payment:bank:L6|L7"]["explanation"]
    assert "payment_for_closed_invoice:bank:L10" in findings
    assert "payment_currency_mismatch:bank:L11" in findings
    assert not any(key.endswith((":bank:L1", ":bank:L9")) for key in findings)
    code, out, _ = cli(capsys, "--config", str(company), "reconcile")
    assert code == exits.OK and "0 new" in out and "0 changed" in out


def test_the_matcher_holds_on_the_hand_labelled_corpus_in_the_repository() -> None:
    """bench/cases/own: lines labelled by hand from real bank exports' shapes, scored by
    bench/matching_cases.py through the CLI (a floor against regressions)."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, str(root / "bench" / "matching_cases.py"),
                           "--cases", str(root / "bench" / "cases" / "own")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()[2:]}
    assert float(rows["all"][-1]) >= 0.95, done.stdout
    for kind in ("full", "partial", "short_fee", "duplicate_of", "not_customer_payment",
                 "overpayment", "wrong_currency"):
        precision, recall = (float(x) for x in rows[kind][-2:])
        assert precision >= 0.95 and recall >= 0.9, done.stdout


@pytest.mark.parametrize(("number", "memo"), [
    ("INV-1042", "Rechnung INV1042"), ("RE-56103", "RE 56103"), ("S-1014/24", "S 1014/2024"),
    ("INV-2024-0231", "INV 2024 0231"), ("INV-2024-0236", "factuur 2024-236"),
    ("KW/24/019", "INV KW-24-19"), ("T-24-071", "INV T24071"), ("F231", "INVOICE F-231"),
    ("INV-2024-0262", "Inv# 2024-262"), ("FA2024-118", "Facture n° FA 2024 118"),
])
def test_references_are_read_however_payers_write_them(number: str, memo: str) -> None:
    index = RefIndex([(0, number), (1, "OTHER-1")])
    (hit,) = index.find(memo)
    assert hit.row == 0 and hit.strength in (Strength.STRONG, Strength.MEDIUM)


def test_a_bare_number_is_only_a_weak_reference() -> None:
    index = RefIndex([(0, "FV/195/10/2024"), (1, "0068"), (2, "S-1041/24")])
    assert [(h.row, h.strength) for h in index.find("rata II faktura 195/10")] == [
        (0, Strength.WEAK)]
    assert [(h.row, h.strength) for h in index.find("INV 68")] == [(1, Strength.WEAK)]
    assert [(h.row, h.strength) for h in index.find("Fakt. 1041")] == [(2, Strength.WEAK)]
    assert index.find("Kontoführungsentgelt 08/2024") == []


@pytest.mark.parametrize(("printed", "known"), [
    ("SEPA CT FROM WEISSMUELLER ANTRIEBSTECHNI", "Weißmüller Antriebstechnik GmbH"),
    ("PRZELEW OD SP Z O O GDANSKIE LOZYSKA", "Gdańskie Łożyska Sp. z o.o."),
    ("PRZELEW OD SWIETOKRZYSKIE OPAKOWANIA S", "Świętokrzyskie Opakowania Sp. z o.o."),
    ("OY POLAR FASTENINGS", "Polar Fastenings Oy"),
    ("ZELLE FROM DELGADO ROSA M", "Rosa M. Delgado (owner)"),
    ("GRANSFORS MATTEKNIK AB", "Gränsfors Mätteknik AB"),
    ("FP HARROW AND FINCH LIMITED", "Harrow & Finch Limited"),
    ("MR G LLEWELLYN", "Gareth Llewellyn"),
    ("JAN WISNIEWSKI UL.LIPOWA 4 87-100 TORUN", "Jan Wiśniewski"),
])
def test_payer_names_are_compared_as_banks_print_them(printed: str, known: str) -> None:
    assert any(name_fit(words, name_words(known, ())) for words in printed_words(printed))


def test_different_names_do_not_fit() -> None:
    for printed, known in (("POLAR FASTENERS AB", "Polar Fastenings Oy"),
                           ("SCHNEIDER M", "Weißmüller Antriebstechnik GmbH"),
                           ("HOLLOWAY DENTAL GROUP", "Redwood Learning Inc.")):
        assert not any(name_fit(words, name_words(known, ()))
                       for words in printed_words(printed))


def test_the_config_adds_a_bank_prefix_and_a_not_customer_pattern(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bank = company.parent / "bank.csv"
    bank.write_text(BANK + "L15,2024-10-01,300.00,EUR,TAGESGELD KONTO,Rueckuebertrag\n"
                    "L16,2024-10-02,777.00,EUR,GUTSCHRIFT AUS WEISSMUELLER ANTRIEBSTECHNIK,"
                    "zahlung\n", encoding="utf-8")
    text = company.read_text(encoding="utf-8")
    company.write_text(text + '\n[reconcile.matching]\npayer_prefixes = ["GUTSCHRIFT AUS"]\n'
                       'not_customer = { own_transfer = ["tagesgeld"] }\n', encoding="utf-8")
    assert cli(capsys, "--config", str(company), "config", "check")[0] == exits.OK
    assert cli(capsys, "--config", str(company), "sync")[0] == exits.OK
    cash = _cash(capsys, company)
    assert (cash["L15"]["kind"], cash["L15"]["category"]) == ("not_customer_payment",
                                                              "own_transfer")
    assert "Weißmüller" in cash["L16"]["payer"]


def test_an_alias_the_coordinator_adds_identifies_the_next_payment(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (company.parent / "bank.csv").write_text(
        BANK + "L15,2024-10-03,321.00,EUR,SEPA CT FROM HOLZ UND PARTNER,zahlung\n",
        encoding="utf-8")
    (company.parent / "invoices.csv").write_text(
        INVOICES + "RE-2004,C1,EUR,321.00,321.00,2024-09-20,2024-10-20,open\n",
        encoding="utf-8")
    assert cli(capsys, "--config", str(company), "sync")[0] == exits.OK
    before = _cash(capsys, company)["L15"]
    assert before["kind"] == "unknown"  # a payer nobody knows: no suggestion
    code, out, err = cli(capsys, "--config", str(company), "aliases", "add", "books:C1",
                         "Holz und Partner")
    assert code == exits.OK, err
    after = _cash(capsys, company)["L15"]
    assert (after["kind"], after["numbers"]) == ("full", ["RE-2004"])
    assert "alias 'Holz und Partner'" in after["payer"]
    (alias_id,) = [w.strip("#") for w in out.split() if w.strip("#").isdigit()][:1]
    assert cli(capsys, "--config", str(company), "aliases", "remove", alias_id)[0] == exits.OK
    assert _cash(capsys, company)["L15"]["kind"] == "unknown"  # reversible


def test_a_memo_naming_a_quarantined_invoice_says_so(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (company.parent / "invoices.csv").write_text(
        INVOICES + "RE-2005,C1,EUR,not a number,0,2024-09-20,2024-10-20,open\n",
        encoding="utf-8")
    (company.parent / "bank.csv").write_text(
        BANK + "L15,2024-10-03,410.00,EUR,SEPA CT FROM WEISSMUELLER ANTRIEBSTECHNI,RE-2005\n",
        encoding="utf-8")
    assert cli(capsys, "--config", str(company), "sync")[0] == exits.QUARANTINED
    line = _cash(capsys, company)["L15"]
    assert line["kind"] == "unknown"
    assert "the memo names RE-2005, an invoice held in quarantine" in line["reason"]


def test_a_store_that_can_match_nothing_says_so(
        company: Path, capsys: pytest.CaptureFixture[str], wide_console: None) -> None:
    text = company.read_text(encoding="utf-8")
    without_invoices = text.replace('path = "invoices.csv"', 'path = "no-invoices-*.csv"')
    company.write_text(without_invoices, encoding="utf-8")
    cli(capsys, "--config", str(company), "sync")
    code, out, _ = cli(capsys, "--config", str(company), "reconcile")
    assert code == exits.OK
    assert "but no invoice in the store: nothing can be matched" in out
    assert 'entity = "invoice"' in out


def test_one_sale_kept_in_two_systems_is_suggested_once() -> None:
    def invoice(rid: int, source: str, ext: str) -> InvoiceRow:
        return InvoiceRow(rid, source, ext, "INV-1042", "Acme Ltd", None, "USD", 50000, 50000,
                          "open", date(2026, 1, 5), date(2026, 2, 4))

    payment = PaymentRow(9, "bank", "P1", None, "Acme Ltd", None, "USD", 20000, 20000,
                         "succeeded", date(2026, 2, 1), "part of INV-1042")
    found = find(Snapshot([invoice(1, "books", "INV-1042"), invoice(2, "shop", "in_1")],
                          [payment]), ReconcileSettings())
    (unapplied,) = [f for f in found if f.kind.value == "unapplied_payment"]
    suggestions = unapplied.details["suggestions"]
    assert len(suggestions) == 1 and suggestions[0]["kind"] == "partial"
    assert len(suggestions[0]["invoices"]) == 1  # not the books copy and the shop copy


def test_a_huge_memo_is_read_only_as_far_as_a_remittance_goes() -> None:
    """A pasted mail or a hostile cell (here 200,000 characters without a space or an
    ``@``) once made the payer search scan it quadratically; the matcher reads a memo's
    first 4,096 characters. Run in a child process so a regression fails, not hangs."""
    script = (
        "from datetime import date\n"
        "from hub.reconcile.runner import find\n"
        "from hub.reconcile.settings import ReconcileSettings\n"
        "from hub.reconcile.snapshot import InvoiceRow, PaymentRow, Snapshot\n"
        "inv = InvoiceRow(1, 'books', 'INV-1042', 'INV-1042', 'Acme Ltd', None, 'USD', 50000,"
        " 50000, 'open', date(2026, 1, 5), date(2026, 2, 4))\n"
        "memo = 'INV-1042 ' + 'x' * 200_000\n"
        "pay = PaymentRow(9, 'bank', 'P1', None, 'Acme Ltd', None, 'USD', 50000, 50000,"
        " 'succeeded', date(2026, 2, 1), memo)\n"
        "(f,) = [f for f in find(Snapshot([inv], [pay]), ReconcileSettings())"
        " if f.kind.value == 'unapplied_payment']\n"
        "print(f.details['decision']['kind'], f.details['decision']['numbers'])\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["full", "['INV-1042']"]
