"""Small pieces the reconciler leans on: number keys, compact columns and tables,
the hash index, close pairs, and the bounded subset search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hub.reconcile.cash.decide import subsets
from hub.reconcile.columns import PooledColumn, StrColumn
from hub.reconcile.hashindex import HashIndex
from hub.reconcile.pairs import close_pairs
from hub.reconcile.runner import find
from hub.reconcile.settings import ReconcileSettings
from hub.reconcile.snapshot import Application, InvoiceRow, PaymentRow, Snapshot
from hub.reconcile.text import candidate_numbers, money, name_key, number_key


def test_number_keys_and_tokens() -> None:
    prefixes = ["INV-", "#"]
    assert number_key("INV-001042", prefixes) == number_key("#1042", prefixes) == "1042"
    assert number_key(" inv-1042 ", prefixes) == "1042"
    assert number_key("INV-", prefixes) == "INV-"
    assert candidate_numbers("Payment for INV-1001 and #1002", prefixes) == {"1001", "1002"}
    assert candidate_numbers("ch_3Nw0001Demo py_00000123", prefixes) == set()


def test_names_and_money() -> None:
    assert name_key("ACME Corp., Inc.") == name_key("Acme corp") == "acme"
    assert money(125000, "USD") == "$1,250.00"
    assert money(5000, "JPY") == "¥5,000"
    assert money(1500, "KWD") == "1.500 KWD"
    assert money(-99, "EUR") == "-€0.99"


@dataclass(frozen=True)
class Clash:
    """A key whose hash always collides, to prove the real key decides."""

    value: str

    def __hash__(self) -> int:
        return 7


def test_columns_give_back_what_they_were_given() -> None:
    texts = StrColumn()
    texts.extend(["INV-1", None, "", "Zürich ✓"])
    texts.append("last")
    assert [texts[i] for i in range(len(texts))] == ["INV-1", None, "", "Zürich ✓", "last"]
    assert [texts.is_empty(i) for i in range(5)] == [False, True, True, False, False]
    names: PooledColumn[str | None] = PooledColumn()
    names.extend([f"n{i % 300}" for i in range(600)] + [None])  # codes widen past a byte
    assert [names[i] for i in (0, 299, 300, 600)] == ["n0", "n299", "n0", None]
    assert names[0] is names[300] and len(names.values) == 301
    assert names.code_of("n5") == 5 and names.code_of("nope") is None


def test_tables_give_back_the_rows() -> None:
    inv = InvoiceRow(7, "books", "INV-7", None, "Acme", "C1", "USD", 1000, 400, "open",
                     date(2026, 1, 1), None, {"stripe_id": "in_1"})
    pay = PaymentRow(8, "bank", "P1", None, None, None, "JPY", 500, 100, None, None,
                     "for INV-7", [Application(None, "INV-7", 300), Application("in_1", None,
                                                                                   100, 7)])
    bare = PaymentRow(9, "bank", "P2", "P2", "Acme", None, "USD", 5, 5, "succeeded",
                      date(2026, 1, 2), "")
    snapshot = Snapshot([inv], [pay, bare])
    assert list(snapshot.invoices) == [inv]
    assert list(snapshot.payments) == [pay, bare]
    snapshot.payments.add_queued(1, Application("INV-7", "INV-7", 2, 7))
    assert snapshot.payments[1].unapplied == 3
    assert snapshot.payments[1].applications == [Application("INV-7", "INV-7", 2, 7)]


def test_hash_index_checks_the_real_key() -> None:
    words = ["a", "b", "a", "c"]
    index = HashIndex(((Clash(w), i) for i, w in enumerate(words)),
                      lambda i, key: Clash(words[i]) == key)
    assert index.get(Clash("a")) == [0, 2]  # every entry shares one hash
    assert index.get(Clash("c")) == [3] and index.get(Clash("z")) == []
    plain = HashIndex(((w, i) for i, w in enumerate(words)), lambda i, key: words[i] == key)
    assert plain.get("a") == [0, 2] and plain.get("b") == [1] and len(plain) == 4


def test_close_pairs_check_the_real_key_and_the_window() -> None:
    start = date(2026, 1, 1)
    items = [("x", 0), ("y", 1), ("x", 2), ("x", 9), ("y", 3)]
    found = list(close_pairs(items, lambda it: Clash(it[0]),
                             lambda it: start + timedelta(days=it[1]), 3))
    assert sorted(found) == [(("x", 0), ("x", 2)), (("y", 1), ("y", 3))]
    assert list(close_pairs(items, lambda it: None, lambda it: start, 3)) == []


def _inv(i: int, balance: int) -> InvoiceRow:
    return InvoiceRow(i, "books", f"I{i}", f"I{i}", "Acme", None, "USD", balance, balance,
                      "open", date(2026, 1, i % 28 + 1), None)


def _first(invoices: list[InvoiceRow], target: int, size: int) -> list[int]:
    found = subsets(invoices, target, size, limit=1)
    return [i.balance for i in found[0]] if found else []


def test_subset_sum_finds_the_smallest_combination() -> None:
    invoices = [_inv(i, b) for i, b in enumerate([1100, 2300, 4700, 5300, 9100, 12700], 1)]
    assert _first(invoices, 3400, 4) == [1100, 2300]
    assert _first(invoices, 9100 + 1100 + 2300, 4) == [1100, 2300, 9100]
    assert _first(invoices, 1100 + 2300 + 4700 + 12700, 4) == [1100, 2300, 4700, 12700]
    assert _first(invoices, 17, 4) == []
    assert _first(invoices, 1100 + 2300 + 4700 + 5300 + 9100, 5) == [1100, 2300, 4700, 5300,
                                                                     9100]
    assert _first(invoices, sum(i.balance for i in invoices), 4) == [
        1100, 2300, 4700, 5300, 9100, 12700]  # all of them, beyond the size limit
    many = [_inv(i, 1000 + i) for i in range(1, 500)]  # bounded: the caller passes the oldest
    assert _first(many[:24], 1001 + 1002 + 1003, 4) != []


def test_subsets_tell_a_unique_combination_from_an_ambiguous_one() -> None:
    invoices = [_inv(i, b) for i, b in enumerate([1000, 2000, 3000, 4000], 1)]
    assert len(subsets(invoices, 5000, 2, limit=2)) == 2  # 1000+4000 and 2000+3000
    assert len(subsets(invoices, 3000 + 4000, 2, limit=2)) == 1


def _payment(amount: int, payer: str = "Acme") -> PaymentRow:
    return PaymentRow(900, "bank", "P1", "P1", payer, None, "USD", amount, amount,
                      "succeeded", date(2026, 2, 1), "")


def _tolerance_rules(invoice_balance: int, paid: int, **settings: Any) -> list[str]:
    inv = _inv(1, invoice_balance)
    found = find(Snapshot([inv], [_payment(paid)]), ReconcileSettings.model_validate(settings))
    (finding,) = [f for f in found if f.kind.value == "unapplied_payment"]
    return [s["rule"] for s in finding.details["suggestions"]]


def test_a_two_percent_tolerance_accepts_exactly_two_percent() -> None:
    no_fees = {"matching": {"bank_fee_max": {}}}  # the tolerance alone, no bank charge
    assert _tolerance_rules(10000, 9800, **no_fees) == ["tolerance"]  # $2.00 of $100.00
    assert _tolerance_rules(10000, 9799, **no_fees) == ["partial"]  # $2.01: a partial payment
    assert _tolerance_rules(10000, 10200, **no_fees) == ["tolerance"]
    assert _tolerance_rules(10000, 9799) == ["tolerance"]  # $2.01 short: a bank charge?


def test_tolerances_per_pair_of_systems() -> None:
    narrow = {"matching_pairs": [{"payments": "bank", "invoices": "books",
                                  "amount_tolerance_percent": "0",
                                  "amount_tolerance_fixed": "0.50"}]}
    assert _tolerance_rules(10000, 9951, **narrow) == ["tolerance"]
    assert _tolerance_rules(10000, 9800, **narrow) == ["partial"]
    other = {"matching_pairs": [{"payments": "stripe", "invoices": "books",
                                 "amount_tolerance_percent": "0"}]}
    assert _tolerance_rules(10000, 9800, **other) == ["tolerance"]  # the default applies
