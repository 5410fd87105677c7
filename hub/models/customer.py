"""The canonical customer."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from hub.models.base import CanonicalRecord, NonEmpty
from hub.models.limits import NAME_LENGTH, Limits
from hub.money import CurrencyCode


class Customer(CanonicalRecord):
    """Someone who is invoiced and pays.

    ``metadata`` carries references to the same customer in other systems
    (``{"quickbooks_id": "58"}``); the reconciler links on them first.
    ``aliases`` are other names the customer pays under (a trading name, a
    parent company that pays centrally, the owner of a small business); the
    cash matcher identifies a payer by them as by ``name`` and ``email``.
    """

    entity: ClassVar[str] = "customer"
    store_limits: ClassVar[Limits] = (
        *CanonicalRecord.store_limits,
        ("name", NAME_LENGTH),
        ("email", NAME_LENGTH),
    )

    name: NonEmpty
    email: str | None = None
    phone: str | None = None
    currency: CurrencyCode | None = None
    tax_id: str | None = None
    terms: str | None = None
    aliases: list[str] = Field(default_factory=list)
    metadata: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _aliases_fit(self) -> Customer:
        for i, alias in enumerate(self.aliases):
            if len(alias) > NAME_LENGTH:
                raise ValueError(f"aliases[{i}] is {len(alias):,} characters long; "
                                 f"the store keeps at most {NAME_LENGTH}")
        return self
