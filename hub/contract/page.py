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

    def __init__(self, records: Sequence[CanonicalRecord],
                 rejected: Sequence[RecordRejected] = (), cursor: str | Cursor | None = None,
                 locations: Mapping[str, str] | None = None,
                 progress: tuple[int, int] | None = None, deleted: Sequence[str] = ()) -> None:
        self.records = records
        self.rejected = rejected
        self.cursor = cursor.dump() if isinstance(cursor, Cursor) else cursor
        self.locations = {} if locations is None else locations
        self.progress = progress
        self.deleted = deleted
