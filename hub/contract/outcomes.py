"""Plain records of what a sync did, shared by the engine, the CLI and hooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class EntityCounts:
    """How many records a pull created, updated, left unchanged, quarantined or saw deleted."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    """Rejects left open in the quarantine: they make ``billing-hub sync`` exit 3."""
    deleted: int = 0
    """Records the source deleted, now marked deleted in the store (not counted in ``seen``)."""
    dismissed: int = 0
    """Rejects that match a quarantine entry someone dismissed: kept dismissed, not failing."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Rows the source skipped on purpose, by reason (a declared rule): never records."""
    notes: list[str] = field(default_factory=list)
    """What the connector said about how it read the source (a file's detected encoding)."""

    @property
    def seen(self) -> int:
        return self.created + self.updated + self.unchanged + self.quarantined + self.dismissed

    def add(self, other: EntityCounts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.quarantined += other.quarantined
        self.deleted += other.deleted
        self.dismissed += other.dismissed
        for reason, n in other.skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + n
        self.notes.extend(n for n in other.notes if n not in self.notes)

    def as_dict(self) -> dict[str, Any]:
        """The counts as plain JSON (the two newer ones only when not zero)."""
        data: dict[str, Any] = {name: getattr(self, name) for name in _NAMES}
        if self.dismissed:
            data["dismissed"] = self.dismissed
        if self.skipped:
            data["skipped"] = dict(self.skipped)
        if self.notes:
            data["notes"] = list(self.notes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EntityCounts:
        skipped = data.get("skipped") or {}
        return cls(**{k: int(data.get(k, 0)) for k in (*_NAMES, "dismissed")},
                   skipped={str(k): int(v) for k, v in skipped.items()},
                   notes=[str(n) for n in data.get("notes") or ()])


_NAMES = ("created", "updated", "unchanged", "quarantined", "deleted")


@dataclass(slots=True)
class RunSummary:
    """The outcome of one run: ``status`` is running, succeeded, failed or interrupted."""

    run_id: int
    kind: str
    connector: str
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    counts: dict[str, EntityCounts] = field(default_factory=dict)
    error: str | None = None

    @property
    def total(self) -> EntityCounts:
        out = EntityCounts()
        for c in self.counts.values():
            out.add(c)
        return out
