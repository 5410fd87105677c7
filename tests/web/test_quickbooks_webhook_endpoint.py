"""QuickBooks webhooks end to end: the simulator delivers to `billing-hub serve`, the
delivery is verified and recorded, and its sync brings QuickBooks' change into the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub.plugins import load_plugins
from hub.runtime import Hub
from hub.store.schema import webhook_deliveries
from hub.web.app import create_app
from hub.web.server import ServerThread
from plugins.quickbooks.simulator import QboSimulatorServer, cloudevents, deliver
from tests.support.hub import hub, stored, wait_for
from tests.support.qbo import config_body

TOKEN = "endpoint-verifier-token"


@pytest.fixture
def synced(qbo: QboSimulatorServer, tmp_path: Path, store_url: str,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[QboSimulatorServer, Any, Any]]:
    monkeypatch.setenv("QBO_VERIFIER_TOKEN", TOKEN)
    body = config_body(qbo, webhook_verifier_token='"env:QBO_VERIFIER_TOKEN"')
    body += "\n[web]\ndebounce_seconds = 0.05\n"
    with hub(tmp_path, store_url, body) as (sync, engine, config):
        assert sync.sync("books").status == "succeeded"
        yield qbo, engine, config


def _rows(engine: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(webhook_deliveries).order_by(webhook_deliveries.c.id))]


def test_a_change_in_quickbooks_reaches_the_store_through_its_webhook(
        synced: tuple[QboSimulatorServer, Any, Any]) -> None:
    qbo, engine, config = synced
    invoice = qbo.sim.all("Invoice")[0]
    qbo.sim.clock.advance(60)
    qbo.sim.update("Invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"],
                               "sparse": True, "DueDate": "2027-02-28"})
    payload = cloudevents(qbo.sim.changes()[-1:], qbo.realm_id)
    app = create_app(Hub(config, load_plugins(), engine), process_webhooks=True)
    with ServerThread(app) as server:
        url = f"{server.url}/webhooks/books"
        first = deliver(url, payload, TOKEN)
        again = deliver(url, payload, TOKEN)  # QuickBooks delivers again when unsure
        forged = deliver(url, payload, "not-the-token")
        wait_for(lambda: all(r["status"] == "processed" for r in _rows(engine)),
                 "the delivery's sync")
    assert (first.status_code, again.status_code, forged.status_code) == (200, 200, 400)
    assert again.json()["duplicate"] is True and TOKEN not in forged.text
    assert stored(engine, "invoice", "books")[invoice["Id"]]["due_date"] == "2027-02-28"
    [row] = _rows(engine)  # one delivery recorded, with what it said; never the body
    assert row["hints"] != "[]" and "intuit" not in str(row) and TOKEN not in str(row)
