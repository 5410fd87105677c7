"""Synthetic cash-application cases, one family of issue 16 at a time, in the corpus format.

    .venv/bin/python bench/cash_families.py OUT [--seed 7] [--size 300]
    .venv/bin/python bench/check_cases.py OUT
    .venv/bin/python bench/matching_cases.py --cases OUT

Writes customers.csv, invoices.csv, bank_lines.csv and expected.csv into OUT, in
the format of ../shared/matching-cases (see its README), so the corpus benchmark
scores it unchanged. About ``--size`` bank lines; the same seed gives the same
files byte for byte.

Every case gets a customer of its own (plus, for some, an open invoice that must
not be chosen), so each label is decidable from the files alone. Each note starts
with the family's name in brackets, so misses can be grouped by family:

- ``reference``: one invoice paid exactly, its number written differently: case,
  hyphens, spaces, a prefix (``Inv#``, ``Rechnung``, ``Facture n°``, ``Faktura nr``,
  ``Fakt.``), leading zeros dropped, the year part left out, or next to the
  payer's own numbers in one memo;
- ``payer``: paid exactly with no reference, the payer's name transliterated,
  upper-cased, without its legal form, truncated, or reordered;
- ``combined``: one payment for 2 to 4 invoices, naming all, some or none;
- ``instalments``: 2 or 3 partial payments weeks apart, memos that differ;
- ``duplicate``: a payment booked again 0 to 7 days later;
- ``short_fee``: a bank charge of 15, 25 or 35, or a 2% or 3% discount the memo states;
- ``overpayment``, ``wrong_currency``, ``closed`` (paid or void invoice);
- ``not_customer``: fees, interest, card settlements, tax refunds, own transfers,
  supplier payments, refunds out, chargebacks;
- ``unknown``: a payer who is not a customer, no reference, an amount nothing fits.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import combinations
from pathlib import Path

START = date(2025, 3, 3)
DAYS = 90
CURRENCIES = ["EUR"] * 6 + ["USD"] * 4 + ["GBP"] * 3 + ["PLN"] * 2 + ["SEK", "JPY", "KWD"]
DECIMALS = {"JPY": 0, "KWD": 3}
FOREIGN = {"EUR": "USD", "USD": "EUR", "GBP": "EUR", "PLN": "EUR", "SEK": "EUR",
           "JPY": "USD", "KWD": "USD"}

FIRST = ["Grün", "Weiß", "Łódź", "Kastanje", "Nordlys", "Société", "Ébène", "Hagebutte", "Sørby",
         "Cedar", "Marlow", "Quill", "Osprey", "Tamarack", "Brzoza", "Zöllner", "Dąbrowa", "Vega",
         "Albatros", "Juniper", "Kestrel", "Mirabelle", "Fjällräv", "Hawthorn", "Corvid"]
SECOND = ["Werkzeugbau", "Logistik", "Handel", "Bouwmaterialen", "Analytics", "Hôtellerie",
          "Maszyny", "Textiles", "Robotics", "Papier", "Studio", "Kälteteknik", "Outfitters",
          "Dental", "Mühlenwerke", "Systems", "Transporty", "Catering", "Ceramics", "Verlag"]
REGION = ["Nord", "Süd", "West", "Baltic", "Alpine", "Coastal", "Rhein", "Highland"]
LEGAL = ["GmbH", "Sp. z o.o.", "B.V.", "Ltd", "LLC", "SAS", "S.p.A.", "AB", "Inc.", "S.L."]
COUNTRY = {"GmbH": "DE", "Sp. z o.o.": "PL", "B.V.": "NL", "Ltd": "GB", "LLC": "US",
           "SAS": "FR", "S.p.A.": "IT", "AB": "SE", "Inc.": "US", "S.L.": "ES"}
PEOPLE = ["Marta Kowalska", "Pieter de Boer", "Hannah Kessler", "Liam Walsh", "Chloé Martin",
          "Sven Lindgren", "Ana Ruiz", "Tomasz Zieliński"]
PREFIXES = ["Inv#", "Rechnung", "Facture n°", "Faktura nr", "Fakt.", "INVOICE", "Factuur",
            "RE", "Pago factura"]

# (counterparty, memo, sign): not receipts from customers; amounts drawn per line.
NOT_CUSTOMER = [
    ("", "Kontoführungsentgelt {month}", -1), ("SERVICE CHARGES", "ACCOUNT FEE {month}", -1),
    ("", "Habenzinsen {month}", 1), ("WORLDLINE", "Kartenumsätze Abrechnung {ref}", 1),
    ("CARD SETTLEMENT", "MERCHANT DEPOSIT MID {ref}", 1),
    ("FINANZAMT NORD", "USt-Erstattung {month} StNr {ref}", 1),
    ("HMRC VAT", "VAT REPAYMENT {ref}", 1), ("OWN ACCOUNT TRANSFER", "FROM SAVINGS {ref}", 1),
    ("STRIPE", "STRIPE DISPUTE du_{ref} CHARGEBACK", -1),
    ("SEPA DD ENERGIE WERKE", "Abschlag Strom {month}", -1),
    ("BACS PAYROLL", "PAYROLL {month}", -1),
]


def _fold(text: str) -> str:
    """As a bank prints names: ß to SS, Ł to L, ø to O, other diacritics dropped, upper case."""
    text = text.translate(str.maketrans({"ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O",
                                         "æ": "ae", "Æ": "AE"}))
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "AE"), ("Ö", "OE"),
                          ("Ü", "UE")):
        text = text.replace(umlaut, plain)
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).upper()


@dataclass
class Invoice:
    number: str
    core: str  # the running number, without prefix or year
    year: str
    customer: str
    currency: str
    total: int  # minor units
    balance: int
    issued: date
    status: str = "open"


@dataclass
class Line:
    day: date
    amount: int
    currency: str
    counterparty: str
    memo: str
    kind: str
    refs: list[str]
    note: str
    duplicate_of: Line | None = None


@dataclass
class Corpus:
    rnd: random.Random
    customers: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    used_names: set[str] = field(default_factory=set)
    used_amounts: set[int] = field(default_factory=set)
    seq: int = 40

    def money(self, currency: str, low: int = 150, high: int = 25000) -> int:
        """A fresh amount in minor units, never used before in this corpus."""
        scale = 10 ** DECIMALS.get(currency, 2)
        if currency == "JPY":
            low, high = low * 150, high * 150
        while True:
            value = self.rnd.randrange(low, high) * scale + (
                self.rnd.choice([0, 0, 50 * scale // 100, self.rnd.randrange(scale)])
                if scale > 1 else 0)
            if value not in self.used_amounts:
                self.used_amounts.add(value)
                return value

    def customer(self) -> tuple[str, str, str]:
        """(customer id, legal name, name without the legal form)."""
        for attempt in range(10**6):
            base = f"{self.rnd.choice(FIRST)} {self.rnd.choice(SECOND)}"
            if attempt > 50:  # the two-word names are used up: add a region, then a number
                base += f" {self.rnd.choice(REGION)}" + (f" {attempt}" if attempt > 500 else "")
            if base not in self.used_names:
                break
        self.used_names.add(base)
        legal = self.rnd.choice(LEGAL)
        cid = f"G{len(self.customers) + 1:04d}"
        slug = _fold(base).lower().replace(" ", "-")
        self.customers.append((cid, f"{base} {legal}", f"billing@{slug}.example",
                               COUNTRY[legal], ""))
        return cid, f"{base} {legal}", base

    def invoice(self, cid: str, currency: str, total: int, day: date,
                status: str = "open") -> Invoice:
        self.seq += self.rnd.randrange(1, 4)
        year = str(day.year)
        core = f"{self.seq}"
        scheme = self.rnd.randrange(6)
        number = [f"INV-{year}-{self.seq:04d}", f"{year}/{self.seq:05d}",
                  f"R{year[2:]}-{self.seq:04d}", f"FV/{self.seq}/{day.month:02d}/{year}",
                  f"{self.seq:05d}", f"F-{self.seq}"][scheme]
        inv = Invoice(number, core, year, cid, currency, total,
                      0 if status != "open" else total, day, status)
        self.invoices.append(inv)
        return inv

    def write_ref(self, inv: Invoice) -> str:
        """The invoice number as a payer might type it."""
        n, r = inv.number, self.rnd.randrange(8)
        if r == 0:
            return n.lower()
        if r == 1:
            return n.replace("-", "").replace("/", "")
        if r == 2:
            return n.replace("-", " ").replace("/", " ")
        if r == 3:
            return f"{self.rnd.choice(PREFIXES)} {n}"
        if r == 4:
            return f"{self.rnd.choice(PREFIXES)} {inv.core}"  # prefix, year and zeros gone
        if r == 5:
            return n.replace(inv.year, inv.year[2:], 1)
        if r == 6:
            return f"{self.rnd.choice(PREFIXES)} {n.replace('-', '')}"
        po, kd = self.rnd.randrange(100000, 999999), self.rnd.randrange(1000, 9999)
        return f"PO {po} / {n} / KD {kd}"  # several numbers, one of them ours

    def payer(self, legal: str, base: str) -> str:
        """The customer's name as a bank prints it."""
        r = self.rnd.randrange(6)
        if r == 0:
            return _fold(legal)
        if r == 1:
            return _fold(base)
        if r == 2:
            return _fold(legal)[:18].rstrip()
        if r == 3:
            return _fold(f"{legal[len(base) + 1:]} {base}")  # legal form first
        if r == 4:
            return legal
        return _fold(legal)[:27].rstrip()

    def day(self, lo: int = 5, hi: int = DAYS - 10) -> date:
        return START + timedelta(days=self.rnd.randrange(lo, hi))

    def line(self, *args: object, **kw: object) -> Line:
        made = Line(*args, **kw)  # type: ignore[arg-type]
        self.lines.append(made)
        return made


