"""Who a reply or a reminder is about: the collections source's customers and invoices,
indexed by reference, number, name and e-mail address.

A customer is named as the hub names records, ``SOURCE:customer:ID``; an invoice
whose customer is given by name only is tied to the one customer of that name.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from hub.contract.names import record_name
from hub.models import Invoice
from hub.store import Connection, reading


class ContactBook:
    """The customers and invoices of one source, read once."""

    def __init__(self, conn: Connection, source: str) -> None:
        self.source = source
        self.invoices: dict[str, Invoice] = {}
        self.by_number: dict[str, str] = {}
        for ext, data in reading.contents(conn, source, "invoice"):
            try:
                invoice = Invoice.model_validate_json(data)
            except ValidationError:
                continue
            self.invoices[ext] = invoice
            self.by_number.setdefault(invoice.number.casefold(), ext)
        self.customers: dict[str, dict[str, Any]] = {}
        self.by_email: dict[str, str] = {}
        names: dict[str, set[str]] = {}
        for ext, data in reading.contents(conn, source, "customer"):
            customer: dict[str, Any] = orjson.loads(data)
            self.customers[ext] = customer
            names.setdefault(str(customer.get("name") or "").casefold(), set()).add(ext)
            for part in str(customer.get("email") or "").replace(";", ",").split(","):
                if "@" in part:
                    self.by_email.setdefault(part.strip().lower(), ext)
        self.by_name = {n: next(iter(e)) for n, e in names.items() if n and len(e) == 1}

    def customer_key(self, external_id: str) -> str:
        return record_name(self.source, "customer", external_id)

    def customer_of(self, invoice: Invoice) -> str | None:
        """``SOURCE:customer:ID`` of the invoice's customer, when it can be told."""
        if invoice.customer_ref:
            return self.customer_key(invoice.customer_ref)
        if invoice.customer_name and invoice.customer_name.casefold() in self.by_name:
            return self.customer_key(self.by_name[invoice.customer_name.casefold()])
        return None

    def customer_of_invoice_id(self, external_id: str) -> str | None:
        invoice = self.invoices.get(external_id)
        return None if invoice is None else self.customer_of(invoice)

    def customer_by_email(self, address: str) -> str | None:
        found = self.by_email.get(address.strip().lower())
        return None if found is None else self.customer_key(found)

    def invoice_by_number(self, number: str) -> Invoice | None:
        ext = self.by_number.get(number.casefold().lstrip("#"))
        return None if ext is None else self.invoices[ext]

    def invoices_of(self, customer: str) -> list[Invoice]:
        return [i for i in self.invoices.values() if self.customer_of(i) == customer]

    def name_of(self, customer: str | None) -> str:
        """The customer's name as its record says, else its key."""
        if customer is None:
            return "an unknown sender"
        prefix = f"{self.source}:customer:"
        ext = customer[len(prefix):] if customer.startswith(prefix) else None
        if ext is not None and ext in self.customers:
            return str(self.customers[ext].get("name") or customer)
        return customer
