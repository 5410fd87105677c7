"""The shortcuts the import's hot path takes give exactly what the plain way gives.

- a record's stored ``data`` is ``model_dump_json(exclude={"raw"})`` byte for
  byte, and its hash the documented blake2b of data and raw (so stores written
  before and after agree on what is unchanged);
- awkward text (tabs, newlines, backslashes, quotes, any script) survives the
  bulk write paths (``executemany`` on SQLite, ``COPY`` on PostgreSQL);
- amounts read by the one-step path equal those of the general one;
- bound dates are remembered, other values never.
"""

from __future__ import annotations

import gc
import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import orjson
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from hub.models import BankTransaction, CanonicalRecord, Customer, Invoice, Payment
from hub.store import records as rec
from hub.store import runs
from hub.store.clock import utcnow
from hub.store.schema import records
from hub.sync.engine import collector_on_new_objects_only
from plugins.csv.parsing import number_parser

AWKWARD = "tab\there, new\nline, cr\r, back\\slash, \"quoted\", 'single', é ß 漢字 🙂, \\N, \x01"


def _samples() -> list[CanonicalRecord]:
    modified = datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=timezone(timedelta(hours=2)))
    return [
        Invoice(source="books", external_id="INV-1", number="INV-1", issue_date=date(2026, 1, 2),
                due_date=date(2026, 2, 1), currency="usd", customer_name=AWKWARD,
                lines=[{"description": AWKWARD, "amount": Decimal("10.50")},
                       {"amount": Decimal("1E+1"), "quantity": Decimal("2"),
                        "unit_price": Decimal("5")}],
                tax=Decimal("0.00"), amount_paid=Decimal("5.25"), status="partially_paid",
                metadata={"k": AWKWARD}, raw={"Amount": "20.50", "Memo": AWKWARD, "n": 1},
                source_modified=modified),
        Invoice(source="books", external_id="INV-2", number="INV-2", issue_date=date(2026, 1, 2),
                currency="JPY", total=Decimal("1200"), amount_paid=Decimal("1200"),
                balance=Decimal("-0"), status="paid"),
        Payment(source="stripe", external_id="ch_1", amount=Decimal("12.345"), currency="BHD",
                received_date=date(2026, 3, 4), payer_name=AWKWARD,
                applications=[{"invoice_number": "INV-1", "amount": Decimal("2.000")}],
                fee=Decimal("0.100"), raw={"id": "ch_1", "nested": {"b": [1, 2], "a": None}}),
        BankTransaction(source="bank", external_id="row-1", booked_date=date(2026, 1, 31),
                        amount=Decimal("-99.99"), currency="EUR", description=AWKWARD,
                        balance_after=Decimal("1000.00")),
        Customer(source="books", external_id="C-1", name=AWKWARD, currency="CHF"),
    ]


@pytest.mark.parametrize("record", _samples(), ids=lambda r: f"{r.entity}-{r.external_id}")
def test_prepared_data_is_the_models_json_and_the_hash_is_the_documented_one(
    record: CanonicalRecord,
) -> None:
    prepared = rec.prepare(record, "file.csv:3")
    data = record.model_dump_json(exclude={"raw"})
    raw = orjson.dumps(record.raw, option=orjson.OPT_SORT_KEYS, default=str)
    digest = hashlib.blake2b(data.encode(), digest_size=16)
    digest.update(b"\x00")
    digest.update(raw)
    assert prepared.data == data
    assert prepared.raw == raw.decode()
    assert prepared.content_hash == digest.hexdigest()
    assert prepared.location == "file.csv:3"
    assert prepared.external_id == record.external_id
    assert prepared.source_modified == record.source_modified
    if record.source_modified is not None:
        assert prepared.source_modified.utcoffset() == timedelta(0)


def test_awkward_text_survives_the_bulk_writes(engine: Engine) -> None:
    samples = [r for r in _samples() if isinstance(r, Invoice | Payment)]
    by_id = {r.external_id: r for r in samples}
    with engine.begin() as conn:
        run_id = runs.start(conn, "sync", "src", utcnow())
        first = rec.upsert(conn, "src", "mixed", [rec.prepare(r) for r in samples],
                           run_id=run_id, now=utcnow())
    assert first.counts.created == len(samples)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(records.c.external_id, records.c.data, records.c.raw,
                                        records.c.party, records.c.doc_date,
                                        records.c.source_modified, records.c.last_run_id)).all()
    for ext, data, raw, party, doc_date, modified, last_run in stored:
        original = by_id[ext]
        assert data == original.model_dump_json(exclude={"raw"})
        assert orjson.loads(raw) == orjson.loads(orjson.dumps(original.raw, default=str))
        assert party == AWKWARD or ext == "INV-2"
        assert doc_date in (date(2026, 1, 2), date(2026, 3, 4))
        assert last_run == run_id
        if original.source_modified is not None:
            assert modified is not None
            assert modified.replace(tzinfo=modified.tzinfo or UTC) == original.source_modified
    with engine.begin() as conn:
        again = rec.upsert(conn, "src", "mixed", [rec.prepare(r) for r in samples],
                           run_id=None, now=utcnow())
    assert (again.counts.created, again.counts.updated, again.counts.unchanged) == (
        0, 0, len(samples))


@given(units=st.integers(min_value=0, max_value=10**15), places=st.sampled_from([0, 1, 2, 3]),
       marks=st.sampled_from([(".", ""), (".", ","), (".", "'"), (".", " "), (",", ""),
                              (",", "."), (",", " "), (",", "'")]))
def test_amounts_with_separators_read_exactly(units: int, places: int,
                                              marks: tuple[str, str]) -> None:
    decimal_mark, thousands = marks
    value = Decimal(units).scaleb(-places)
    whole, _, fraction = f"{value:f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", thousands)
    text = grouped + (decimal_mark + fraction if fraction else "")
    parse = number_parser(decimal_mark, thousands)
    assert parse(text) == value
    assert str(parse(text)) == str(value)
    assert str(parse(f"  {text} ")) == str(value)
    assert parse(f"-{text}") == -value
    assert parse(f"({text})") == -value


@pytest.mark.parametrize("text", ["$", "(€)", "-", "+", " - "])
def test_a_sign_or_symbol_alone_is_not_an_amount(text: str) -> None:
    with pytest.raises(ValueError, match=r"not an amount|empty"):
        number_parser(".", ",")(text)


def test_only_plain_dates_are_remembered_when_bound() -> None:
    calls: list[object] = []

    def proc(value: object) -> str:
        calls.append(value)
        return value.isoformat()  # type: ignore[attr-defined]

    bound = rec._remembering(proc)
    assert bound(date(2026, 1, 2)) == bound(date(2026, 1, 2)) == "2026-01-02"
    assert len(calls) == 1
    noon_utc = datetime(2026, 1, 2, 12, tzinfo=UTC)
    same_instant = noon_utc.astimezone(timezone(timedelta(hours=1)))
    assert noon_utc == same_instant
    assert bound(noon_utc) != bound(same_instant)


def test_a_sync_gives_the_garbage_collector_back_as_it_found_it() -> None:
    if gc.get_freeze_count():
        pytest.skip("something in this process froze objects already")
    threshold = gc.get_threshold()
    with collector_on_new_objects_only():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] >= 10_000
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == 0

    gc.freeze()  # a pre-forking server's own freeze is left alone
    try:
        frozen = gc.get_freeze_count()
        with collector_on_new_objects_only():
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen
        assert gc.get_threshold() == threshold
    finally:
        gc.unfreeze()