def fmt(value: int, currency: str) -> str:
    places = DECIMALS.get(currency, 2)
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 10**places)
    return f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}"


def _distractor(co: Corpus, cid: str, cur: str, issued: date) -> None:
    if co.rnd.random() < 0.5:
        co.invoice(cid, cur, co.money(cur), issued - timedelta(days=co.rnd.randrange(1, 20)))


def reference(co: Corpus) -> None:
    cid, legal, base = co.customer()
    cur = co.rnd.choice(CURRENCIES)
    paid = co.day()
    inv = co.invoice(cid, cur, co.money(cur), paid - timedelta(days=co.rnd.randrange(10, 40)))
    _distractor(co, cid, cur, inv.issued)
    memo = co.write_ref(inv)
    co.line(paid, inv.total, cur, co.payer(legal, base), memo, "full", [inv.number],
            f"[reference] '{memo}' is {inv.number}; the amount equals its balance.")


def payer(co: Corpus) -> None:
    cid, legal, base = co.customer()
    cur = co.rnd.choice(CURRENCIES)
    paid = co.day()
    inv = co.invoice(cid, cur, co.money(cur), paid - timedelta(days=co.rnd.randrange(10, 40)))
    name = co.payer(legal, base)
    memo = co.rnd.choice(["PAYMENT", "Zahlung", "betaling", "", "remittance"])
    co.line(paid, inv.total, cur, name, memo, "full", [inv.number],
            f"[payer] '{name}' is {legal}, whose only open invoice {inv.number} equals the "
            "amount.")


