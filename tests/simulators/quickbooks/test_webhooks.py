"""Webhook bodies in both formats, signed so python-quickbooks validates them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest
from quickbooks import QuickBooks

from plugins.quickbooks.simulator import (
    QboSimulator,
    cloudevents,
    deliver,
    event_notifications,
    sign,
)


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[bytes, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, self.headers["intuit-signature"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[bytes, str]]]]:
    _Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Receiver.received
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def _validates(body: bytes, signature: str, token: str) -> bool:
    client = QuickBooks(company_id="1", minorversion=75, verifier_token=token)
    return bool(client.validate_webhook_signature(body.decode(), signature))


def test_sign_validates_with_python_quickbooks() -> None:
    body = b'{"eventNotifications": []}'
    assert _validates(body, sign(body, "verifier-1"), "verifier-1")
    assert not _validates(body, sign(body, "verifier-2"), "verifier-1")
    assert not _validates(body + b" ", sign(body, "verifier-1"), "verifier-1")


def test_deliveries_of_recorded_changes_in_both_formats(
        sim: QboSimulator, receiver: tuple[str, list[tuple[bytes, str]]]) -> None:
    url, received = receiver
    mark = len(sim.changes())
    invoice = sim.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [
        {"Amount": 10, "DetailType": "SalesItemLineDetail",
         "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]})
    sim.delete("Invoice", invoice["Id"])
    changes = sim.changes()[mark:]
    events = cloudevents(changes, sim.realm_id)
    assert [e["type"] for e in events] == ["qbo.invoice.created.v1", "qbo.invoice.deleted.v1"]
    assert {e["intuitentityid"] for e in events} == {invoice["Id"]}
    assert all(e["intuitaccountid"] == sim.realm_id and e["specversion"] == "1.0"
               for e in events)
    old = event_notifications(changes, sim.realm_id)
    entities = old["eventNotifications"][0]["dataChangeEvent"]["entities"]
    assert [(e["name"], e["operation"]) for e in entities] == [("Invoice", "Create"),
                                                               ("Invoice", "Delete")]
    assert deliver(url, events, sim.verifier_token).status_code == 200
    assert deliver(url, old, sim.verifier_token).status_code == 200
    for body, signature in received:
        assert _validates(body, signature, sim.verifier_token)
    assert json.loads(received[0][0]) == json.loads(json.dumps(events))
    assert json.loads(received[1][0])["eventNotifications"][0]["realmId"] == sim.realm_id
