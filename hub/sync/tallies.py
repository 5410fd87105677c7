"""A sync's control totals: counted per page, compared with what a source states.

Each committed page adds to its run, per entity and currency, the records read
(every record the source gave, mapped or not), those stored, those
quarantined and the rows skipped by rule (:mod:`hub.store.controls`). A
quarantined or skipped row has no trusted amount, and a record without an
amount (a customer) none to sum: they are counted under no currency. When a
page carries the source's own totals (:class:`~hub.contract.page.StatedTotals`),
they are compared with the records this pull stored since the previous
statement (``covers = "pull"``), or with every live record the hub holds of
the source and entity (``"source"``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from hub.contract.page import StatedTotals
from hub.money import to_minor_units
from hub.store import Connection
from hub.store.controls import NO_CURRENCY, Control, Tally, held
from hub.store.records import PreparedRecord


def tally_page(prepared: Sequence[PreparedRecord], not_stored: Collection[str], *,
               quarantined: int, skipped: int, unmapped: int) -> dict[str, Tally]:
    """Currency -> tally of one page: ``prepared`` were read, those not in ``not_stored``
    were stored; ``unmapped`` rejects were read too (no currency known)."""
    out: dict[str, Tally] = {}
    for p in prepared:
        if p.external_id in not_stored:  # refused by the store, quarantined: no trusted amount
            out.setdefault(NO_CURRENCY, Tally()).read_count += 1
            continue
        minor = p.amount_minor
        currency = p.currency if p.currency and minor is not None else NO_CURRENCY
        minor = minor or 0
        t = out.setdefault(currency, Tally())
        t.read_count += 1
        t.read_minor += minor
        t.stored_count += 1
        t.stored_minor += minor
    if quarantined or skipped or unmapped:
        t = out.setdefault(NO_CURRENCY, Tally())
        t.read_count += unmapped
        t.quarantined_count += quarantined
        t.skipped_count += skipped
    return out


@dataclass(slots=True)
class Segment:
    """What a pull stored of one entity since the last statement of the source's totals."""

    tallies: dict[str, Tally] = field(default_factory=dict)

    def add(self, tallies: dict[str, Tally]) -> None:
        for currency, t in tallies.items():
            self.tallies.setdefault(currency, Tally()).add(t)

    def compare(self, conn: Connection, run_id: int, source: str, entity: str,
                stated: StatedTotals) -> Control:
        """The comparison of ``stated`` with what the hub has; the segment starts anew."""
        quarantined = sum(t.quarantined_count for t in self.tallies.values())
        if stated.covers == "source":
            count, sums = held(conn, source, entity)
        else:
            count = sum(t.stored_count for t in self.tallies.values())
            sums = {c: t.stored_minor for c, t in self.tallies.items() if c != NO_CURRENCY}
        compared = {c: (to_minor_units(amount, c), sums.get(c, 0))
                    for c, amount in stated.sums.items()}
        short = ((stated.count is not None and count != stated.count)
                 or any(s != h for s, h in compared.values()))
        self.tallies = {}
        return Control(run_id, source, entity, stated.basis, stated.covers,
                       stated.count, count, quarantined, compared, short)
