"""Benchmark with ground truth: a synthetic company in two systems, every kind of
finding injected at known places.

    .venv/bin/python bench/reconcile.py [--invoices 100000] [--store URL] [--seed 7]

Generates N customers' invoices in a ledger (``books``) and a billing system
(``stripe``) that agree, payments that settle the paid ones, then injects each
finding kind at recorded places, including the hard cases: one payment for three
invoices, partial payments, an invoice number only in the memo, a payer name
spelled differently, zero- and three-decimal currencies, a duplicate keyed a day
later. Loads it into a fresh store, reconciles, and prints per kind precision and
recall, top-1 suggestion accuracy for the injected unapplied payments, the
reconcile time against the time to read the same rows from the store in the
same run, and peak RSS. Then it generates ``--cash-lines`` bank lines of every
cash-application case family (``bench/cash_families.py``: references written
every way, combined payments, transliterated and cut payer names, instalments,
duplicates, short payments, overpayments, wrong currency, closed invoices,
lines that are not customers' payments) and scores the matcher's kind and
invoice set per line (``bench/matching_cases.py``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import psutil
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.money import from_minor_units  # noqa: E402
from hub.reconcile import lifecycle  # noqa: E402
from hub.reconcile.runner import find_iter  # noqa: E402
from hub.reconcile.settings import ReconcileSettings  # noqa: E402
from hub.reconcile.snapshot import load  # noqa: E402
from hub.store import open_store  # noqa: E402
from hub.store.clock import utcnow  # noqa: E402
from hub.store.schema import records  # noqa: E402

START = date(2025, 1, 1)


@dataclass
class Truth:
    keys: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    top1: dict[str, set[str]] = field(default_factory=dict)  # payment key -> invoice labels

    def add(self, kind: str, key: str) -> None:
        self.keys[kind].add(key)


@dataclass
class Company:
    rows: list[dict[str, Any]] = field(default_factory=list)
    truth: Truth = field(default_factory=Truth)
    n: int = 0

    def invoice(self, source: str, ext: str, number: str, customer: str, currency: str,
                total: int, balance: int, status: str, issued: date, due: date) -> None:
        paid = total - balance
        cur = currency
        data = {
            "source": source, "external_id": ext, "number": number, "customer_name": customer,
            "issue_date": issued.isoformat(), "due_date": due.isoformat(), "currency": cur,
            "lines": [], "subtotal": str(from_minor_units(total, cur)), "tax": "0",
            "total": str(from_minor_units(total, cur)),
            "amount_paid": str(from_minor_units(paid, cur)), "credited": "0",
            "balance": str(from_minor_units(balance, cur)), "status": status, "metadata": {},
        }
        self.rows.append(dict(source=source, entity="invoice", external_id=ext,
                              number=number, party=customer, customer_ref=None, currency=cur,
                              amount_minor=total, open_minor=balance, status=status,
                              doc_date=issued, due_date=due, data=data))

    def payment(self, ext: str, payer: str, currency: str, amount: int, received: date,
                memo: str = "", applications: list[tuple[str, int]] = ()) -> None:  # type: ignore[assignment]
        cur = currency
        applied = sum(a for _, a in applications)
        data = {
            "source": "bank", "external_id": ext, "amount": str(from_minor_units(amount, cur)),
            "currency": cur, "received_date": received.isoformat(), "reference": ext,
            "memo": memo, "payer_name": payer,
            "applications": [{"invoice_number": num, "amount": str(from_minor_units(a, cur))}
                             for num, a in applications],
            "unapplied": str(from_minor_units(amount - applied, cur)), "status": "succeeded",
            "metadata": {},
        }
        self.rows.append(dict(source="bank", entity="payment", external_id=ext, number=ext,
                              party=payer, customer_ref=None, currency=cur,
                              amount_minor=amount, open_minor=amount - applied,
                              status="succeeded", doc_date=received, due_date=None, data=data))


def generate(n_invoices: int, seed: int) -> Company:
    """A clean company plus injected findings; the truth is recorded as it is injected."""
    rnd = random.Random(seed)
    co = Company()
    n_customers = max(50, n_invoices // 20)
    names = [f"Customer {i:06d} Trading" for i in range(n_customers)]
    counter = iter(range(1, 10**9))

    def number() -> str:
        return f"INV-{next(counter):07d}"

    def amount() -> int:  # distinct enough that clean data has no accidental duplicates
        return rnd.randrange(10_000, 5_000_000) * 10 + rnd.randrange(10)

    def day(offset: int) -> date:
        return START + timedelta(days=offset)

    t = co.truth
    injected = max(20, n_invoices // 200)  # per kind
    special = set(rnd.sample(range(n_invoices), min(n_invoices, injected * 8)))
    special_list = sorted(special)
    kinds = ["missing", "amount", "currency", "status", "due", "customer", "dup", "paidnopay"]
    role = {i: kinds[k % len(kinds)] for k, i in enumerate(special_list)}
    pay_no = iter(range(1, 10**9))

    for i in range(n_invoices):
        num = number()
        cust = names[i % n_customers]
        total = amount()
        issued = day(rnd.randrange(600))
        due = issued + timedelta(days=30)
        r = role.get(i)
        paid = r not in ("dup",) and rnd.random() < 0.7
        status, balance = ("paid", 0) if paid else ("open", total)
        sid = f"in_{i:08d}"
        co.invoice("books", num, num, cust, "USD", total, balance, status, issued, due)
        lk = f"books:{num}|stripe:{sid}"
        if r == "missing":
            t.add("missing_in_other_system", f"missing_in_other_system:books:{num}:stripe")
        elif r == "amount":
            co.invoice("stripe", sid, num, cust, "USD", total + 500, balance + (
                500 if balance else 0), status, issued, due)
            t.add("amount_mismatch", f"amount_mismatch:{lk}")
        elif r == "currency":
            co.invoice("stripe", sid, num, cust, "EUR", total, balance, status, issued, due)
            t.add("currency_mismatch", f"currency_mismatch:{lk}")
        elif r == "status":
            if status == "paid":  # the ledger marked it paid, the billing system never was
                co.invoice("stripe", sid, num, cust, "USD", total, total, "open", issued, due)
                t.add("paid_without_payment", f"paid_without_payment:books:{num}")
            else:
                co.invoice("stripe", sid, num, cust, "USD", total, 0, "paid", issued, due)
                co.payment(f"py_{next(pay_no):08d}", cust, "USD", total, due,
                           applications=[(num, total)])
            t.add("status_mismatch", f"status_mismatch:{lk}")
        elif r == "due":
            co.invoice("stripe", sid, num, cust, "USD", total, balance, status, issued,
                       due + timedelta(days=15))
            t.add("due_date_mismatch", f"due_date_mismatch:{lk}")
        elif r == "customer":
            co.invoice("stripe", sid, num, "Zebulon Quarry Holdings", "USD", total, balance,
                       status, issued, due)
            t.add("customer_mismatch", f"customer_mismatch:{lk}")
        elif r == "dup":  # keyed again a day later in the ledger only
            co.invoice("stripe", sid, num, cust, "USD", total, balance, status, issued, due)
            dup = number()
            co.invoice("books", dup, dup, cust, "USD", total, total, "open",
                       issued + timedelta(days=1), due + timedelta(days=1))
            t.add("duplicate_invoice", f"duplicate_invoice:books:{num}|{dup}")
            t.add("missing_in_other_system", f"missing_in_other_system:books:{dup}:stripe")
        elif r == "paidnopay":
            co.rows.pop()
            co.invoice("books", num, num, cust, "USD", total, 0, "paid", issued, due)
            co.invoice("stripe", sid, num, cust, "USD", total, 0, "paid", issued, due)
            t.add("paid_without_payment", f"paid_without_payment:books:{num}")
            t.add("paid_without_payment", f"paid_without_payment:stripe:{sid}")
            continue
        else:
            co.invoice("stripe", sid, num, cust, "USD", total, balance, status, issued, due)
        if status == "paid" and r not in ("status",):
            co.payment(f"py_{next(pay_no):08d}", cust, "USD", total,
                       issued + timedelta(days=rnd.randrange(5, 40)),
                       applications=[(num, total)])

    def open_pair(cust: str, cur: str, total: int, offset: int) -> str:
        num = number()
        issued = day(offset)
        co.invoice("books", num, num, cust, cur, total, total, "open", issued,
                   issued + timedelta(days=30))
        co.invoice("stripe", f"in_x{num}", num, cust, cur, total, total, "open", issued,
                   issued + timedelta(days=30))
        return num

    def unapplied(pid: str, expect: list[str]) -> None:
        key = f"unapplied_payment:bank:{pid}"
        t.add("unapplied_payment", key)
        t.top1[key] = {f"books:{n}" for n in expect} | {f"stripe:in_x{n}" for n in expect}

    # Payment cases, each for a fresh customer so the expected answer is unambiguous.
    fresh = iter(f"Fresh Client {i:06d} Partners" for i in range(10**6))
    for _ in range(injected):
        # exact amount on the only open invoice of the customer
        cust = next(fresh)
        total = amount()
        num = open_pair(cust, "USD", total, 650)
        pid = f"py_{next(pay_no):08d}"
        co.payment(pid, cust, "USD", total, day(670))
        unapplied(pid, [num])
        # the invoice number only in the memo, unknown payer
        cust = next(fresh)
        total = amount()
        num = open_pair(cust, "USD", total, 650)
        pid = f"py_{next(pay_no):08d}"
        co.payment(pid, "J SMITH", "USD", total, day(671), memo=f"remittance ref {num}")
        unapplied(pid, [num])
        # one payment for three invoices
        cust = next(fresh)
        nums, parts = [], [amount() for _ in range(3)]
        for j, part in enumerate(parts):
            nums.append(open_pair(cust, "USD", part, 640 + j))
        pid = f"py_{next(pay_no):08d}"
        co.payment(pid, cust, "USD", sum(parts), day(672))
        unapplied(pid, nums)
        # a partial payment
        cust = next(fresh)
        total = amount()
        num = open_pair(cust, "USD", total, 650)
        pid = f"py_{next(pay_no):08d}"
        co.payment(pid, cust, "USD", total // 3, day(673))
        unapplied(pid, [num])
        # the payer's name spelled differently
        cust = next(fresh)
        total = amount()
        num = open_pair(cust, "USD", total, 650)
        pid = f"py_{next(pay_no):08d}"
        co.payment(pid, cust.replace("Partners", "Partnrs").upper(), "USD", total, day(674))
        unapplied(pid, [num])
        # zero- and three-decimal currencies
        for cur, value in (("JPY", rnd.randrange(1000, 900000)),
                           ("KWD", rnd.randrange(1000, 9_000_000))):
            cust = next(fresh)
            num = open_pair(cust, cur, value, 650)
            pid = f"py_{next(pay_no):08d}"
            co.payment(pid, cust, cur, value, day(675))
            unapplied(pid, [num])
        # partly applied: pays one paid invoice and leaves something over
        cust = next(fresh)
        total = amount()
        num = number()
        co.invoice("books", num, num, cust, "USD", total, 0, "paid", day(600), day(630))
        co.invoice("stripe", f"in_x{num}", num, cust, "USD", total, 0, "paid", day(600),
                   day(630))
        pid = f"py_{next(pay_no):08d}"
        co.payment(pid, cust, "USD", total + 1234, day(640), applications=[(num, total)])
        t.add("partly_applied_payment", f"partly_applied_payment:bank:{pid}")
        # overpayment: two payments applied to one invoice
        cust = next(fresh)
        total = amount()
        num = number()
        co.invoice("books", num, num, cust, "USD", total, 0, "paid", day(600), day(630))
        co.invoice("stripe", f"in_x{num}", num, cust, "USD", total, 0, "paid", day(600),
                   day(630))
        co.payment(f"py_{next(pay_no):08d}", cust, "USD", total, day(610),
                   applications=[(num, total)])
        co.payment(f"py_{next(pay_no):08d}", cust, "USD", 2500, day(640),
                   applications=[(num, 2500)])
        t.add("overpayment", f"overpayment:books:{num}")
        # a payment keyed twice, a day apart
        cust = next(fresh)
        total = amount()
        num = open_pair(cust, "USD", total, 650)
        p1, p2 = f"py_{next(pay_no):08d}", f"py_{next(pay_no):08d}"
        co.payment(p1, cust, "USD", total // 2 + 7, day(676))
        co.payment(p2, cust, "USD", total // 2 + 7, day(677))
        t.add("duplicate_payment", f"duplicate_payment:bank:{p1}|{p2}")
        # the first is unapplied (a partial payment of that invoice); the second is only
        # the duplicate: counting it unapplied too would ask for the same money twice
        unapplied(p1, [num])
    co.n = n_invoices
    return co


def populate(url: str, co: Company) -> None:
    engine = open_store(url)
    now = utcnow()
    batch: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for i, row in enumerate(co.rows):
            data = row.pop("data")
            row.update(data=orjson.dumps(data).decode(), raw="{}", content_hash=f"{i:032x}",
                       first_seen_at=now, updated_at=now)
            batch.append(row)
            if len(batch) == 20000:
                conn.execute(records.insert(), batch)
                batch = []
        if batch:
            conn.execute(records.insert(), batch)
    engine.dispose()


def _prepare(n: int, seed: int, url: str, truth_file: Path) -> None:
    co = generate(n, seed)
    rows = len(co.rows)
    populate(url, co)
    truth_file.write_bytes(orjson.dumps({
        "rows": rows, "keys": {k: sorted(v) for k, v in co.truth.keys.items()},
        "top1": {k: sorted(v) for k, v in co.truth.top1.items()}}))


class PeakRss:
    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self.peak = self.proc.memory_info().rss
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def read_baseline(engine: sa.engine.Engine) -> float:
    """Reading the rows the reconciler reads, with nothing done to them."""
    cols = [records.c.id, records.c.source, records.c.external_id, records.c.number,
            records.c.party, records.c.customer_ref, records.c.currency,
            records.c.amount_minor, records.c.open_minor, records.c.status, records.c.doc_date,
            records.c.due_date, records.c.data]
    started = time.perf_counter()
    with engine.connect() as conn:
        for entity in ("invoice", "payment"):
            last = 0
            while True:
                rows = conn.execute(sa.select(*cols).where(
                    records.c.entity == entity, records.c.deleted_at.is_(None),
                    records.c.id > last).order_by(records.c.id).limit(20000)).all()
                if not rows:
                    break
                last = rows[-1][0]
    return time.perf_counter() - started


@dataclass
class Run:
    found: list[lifecycle.FindingValues]
    merged: lifecycle.MergeResult
    loaded: float
    elapsed: float
    peak: int


def run(engine: sa.engine.Engine, settings: ReconcileSettings) -> Run:
    """One reconcile as :func:`hub.reconcile.runner.reconcile` does it, timed and measured."""
    with PeakRss() as rss:
        started = time.perf_counter()
        with engine.connect() as conn:
            snapshot = load(conn)
        loaded = time.perf_counter() - started
        found = [lifecycle.encode(f) for f in find_iter(snapshot, settings)]
        del snapshot  # as the reconciler does before it merges
        with engine.begin() as conn:
            merged = lifecycle.merge(conn, found, utcnow())
        elapsed = time.perf_counter() - started
    return Run(found, merged, loaded, elapsed, rss.peak)


def _top1_right(found: lifecycle.FindingValues, truth: Truth) -> bool:
    """Whether the best suggestion names only invoices the payment was made for."""
    suggestions = orjson.loads(found.details).get("suggestions", [])
    best = set(suggestions[0]["invoices"]) if suggestions else set()
    return bool(best) and best <= truth.top1[found.key]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cash-lines", type=int, default=600,
                        help="bank lines of cash-application cases, every family of "
                             "bench/cash_families.py, scored after the reconcile (0: none)")
    parser.add_argument("--store", help="store URL (default: a SQLite file in the work dir)")
    parser.add_argument("--workdir", type=Path,
                        help="keep the generated company here; reused when it is there")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bh-reconcile-"))
    work.mkdir(parents=True, exist_ok=True)
    url = args.store or f"sqlite:///{work / 'store.db'}"
    truth_file = work / "truth.json"
    if args.workdir and truth_file.exists():
        print(f"reusing the company in {work}", flush=True)
        engine = open_store(url)
        with engine.begin() as conn:  # start from no findings, as a fresh store would
            conn.execute(sa.text("DELETE FROM findings"))
        engine.dispose()
    else:
        print(f"generating {args.invoices:,} invoices per system ...", flush=True)
        # Generated in a child process, so this process's peak RSS is the reconciler's own.
        child = multiprocessing.get_context("spawn").Process(
            target=_prepare, args=(args.invoices, args.seed, url, truth_file))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit("generating the company failed")
    saved = orjson.loads(truth_file.read_bytes())
    n_rows = saved["rows"]
    truth = Truth()
    for kind, keys in saved["keys"].items():
        truth.keys[kind] = set(keys)
    truth.top1 = {k: set(v) for k, v in saved["top1"].items()}
    engine = open_store(url)
    settings = ReconcileSettings()

    baseline = min(read_baseline(engine) for _ in range(2))
    first = run(engine, settings)
    got: dict[str, set[str]] = defaultdict(set)
    for f in first.found:
        got[f.kind].add(f.key)
    right = sum(_top1_right(f, truth) for f in first.found if f.key in truth.top1)
    first.found.clear()  # scored: the second run starts without them
    again = run(engine, settings)  # on unchanged data: every finding is found again
    engine.dispose()

    print(f"records: {n_rows:,} ({args.invoices:,} invoices per system, payments, injected "
          "cases)")
    print(f"{'kind':28} {'truth':>7} {'found':>7} {'precision':>9} {'recall':>7}")
    for kind in sorted(set(truth.keys) | set(got)):
        want, have = truth.keys.get(kind, set()), got.get(kind, set())
        hit = len(want & have)
        precision = hit / len(have) if have else 1.0
        recall = hit / len(want) if want else 1.0
        print(f"{kind:28} {len(want):7} {len(have):7} {precision:9.3f} {recall:7.3f}")
    print(f"top-1 suggestion right: {right}/{len(truth.top1)} "
          f"({right / max(1, len(truth.top1)):.1%}) (target >= 95%)")
    print(f"read the same rows: {baseline:.2f} s (baseline)")
    print(f"reconcile:          {first.elapsed:.2f} s (load {first.loaded:.2f} s), "
          f"{first.elapsed / baseline:.1f}x the read (target <= 5)")
    print(f"peak RSS:           {first.peak / 2**20:.0f} MB (target < 1024 MB)")
    m = again.merged
    print(f"second run:         {again.elapsed:.2f} s, peak RSS {again.peak / 2**20:.0f} MB, "
          f"{m.new} new, {m.updated} changed, {m.auto_resolved} resolved, {m.unchanged} "
          f"unchanged (first run stored {first.merged.new})")
    if args.cash_lines:
        # Cash application: every case family of issue 16 (bench/cash_families.py), loaded
        # through the CSV connector and scored by kind and set (bench/matching_cases.py).
        families = work / "cash-families"
        subprocess.run([sys.executable, str(ROOT / "bench" / "cash_families.py"), str(families),
                        "--seed", str(args.seed), "--size", str(args.cash_lines)],
                       check=True, capture_output=True)
        sys.path.insert(0, str(ROOT / "bench"))
        from matching_cases import score
        score(families)
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
