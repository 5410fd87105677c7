"""Sending an invoice to its customer through Stripe: finalize it, then ``/send``.

Stripe e-mails a ``send_invoice`` invoice to its customer on
``POST /v1/invoices/{id}/send`` once it is finalized; a draft (the hub pushes
drafts with ``auto_advance: false``) is finalized first with
``POST /v1/invoices/{id}/finalize``. Each step carries its own idempotency key
derived from the hub's (``<key>:finalize``, ``<key>:send``), so a send asked
again after a lost answer or a crash walks the same steps and Stripe replays
what was done instead of e-mailing twice (keys live 24 hours at Stripe).
Stripe says nothing about delivery in the invoice: the receipt is ``sent``.
"""

from __future__ import annotations

from collections.abc import Callable

import stripe

from hub import InvoiceDelivery, SendReceipt, SendStatus
from plugins.stripe.api import Obj, StripeApi, StripeRefused, StripeUnavailable
from plugins.stripe.push import step_key


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def send(api: StripeApi, connector: str, delivery: InvoiceDelivery) -> SendReceipt:
    """One invoice finalized (when a draft) and e-mailed by Stripe."""
    key, invoice_id = delivery.idempotency_key, delivery.target_id
    try:
        current = _call(lambda: api.retrieve("invoices", invoice_id))
        status = current.get("status")
        name = current.get("number") or invoice_id
        if status == "void":
            raise _Refused(f"Stripe invoice {name} is void: there is nothing to send")
        if current.get("collection_method") != "send_invoice":
            raise _Refused(f"Stripe invoice {name} is collected automatically (charged to the "
                           "customer's payment method): Stripe sends only `send_invoice` "
                           "invoices by e-mail")
        if status == "draft":
            current = _call(lambda: api.post("finalize invoice",
                                             f"/v1/invoices/{invoice_id}/finalize", {},
                                             idempotency_key=step_key(key, "finalize")))
        sent = _call(lambda: api.post("send invoice", f"/v1/invoices/{invoice_id}/send", {},
                                      idempotency_key=step_key(key, "send")))
    except _Refused as exc:
        return SendReceipt(key, SendStatus.REJECTED, reason=exc.reason)
    except StripeUnavailable as exc:
        raise StripeUnavailable(exc.label, exc.tries, exc.reason, connector=connector,
                                hint="nothing is lost: `billing-hub invoices send` asks "
                                     "again with the same idempotency keys") from None
    to = sent.get("customer_email")
    return SendReceipt(key, SendStatus.SENT, to=str(to) if to else delivery.to,
                       answer=f"Stripe invoice {sent.get('number') or invoice_id} "
                              f"{sent.get('status')}, sent (invoice.sent)")


def _call(request: Callable[[], Obj]) -> Obj:
    try:
        found: Obj = request()
        return found
    except (StripeUnavailable, StripeRefused):
        raise
    except stripe.StripeError as exc:
        error = getattr(exc, "error", None)
        text = getattr(error, "message", None) or exc.user_message or str(exc)
        raise _Refused(f"Stripe refused it: {' '.join(str(text).split())}") from None
