"""``POST /v3/company/{realm}/invoice/{id}/send[?sendTo=address]``: e-mail an invoice.

As Intuit's API reference describes the send operation: the invoice goes to
``sendTo`` when given (and ``BillEmail.Address`` becomes that address), else to
its ``BillEmail.Address``; with neither, a validation fault. The answer is the
invoice, with ``EmailStatus`` ``EmailSent`` and ``DeliveryInfo`` (``DeliveryType``
``Email``, ``DeliveryTime``). Sending is an update (a new ``SyncToken``, a CDC
change), and every e-mail the simulator would have sent is kept in
:attr:`QboSimulator.sent_invoices` for the tests.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from plugins.quickbooks.simulator import errors
from plugins.quickbooks.simulator.company import Company

if TYPE_CHECKING:
    from plugins.quickbooks.simulator.app import QboSimulator

_ADDRESS = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


@dataclass(frozen=True, slots=True)
class SentInvoice:
    """One invoice e-mailed by the send operation."""

    realm_id: str
    invoice_id: str
    doc_number: str | None
    to: str
    at: str
    request_id: str | None


def send(sim: QboSimulator, company: Company, invoice_id: str, params: dict[str, str]
         ) -> dict[str, Any]:
    """The invoice as sent; the caller holds the simulator's lock."""
    current = company.get("Invoice", invoice_id)
    send_to = (params.get("sendTo") or "").strip()
    if send_to and not _ADDRESS.match(send_to):
        raise errors.validation("2050", "Invalid String",
                                f"sendTo {send_to!r} is not an e-mail address", "sendTo")
    to = send_to or str((current.get("BillEmail") or {}).get("Address") or "")
    if not to:
        raise errors.validation("6030", "Missing email address",
                                "Email Address Missing : the invoice has no BillEmail and no "
                                "sendTo was given", "BillEmail")
    company.update("Invoice", {"Id": invoice_id, "SyncToken": current["SyncToken"],
                               "sparse": True, "EmailStatus": "EmailSent",
                               "BillEmail": {"Address": to}})
    stored = company.objects["Invoice"][invoice_id]
    now = stored["MetaData"]["LastUpdatedTime"]
    stored["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": now}
    sim.sent_invoices.append(SentInvoice(company.realm_id, invoice_id, current.get("DocNumber"),
                                         to, now, params.get("requestid")))
    return copy.deepcopy(stored)
