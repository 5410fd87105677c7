"""QuickBooks webhook deliveries: both formats, the signature, other companies, replays."""

from __future__ import annotations

import json

import pytest
from quickbooks import QuickBooks

from hub.connectors.replay import MemoryReplayGuard
from hub.contract.webhooks import ChangeHint, WebhookDelivery
from hub.errors import WebhookSignatureError
from plugins.quickbooks.webhooks import signature, verify

TOKEN = "verifier-token-of-the-app"
REALM = "9130357766900456"


def _delivery(body: object, token: str = TOKEN) -> WebhookDelivery:
    raw = json.dumps(body).encode()
    return WebhookDelivery({"Intuit-Signature": signature(raw, token),
                            "Content-Type": "application/json"}, raw)


CLOUD = [
    {"specversion": "1.0", "id": "e1", "source": "intuit", "type": "qbo.invoice.updated.v1",
     "time": "2026-11-20T18:00:00Z", "intuitaccountid": REALM, "intuitentityid": "130",
     "data": {}},
    {"specversion": "1.0", "id": "e2", "source": "intuit", "type": "qbo.customer.deleted.v1",
     "time": "2026-11-20T18:00:01Z", "intuitaccountid": REALM, "intuitentityid": "7",
     "data": {}},
    {"specversion": "1.0", "id": "e3", "source": "intuit", "type": "qbo.creditmemo.created.v1",
     "time": "2026-11-20T18:00:02Z", "intuitaccountid": REALM, "intuitentityid": "9",
     "data": {}},
    {"specversion": "1.0", "id": "e4", "source": "intuit", "type": "qbo.invoice.updated.v1",
     "time": "2026-11-20T18:00:03Z", "intuitaccountid": "111", "intuitentityid": "5",
     "data": {}},  # another company: not ours
    {"specversion": "1.0", "id": "e5", "source": "intuit", "type": "qbo.bill.created.v1",
     "time": "2026-11-20T18:00:04Z", "intuitaccountid": REALM, "intuitentityid": "3",
     "data": {}},  # an object the hub does not pull
]

OLDER = {"eventNotifications": [{"realmId": REALM, "dataChangeEvent": {"entities": [
    {"name": "Payment", "id": "55", "operation": "Create", "lastUpdated": "2026-11-20T18:00Z"},
    {"name": "Invoice", "id": "130", "operation": "Void", "lastUpdated": "2026-11-20T18:00Z"},
    {"name": "Invoice", "id": "131", "operation": "Delete", "lastUpdated": "2026-11-20T18:00Z"},
]}}]}


def test_cloudevents_say_what_changed_in_our_company_only() -> None:
    receipt = verify(_delivery(CLOUD), MemoryReplayGuard(), verifier_token=TOKEN, realm_id=REALM)
    assert receipt.hints == (ChangeHint("invoice", "130"),
                             ChangeHint("customer", "7", deleted=True),
                             ChangeHint("credit_note", "9"))
    assert receipt.delivery_id.startswith("sha256:") and not receipt.duplicate


def test_the_older_format_is_still_understood() -> None:
    receipt = verify(_delivery(OLDER), MemoryReplayGuard(), verifier_token=TOKEN, realm_id=REALM)
    assert receipt.hints == (ChangeHint("payment", "55"), ChangeHint("invoice", "130"),
                             ChangeHint("invoice", "131", deleted=True))


def test_a_delivery_taken_twice_asks_for_nothing_the_second_time() -> None:
    guard = MemoryReplayGuard()
    delivery = _delivery(OLDER)
    assert verify(delivery, guard, verifier_token=TOKEN, realm_id=REALM).hints
    again = verify(delivery, guard, verifier_token=TOKEN, realm_id=REALM)
    assert again.duplicate and again.hints == ()


def test_our_signature_is_the_one_python_quickbooks_checks() -> None:
    body = json.dumps(CLOUD)
    client = QuickBooks(minorversion=75)
    assert client.validate_webhook_signature(body, signature(body.encode(), TOKEN), TOKEN)
    assert not client.validate_webhook_signature(body, signature(b"x" + body.encode(), TOKEN),
                                                 TOKEN)


def test_forged_or_unsigned_deliveries_are_refused_and_not_remembered() -> None:
    guard = MemoryReplayGuard()
    forged = _delivery(OLDER, token="someone-else")
    with pytest.raises(WebhookSignatureError, match="does not match") as exc:
        verify(forged, guard, verifier_token=TOKEN, realm_id=REALM)
    assert TOKEN not in str(exc.value) and "verifier token" in (exc.value.hint or "")
    unsigned = WebhookDelivery({}, forged.body)
    with pytest.raises(WebhookSignatureError, match="no intuit-signature"):
        verify(unsigned, guard, verifier_token=TOKEN, realm_id=REALM)
    # the genuine delivery of the same body is still taken in the first time
    assert not verify(_delivery(OLDER), guard, verifier_token=TOKEN, realm_id=REALM).duplicate
    with pytest.raises(WebhookSignatureError, match="neither CloudEvents"):
        verify(_delivery({"hello": 1}), guard, verifier_token=TOKEN, realm_id=REALM)
