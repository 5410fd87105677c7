"""Where a QuickBooks record was read, for ``billing-hub show``: the object's address on
the accounting API and the link a person opens it at in QuickBooks Online.

Neither holds a token: the API address is the one a person reads the object at with
their own sign-in; the app link opens in their own signed-in browser.
"""

from __future__ import annotations

from plugins.quickbooks.config import QuickBooksConfig

API = {"production": "https://quickbooks.api.intuit.com/v3",
       "sandbox": "https://sandbox-quickbooks.api.intuit.com/v3"}
APP = {"production": "https://app.qbo.intuit.com", "sandbox": "https://app.sandbox.qbo.intuit.com"}
APP_PAGES = {"Customer": "customerdetail?nameId=", "Invoice": "invoice?txnId=",
             "Payment": "recvpayment?txnId=", "CreditMemo": "creditmemo?txnId="}
"""QuickBooks object name -> its page in QuickBooks Online, up to the id."""


def _kind(config: QuickBooksConfig) -> str:
    """``production``, or ``sandbox`` for a sandbox company and for a local simulator
    (configured by its discovery document), which stands in for one."""
    return "production" if config.environment == "production" else "sandbox"


def api_url(config: QuickBooksConfig, name: str, object_id: str) -> str:
    """``.../v3/company/{realm}/invoice/{Id}``, on ``api_url`` when one is configured."""
    base = (config.api_url or API[_kind(config)]).rstrip("/")
    return f"{base}/company/{config.realm_id}/{name.lower()}/{object_id}"


def app_url(config: QuickBooksConfig, name: str, object_id: str) -> str | None:
    """The object's page in QuickBooks Online (the sandbox's host for a sandbox company)."""
    page = APP_PAGES.get(name)
    return None if page is None else f"{APP[_kind(config)]}/app/{page}{object_id}"


def location(config: QuickBooksConfig, name: str, object_id: str) -> str:
    """The record's location as a page gives it: the API address, then the app link on a
    line of its own."""
    where = api_url(config, name, object_id)
    link = app_url(config, name, object_id)
    return where if link is None else f"{where}\n{link}"
