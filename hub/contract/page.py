"""One page of a pull: what a connector's :meth:`~hub.contract.connector.Connector.pull` yields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from hub.contract.cursor import Cursor

if TYPE_CHECKING:  # the models are loaded by the connectors that make records
    from hub.errors import RecordRejected
    from hub.models import CanonicalRecord


@dataclass(frozen=True, slots=True)
class StatedTotals:
    """What a source says of its own totals for one entity: a control figure.

    ``count`` is how many records the source says it holds (or the file says it
    carries); ``sums`` the amounts it states, per currency (``{"USD":
    Decimal("12345.67")}``). ``basis`` says where the figures come from, for a
    person: ``"QuickBooks: SELECT COUNT(*) FROM Invoice"``, ``"bank.csv line 14:
    control-total row"``. ``covers`` says what they are compared with:
    ``"pull"``, the records of this pull (a file read whole, its trailer row);
    ``"source"``, every live record the hub holds of the source and entity
    after the pull (a count the service answers). The hub records both sides
    with the run, and a shortfall is an ``incomplete_sync`` finding.
    """

    basis: str
    count: int | None = None
    sums: Mapping[str, Decimal] = field(default_factory=dict)
    covers: Literal["pull", "source"] = "pull"


@dataclass(slots=True, init=False)
class Page:
    """One page of a pull: records, rejects and the cursor after it.

    The sync engine stores the records, quarantines the rejects and saves
    ``cursor`` in one transaction, so a crash loses at most the page in flight.
    The cursor is opaque to the hub: text only the connector reads back. Give
    it as a :class:`~hub.contract.cursor.Cursor` (the page keeps its
    :meth:`~hub.contract.cursor.Cursor.dump`, made at once, so a later change
    to the model does not move a page already handed out) or as a string.
    """

    records: Sequence[CanonicalRecord]
    rejected: Sequence[RecordRejected] = ()
    cursor: str | None = None
    locations: Mapping[str, str] = field(default_factory=dict)
    """external_id -> where the record came from, for people: a file and line
    (``invoices.csv:12``), a mailbox and UID, an API address. Lines after the first are
    links a person opens the record at in the service's own app (a dashboard page); no
    part of it holds a secret. A record whose location alone changed is not a change of
    the record: the store keeps the new location and adds nothing to its history."""
    progress: tuple[int, int] | None = None
    """(work done, work in all) so far, in any unit (bytes of a file), for progress bars."""
    deleted: Sequence[str] = ()
    """Ids of records the source deleted (an incremental pull learns of them). The
    hub keeps such a record, marked deleted with the time, in the same transaction
    as the page: the reconciler and exports leave it out, and it comes back to life
    if the source ever gives it again."""
    skipped: Mapping[str, int] = field(default_factory=dict)
    """Rows the source left out on purpose, by reason: a declared rule (a bank file's
    closing-balance line), never a fault. Counted in the run's summary, not quarantined.
    The reason reads after a count: ``"rows skipped by rule (skip_footer = 1)"``."""
    notes: Sequence[str] = ()
    """What a person should know about how the source was read, shown under the run's
    summary: ``"bank.csv read as cp1252: ..."``. Not a fault, not a count."""
    complete: bool = False
    """Set on the last page of a pull that gave every record the source holds for the
    entity (a file read whole). The hub then marks deleted the stored records of that
    source and entity the pull did not give, except those it quarantined: a row removed
    from a file is gone from the books too."""
    stated: StatedTotals | None = None
    """The source's own totals for the entity (a control-total row, a count the service
    answers), given on the page after the records they cover: see :class:`StatedTotals`."""

    def __init__(self, records: Sequence[CanonicalRecord],
                 rejected: Sequence[RecordRejected] = (), cursor: str | Cursor | None = None,
                 locations: Mapping[str, str] | None = None,
                 progress: tuple[int, int] | None = None, deleted: Sequence[str] = (),
                 skipped: Mapping[str, int] | None = None, complete: bool = False,
                 notes: Sequence[str] = (), stated: StatedTotals | None = None) -> None:
        self.records = records
        self.rejected = rejected
        self.cursor = cursor.dump() if isinstance(cursor, Cursor) else cursor
        self.locations = {} if locations is None else locations
        self.progress = progress
        self.deleted = deleted
        self.skipped = {} if skipped is None else skipped
        self.complete = complete
        self.notes = notes
        self.stated = stated