def combined(co: Corpus) -> None:
    cid, legal, base = co.customer()
    cur = co.rnd.choice(CURRENCIES)
    paid = co.day()
    parts = [co.invoice(cid, cur, co.money(cur), paid - timedelta(days=co.rnd.randrange(5, 60)))
             for _ in range(co.rnd.randrange(2, 5))]
    spare = co.invoice(cid, cur, co.money(cur), paid - timedelta(days=3))
    sums = [sum(i.total for i in s) for k in range(1, 6)
            for s in combinations([*parts, spare], k)]
    total = sum(i.total for i in parts)
    named = co.rnd.choice(["all", "some", "none"])
    if named == "none" and sums.count(total) > 1:
        named = "all"
    shown = parts if named == "all" else parts[:1] if named == "some" else []
    memo = " ".join(co.write_ref(i) for i in shown) + (" etc." if named == "some" else "")
    co.line(paid, total, cur, co.payer(legal, base), memo.strip() or "invoices",
            "many", [i.number for i in parts],
            f"[combined] names {named} of {len(parts)} invoices; their balances sum to "
            f"{fmt(total, cur)}.")


def instalments(co: Corpus) -> None:
    cid, legal, base = co.customer()
    cur = co.rnd.choice([c for c in CURRENCIES if c != "JPY"])
    count = co.rnd.choice([2, 3])
    scale = 10 ** DECIMALS.get(cur, 2)
    rate = co.money(cur, 200, 4000) // scale * scale
    first = co.day(5, 20)
    inv = co.invoice(cid, cur, rate * count, first - timedelta(days=10))
    name = co.payer(legal, base)
    for k in range(count):
        memo = [f"{k + 1}. Rate {co.write_ref(inv)}", f"rata {k + 1}/{count} {inv.number}",
                f"instalment {k + 1} {inv.core}"][co.rnd.randrange(3)]
        co.line(first + timedelta(days=28 * k + co.rnd.randrange(3)), rate, cur, name, memo,
                "partial", [inv.number],
                f"[instalments] instalment {k + 1} of {count} of {inv.number}.")


