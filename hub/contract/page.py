"""One page of a pull: what a connector's :meth:`~hub.contract.connector.Connector.pull` yields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hub.contract.cursor import Cursor

if TYPE_CHECKING:  # the models are loaded by the connectors that make records
    from hub.errors import RecordRejected
    from hub.models import CanonicalRecord


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
    """external_id -> where the record came from (``invoices.csv:12``), for people."""
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

    def __init__(self, records: Sequence[CanonicalRecord],
                 rejected: Sequence[RecordRejected] = (), cursor: str | Cursor | None = None,
                 locations: Mapping[str, str] | None = None,
                 progress: tuple[int, int] | None = None, deleted: Sequence[str] = (),
                 skipped: Mapping[str, int] | None = None, complete: bool = False,
                 notes: Sequence[str] = ()) -> None:
        self.records = records
        self.rejected = rejected
        self.cursor = cursor.dump() if isinstance(cursor, Cursor) else cursor
        self.locations = {} if locations is None else locations
        self.progress = progress
        self.deleted = deleted
        self.skipped = {} if skipped is None else skipped
        self.complete = complete
        self.notes = notes
