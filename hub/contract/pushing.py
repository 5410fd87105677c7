"""What a connector that writes to its system receives and answers: one change of the
outbox each, with its idempotency key (:meth:`hub.contract.connector.Connector.push`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the models are loaded by the connectors that make records
    from hub.models import CanonicalRecord


class PushOperation(StrEnum):
    """What a pushed change does to the connector's system."""

    CREATE = "create"
    UPDATE = "update"
    MARK_PAID = "mark_paid"
    """Another system recorded the payment of an invoice the target already holds:
    mark it paid there, with no money moving through the target (Stripe's
    ``paid_out_of_band``). ``target_id`` names the invoice in the target."""
    APPLY = "apply"
    """A coordinator applied money received to an invoice the target holds
    (``billing-hub apply-payment``): record it there. ``record`` is the invoice as
    the hub has it, ``target_id`` its id in the target and ``application`` says
    how much, from what receipt, and under which payment the target already
    holds it, if any."""
    UNAPPLY = "unapply"
    """Take back an application sent before with ``APPLY``: the same
    ``application`` (``payment_id`` now names the target's payment that carries
    it). A target that cannot take a payment back rejects it with the reason."""


@dataclass(frozen=True, slots=True)
class CashApplication:
    """Money applied to one invoice of the target, for ``APPLY`` and ``UNAPPLY``.

    A receipt paying several invoices is several changes, one per invoice; the
    target keeps them on one payment where it has payments (``payment_id``).
    """

    amount: Decimal
    """In ``currency``, with the currency's exponent; never more than the invoice's
    balance or the receipt's unapplied money when the coordinator applied it."""
    currency: str
    receipt: str
    """What the hub calls the money received, ``SOURCE:EXTERNAL_ID`` (``bank:P-77``),
    for the target's note."""
    payment_id: str | None = None
    """The target's id of the payment that holds (or is to hold) the money: the
    receipt's own id when it came from the target, or what the target answered an
    earlier application of the same receipt with. ``None``: the money was received
    elsewhere (a bank line, another system), and a target with payments records a
    new one."""
    received: date | None = None
    """When the money came in (the bank's booking date, the payment's date)."""
    payer: str | None = None
    reference: str | None = None
    """The payer's or the bank's reference of the receipt, if it has one."""


@dataclass(frozen=True, slots=True)
class PushChange:
    """One change bound for a connector's system: one row of the outbox.

    ``record`` is the canonical content to apply, as the hub has it (its
    ``source`` and ``external_id`` are where it came from, usually another
    system). ``target_id`` is the record's id in the connector's own system
    for an update or ``mark_paid``, ``None`` for a create. ``idempotency_key`` comes from
    :func:`idempotency_key`: the same change always carries the same key, and
    the connector hands it to its system (Stripe's ``Idempotency-Key`` header,
    QuickBooks' ``requestid``), so a change sent again after a crash or a
    timeout never makes a second record.
    """

    operation: PushOperation
    record: CanonicalRecord
    idempotency_key: str
    target_id: str | None = None
    references: Mapping[str, str] = field(default_factory=dict)
    """Ids in the connector's system of the records this one refers to, as the hub
    resolved them through its links: ``{"customer": "cus_123"}`` for an invoice
    whose customer was pushed or linked before. Empty when the hub knows none."""
    application: CashApplication | None = None
    """For ``apply`` and ``unapply``: the money, and the receipt it came from."""
    base: CanonicalRecord | None = None
    """For an ``update``: the record as the hub last sent it to this target (or as a
    coordinator last settled a conflict about it), the common ancestor of what the
    change writes and what the target holds now. A field the target changed since
    (its value no longer what ``base`` wrote) and the change did not is left as the
    target has it; a field both changed is a ``CONFLICT``. ``None``: no base is
    known, and the change is written as it is."""
    overrule: Mapping[str, str | None] = field(default_factory=dict)
    """Fields a coordinator decided the change writes although the target changed
    them too (``billing-hub push send-ours``), each with the target's value, as
    :class:`FieldChange` text, at that decision: the change wins a field only while
    the target still holds that value."""

    @property
    def entity(self) -> str:
        """The canonical entity of the change (``invoice``, ``payment`` ...)."""
        return self.record.entity


class PushStatus(StrEnum):
    """What the system did with one pushed change."""

    CREATED = "created"
    """A new record was made; ``PushResult.external_id`` is its id there."""
    UPDATED = "updated"
    """An existing record was changed."""
    UNCHANGED = "unchanged"
    """Nothing to do: the record already said so, or the key was seen before and
    the system answered with the first result (a replay)."""
    REJECTED = "rejected"
    """The system refused the change (a validation error, a closed period);
    ``PushResult.reason`` says why. Sending it again would not help."""
    CONFLICT = "conflict"
    """Nothing was written: someone changed, in the target, a field the change
    changes too, since ``PushChange.base``. ``PushResult.fields`` shows base, ours
    and theirs of each; a coordinator decides (keep theirs, or send ours)."""