def duplicate(co: Corpus) -> None:
    cid, legal, base = co.customer()
    cur = co.rnd.choice(CURRENCIES)
    paid = co.day(5, DAYS - 20)
    inv = co.invoice(cid, cur, co.money(cur), paid - timedelta(days=20))
    name, memo = co.payer(legal, base), f"{co.write_ref(inv)} REF {co.rnd.randrange(10**7)}"
    first = co.line(paid, inv.total, cur, name, memo, "full", [inv.number],
                    f"[duplicate] the original booking of the payment of {inv.number}.")
    gap = co.rnd.randrange(8)
    co.line(paid + timedelta(days=gap), inv.total, cur, name, memo, "duplicate_of", [],
            f"[duplicate] booked again {gap} days later: same amount, payer and memo.",
            duplicate_of=first)


def short_fee(co: Corpus) -> None:
    cid, legal, base = co.customer()
    cur = co.rnd.choice(["EUR", "USD", "GBP", "PLN", "SEK"])
    paid = co.day()
    total = co.money(cur) // 100 * 100  # whole units: 2% and 3% come out in cents
    inv = co.invoice(cid, cur, total, paid - timedelta(days=co.rnd.randrange(5, 12)))
    if co.rnd.random() < 0.5:
        fee = co.rnd.choice([15, 25, 35]) * 100
        memo, why = co.write_ref(inv), f"a bank charge of {fmt(fee, cur)}"
    else:
        pct = co.rnd.choice([2, 3])
        fee = total * pct // 100
        memo = co.rnd.choice([f"{co.write_ref(inv)} abzgl. {pct}% Skonto",
                              f"{co.write_ref(inv)} less {pct}% discount",
                              f"{co.write_ref(inv)} skonto {pct}%"])
        why = f"the {pct}% discount stated in the memo"
    co.line(paid, total - fee, cur, co.payer(legal, base), memo, "short_fee", [inv.number],
            f"[short_fee] {inv.number} less {why}.")


def overpayment(co: Corpus) -> None:
    cid, legal, base = co.customer()
    cur = co.rnd.choice(["EUR", "USD", "GBP"])
    paid = co.day()
    inv = co.invoice(cid, cur, co.money(cur), paid - timedelta(days=20))
    extra = co.rnd.randrange(50, 500) * 100 + 1  # an odd amount: never another invoice
    co.line(paid, inv.total + extra, cur, co.payer(legal, base), co.write_ref(inv),
            "overpayment", [inv.number],
            f"[overpayment] names {inv.number} and pays {fmt(extra, cur)} more.")


def wrong_currency(co: Corpus) -> None:
    cid, legal, base = co.customer()
    cur = co.rnd.choice(CURRENCIES)
    paid = co.day()
    inv = co.invoice(cid, cur, co.money(cur), paid - timedelta(days=20))
    other = FOREIGN[cur]
    co.line(paid, co.money(other), other, co.payer(legal, base), co.write_ref(inv),
            "wrong_currency", [inv.number],
            f"[wrong_currency] names the {cur} invoice {inv.number} but pays in {other}.")


