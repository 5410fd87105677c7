"""Upgrading a store that has records to the history's migration (0008_record_history)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from hub.store import create_engine, migrate
from hub.store.schema import finding_history, findings, record_history, records

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def _record(ext: str, deleted: datetime | None) -> dict[str, object]:
    return {"source": "books", "entity": "invoice", "external_id": ext, "content_hash": ext,
            "data": "{}", "raw": "{}", "status": "open", "open_minor": 100,
            "first_seen_at": T0, "updated_at": deleted or T1, "deleted_at": deleted}


def test_the_upgrade_keeps_the_present_state_of_what_the_store_holds(store_url: str) -> None:
    engine = create_engine(store_url)
    migrate(engine, "0007")
    with engine.begin() as conn:
        conn.execute(records.insert(), [_record("A", None), _record("B", T1)])
        conn.execute(findings.insert().values(
            key="k", kind="unapplied_payment", severity="warning", status="open",
            explanation="x", first_seen_at=T0, last_seen_at=T1))
    migrate(engine)
    with engine.connect() as conn:
        kept = conn.execute(
            sa.select(records.c.external_id, record_history.c.change, record_history.c.learned_at)
            .join(records, records.c.id == record_history.c.record_id)
            .order_by(records.c.external_id)).all()
        states = conn.execute(sa.select(finding_history.c.status, finding_history.c.at)).all()
    engine.dispose()
    assert [(ext, change) for ext, change, _ in kept] == [("A", "known"), ("B", "deleted")]
    assert all(at.replace(tzinfo=UTC) == T1 if at.tzinfo is None else at == T1
               for _, _, at in kept)
    assert [status for status, _ in states] == ["open"]
