"""Plain records of what a sync did, shared by the engine, the CLI and hooks."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class EntityCounts:
    """How many records a pull created, updated, left unchanged, quarantined or saw deleted."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    deleted: int = 0
    """Records the source deleted, now marked deleted in the store (not counted in ``seen``)."""

    @property
    def seen(self) -> int:
        return self.created + self.updated + self.unchanged + self.quarantined

    def add(self, other: EntityCounts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.quarantined += other.quarantined
        self.deleted += other.deleted

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EntityCounts:
        names = ("created", "updated", "unchanged", "quarantined", "deleted")
        return cls(**{k: int(data.get(k, 0)) for k in names})


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