def closed(co: Corpus) -> None:
    cid, legal, base = co.customer()
    cur = co.rnd.choice(CURRENCIES)
    paid = co.day()
    status = co.rnd.choice(["paid", "void"])
    inv = co.invoice(cid, cur, co.money(cur), paid - timedelta(days=40), status)
    co.line(paid, inv.total, cur, co.payer(legal, base), co.write_ref(inv),
            "names_closed_invoice", [inv.number],
            f"[closed] {inv.number} is {status}: hold, do not apply.")


def not_customer(co: Corpus) -> None:
    name, memo, sign = co.rnd.choice(NOT_CUSTOMER)
    cur = co.rnd.choice(["EUR", "USD", "GBP"])
    day = co.day(0, DAYS)
    memo = memo.format(month=f"{day.month:02d}/{day.year}", ref=co.rnd.randrange(10**5, 10**6))
    co.line(day, sign * co.money(cur, 3, 5000), cur, name, memo, "not_customer_payment", [],
            f"[not_customer] {memo.split()[0].lower()}: not a receipt from a customer.")


def unknown(co: Corpus) -> None:
    cur = co.rnd.choice(CURRENCIES)
    person = co.rnd.choice(PEOPLE)
    name = co.rnd.choice([_fold(person), person, "WIRE IN " + _fold(person)])
    co.line(co.day(0, DAYS), co.money(cur), cur, name,
            co.rnd.choice(["", "Zahlung", "advance", "przelew", "deposit"]), "unknown", [],
            "[unknown] a payer who is not a customer, no reference, an amount nothing fits.")


FAMILIES: list[tuple[Callable[[Corpus], None], int]] = [
    (reference, 6), (payer, 3), (combined, 3), (instalments, 1), (duplicate, 2),
    (short_fee, 3), (overpayment, 1), (wrong_currency, 1), (closed, 2), (not_customer, 5),
    (unknown, 2)]


def generate(seed: int, size: int) -> Corpus:
    co = Corpus(random.Random(seed))
    weighted = [f for f, w in FAMILIES for _ in range(w)]
    while len(co.lines) < size:
        for family in weighted:
            if len(co.lines) >= size:
                break
            family(co)
    return co


def write(co: Corpus, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    order = sorted(range(len(co.lines)), key=lambda i: (co.lines[i].day, i))
    ids = {id(co.lines[i]): f"S{k + 1:05d}" for k, i in enumerate(order)}

    def table(name: str, header: list[str], rows: list[list[str]]) -> None:
        with (out / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)

    table("customers.csv", ["customer_id", "name", "email", "country", "aliases"],
          [list(c) for c in co.customers])
    table("invoices.csv", ["invoice_number", "customer_id", "currency", "total", "balance",
                           "issue_date", "due_date", "status"],
          [[i.number, i.customer, i.currency, fmt(i.total, i.currency),
            fmt(i.balance, i.currency), i.issued.isoformat(),
            (i.issued + timedelta(days=30)).isoformat(), i.status] for i in co.invoices])
    lines = [co.lines[i] for i in order]
    table("bank_lines.csv", ["line_id", "booked_date", "amount", "currency", "counterparty",
                             "memo"],
          [[ids[id(b)], b.day.isoformat(), fmt(b.amount, b.currency), b.currency,
            b.counterparty, b.memo] for b in lines])
    table("expected.csv", ["line_id", "kind", "invoices", "note"],
          [[ids[id(b)], b.kind,
            ids[id(b.duplicate_of)] if b.duplicate_of else " ".join(b.refs), b.note]
           for b in lines])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", type=int, default=300, help="about this many bank lines")
    args = parser.parse_args()
    co = generate(args.seed, args.size)
    write(co, args.out)
    print(f"{args.out}: {len(co.customers)} customers, {len(co.invoices)} invoices, "
          f"{len(co.lines)} bank lines (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