class FieldOutcome(StrEnum):
    """What a push does with one field, base, ours and theirs compared."""

    SAME = "same"
    """The target already holds what the change writes."""
    SEND = "send"
    """The change writes it: only the change moved it since the base (or no base is known)."""
    KEPT_THEIRS = "kept_theirs"
    """Only the target moved it since the base: left as the target has it (a merge)."""
    CONFLICT = "conflict"
    """Both moved it since the base, to different values: nothing is written."""
    OVERRULED = "overruled"
    """Both moved it, and a coordinator decided the change's value is written."""


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of a pushed change, side by side, as text a coordinator reads.

    ``field`` is the target's own name for it (``DueDate``, ``due_date``);
    ``None`` is a field with no value. ``base`` is what the hub last wrote there
    (from ``PushChange.base``), ``ours`` what the change writes, ``theirs`` what
    the target holds now.
    """

    field: str
    ours: str | None
    theirs: str | None
    base: str | None = None
    outcome: FieldOutcome = FieldOutcome.SEND

    @classmethod
    def decide(cls, name: str, *, ours: str | None, theirs: str | None, base: str | None,
               has_base: bool, overrule: Mapping[str, str | None] | None = None
               ) -> FieldChange:
        """Compare one field three ways (values as comparable text) and say what to do.

        Without a base (``has_base`` false) the change's value is sent wherever it
        differs. With one: unchanged by the change and changed by the target is
        kept as theirs; changed by both to different values is a conflict, unless
        ``overrule`` holds the field with exactly the value the target has now.
        """
        if ours == theirs:
            outcome = FieldOutcome.SAME
        elif not has_base or theirs == base:
            outcome = FieldOutcome.SEND
        elif ours == base:
            outcome = FieldOutcome.KEPT_THEIRS
        elif overrule is not None and name in overrule and overrule[name] == theirs:
            outcome = FieldOutcome.OVERRULED
        else:
            outcome = FieldOutcome.CONFLICT
        return cls(name, ours, theirs, base, outcome)

    @property
    def written(self) -> bool:
        """Whether the push writes this field (``send`` or ``overruled``)."""
        return self.outcome in (FieldOutcome.SEND, FieldOutcome.OVERRULED)

    def as_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "base": self.base, "ours": self.ours,
                "theirs": self.theirs, "outcome": self.outcome.value}


@dataclass(frozen=True, slots=True)
class PushResult:
    """The outcome of one :class:`PushChange`, matched to it by ``idempotency_key``."""

    idempotency_key: str
    status: PushStatus
    external_id: str | None = None
    """The record's id in the connector's system: for every status but REJECTED, and
    for a REJECTED one when a step of it had already made the record there (a
    draft invoice Stripe then refused to finalize), so that the hub links it and
    the next change of the record updates it instead of making another. For
    ``apply`` and ``unapply``: the id of the target's payment that carries the
    application (QuickBooks' Payment), ``None`` when the target keeps no payment
    object for it (an invoice Stripe marked paid out of band)."""
    reason: str = ""
    """Why a change was rejected, in words a coordinator can act on."""
    record: CanonicalRecord | None = None
    """The record as the system holds it after the change, mapped from the system's
    own answer (``source`` is the connector's name), when the answer carried it.
    The hub stores it as a pull would and links it to the record pushed."""
    fields: tuple[FieldChange, ...] = ()
    """For an ``update`` (and every answer of :meth:`Connector.preview`): the fields
    compared, base, ours and theirs. A ``CONFLICT`` lists those in conflict
    among them; an ``UPDATED`` or ``UNCHANGED`` one those ``kept_theirs`` (a merge),
    which the hub audits."""


def idempotency_key(target: str, operation: str, record: CanonicalRecord) -> str:
    """The deterministic idempotency key of pushing ``record`` to connector ``target``.

    It digests the target, the operation, the record's identity (source,
    entity, external id) and its canonical content, the raw payload aside: the
    same change gives the same key however often it is sent, and a later edit
    of the record gives a new one. The key is ``bh-`` and 40 hex digits (43
    characters), within QuickBooks' 50 for ``requestid`` and Stripe's 255 for
    ``Idempotency-Key``; the outbox keeps it unique.
    """
    digest = hashlib.blake2b(digest_size=20)
    for part in (target, operation, record.entity, record.source, record.external_id):
        digest.update(part.encode())
        digest.update(b"\x1f")
    digest.update(record.model_dump_json(exclude={"raw"}).encode())
    return "bh-" + digest.hexdigest()
