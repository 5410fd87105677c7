"""What a connector plugin offers and the object that does its work.

A plugin answers the ``hub_connectors`` hook with :class:`ConnectorSpec`
objects: a name, a config model, the entities it supports and a factory.
The hub validates the config section of each connector instance with the
spec's model and calls the factory to get a :class:`Connector`, which does
up to three jobs per entity, each declared in the spec's
:class:`EntitySupport`:

- **pull** (every connector): pages of canonical records, each with the
  cursor that resumes right after it (:meth:`Connector.pull`);
- **push** (optional): apply canonical changes to the system, each carrying
  a deterministic idempotency key, and say what happened to each
  (:meth:`Connector.push`, :class:`PushChange`, :class:`PushResult`);
- **webhook** (optional): verify a signed delivery and turn it into hints of
  what changed (:meth:`Connector.verify_webhook`, :class:`WebhookDelivery`,
  :class:`WebhookReceipt`, :class:`ChangeHint`).

A connector that declares a capability must implement it, and one that
implements it must declare it: the contract test kit (:mod:`hub.testing`)
checks both.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ValidationError

from hub.contract.page import Page as Page  # defined here before; still importable from here
from hub.errors import PluginError, RecordRejected

if TYPE_CHECKING:  # the models are loaded by the connectors that make records
    from hub.models import CanonicalRecord


@dataclass(frozen=True, slots=True)
class EntitySupport:
    """What a connector can do with one entity (``invoice``, ``payment`` ...)."""

    entity: str
    pull: bool = True
    push: bool = False
    incremental: bool = False
    webhook: bool = False

    def describe(self) -> str:
        can = [w for w, on in (("pull", self.pull), ("push", self.push)) if on]
        if self.incremental:
            can.append("incremental")
        if self.webhook:
            can.append("webhook")
        return f"{self.entity} ({', '.join(can)})"


class CredentialVault(Protocol):
    """Credentials a connector keeps between runs, encrypted by the hub.

    Some systems rotate what a connector signs in with (QuickBooks Online
    returns a new refresh token on every refresh and soon refuses the old
    one): the connector must keep the newest value the moment it gets it.
    ``put`` commits at once, in its own transaction; ``get`` returns None when
    nothing was kept under that name. Values are never logged or shown.
    """

    def get(self, name: str) -> str | None:
        """The value kept under ``name``, or None."""

    def put(self, name: str, value: str) -> None:
        """Keep ``value`` under ``name``, replacing what was there."""


@dataclass(frozen=True, slots=True)
class ConnectorContext:
    """Everything a connector factory receives.

    ``instance`` is the connector's name in the config (``[connectors.bank]``)
    and becomes the ``source`` of every record it produces; ``base_dir`` is the
    folder of the config file, against which relative paths resolve.
    """

    instance: str
    config: BaseModel
    base_dir: Path
    vault: CredentialVault | None = None
    """Where the connector keeps credentials that change between runs (a rotated
    refresh token), sealed in the store; None where the hub runs it without a store."""


@dataclass(frozen=True, slots=True)
class ConnectorSpec:
    """A connector type a plugin offers, as yielded from ``hub_connectors``.

    ``name`` is what a config's ``type = "..."`` refers to. ``config_model``
    validates the connector's TOML section. ``factory`` builds the working
    object for one configured instance: the :class:`Connector` subclass (or
    any callable taking a :class:`ConnectorContext`), or its import path,
    ``"acme_billing.connector:AcmeConnector"``. A path is imported only when
    a connector of this type is built, so ``billing-hub plugins`` and every
    command that does not use the connector never load its SDK.
    """

    name: str
    description: str
    config_model: type[BaseModel]
    entities: tuple[EntitySupport, ...]
    factory: Callable[[ConnectorContext], Connector] | str

    def load_factory(self) -> Callable[[ConnectorContext], Connector]:
        """The factory itself, imported first when it was given by its path."""
        if not isinstance(self.factory, str):
            return self.factory
        module, _, attribute = self.factory.partition(":")
        try:
            found: Callable[[ConnectorContext], Connector] = getattr(import_module(module),
                                                                      attribute)
        except (ImportError, AttributeError) as exc:
            raise PluginError(
                f"connector type {self.name!r}: cannot load its factory {self.factory!r} "
                f"({type(exc).__name__}: {exc})",
                hint="reinstall the plugin that offers it; `billing-hub plugins` lists them",
            ) from None
        return found

    def build(self, context: ConnectorContext) -> Connector:
        """The working connector for one configured instance."""
        return self.load_factory()(context)

    def supports(self, entity: str) -> EntitySupport | None:
        for support in self.entities:
            if support.entity == entity:
                return support
        return None


class PushOperation(StrEnum):
    """What a pushed change does to the connector's system."""

    CREATE = "create"
    UPDATE = "update"
    MARK_PAID = "mark_paid"
    """Another system recorded the payment of an invoice the target already holds:
    mark it paid there, with no money moving through the target (Stripe's
    ``paid_out_of_band``). ``target_id`` names the invoice in the target."""


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


@dataclass(frozen=True, slots=True)
class PushResult:
    """The outcome of one :class:`PushChange`, matched to it by ``idempotency_key``."""

    idempotency_key: str
    status: PushStatus
    external_id: str | None = None
    """The record's id in the connector's system: for every status but REJECTED, and
    for a REJECTED one when a step of it had already made the record there (a
    draft invoice Stripe then refused to finalize), so that the hub links it and
    the next change of the record updates it instead of making another."""
    reason: str = ""
    """Why a change was rejected, in words a coordinator can act on."""
    record: CanonicalRecord | None = None
    """The record as the system holds it after the change, mapped from the system's
    own answer (``source`` is the connector's name), when the answer carried it.
    The hub stores it as a pull would and links it to the record pushed."""


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


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One request a system sent to the hub's webhook endpoint, exactly as received.

    ``body`` is the raw bytes: signatures are computed over them, so they are
    verified before anything parses them. ``received_at`` is when the hub
    received it, against which a signed timestamp's age is measured.
    """

    headers: Mapping[str, str]
    body: bytes
    received_at: datetime = field(default_factory=_now)

    def header(self, name: str) -> str | None:
        """The value of header ``name``, whatever the case of its name, or ``None``."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


@dataclass(frozen=True, slots=True)
class ChangeHint:
    """What a verified webhook delivery says changed.

    A hint, not a record: the hub pulls the record (or, with no
    ``external_id``, the entity) again through :meth:`Connector.pull`, so what
    is stored always comes from the system's API.
    """

    entity: str
    external_id: str | None = None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class WebhookReceipt:
    """What :meth:`Connector.verify_webhook` found in a genuine delivery.

    ``delivery_id`` is the delivery's own id (Stripe's event id) or, for a
    format without one, a digest of the body. A ``duplicate`` was received
    before: systems deliver again when they are unsure we got it, and a
    replay looks the same. The hub answers it as received (so the system stops
    retrying) and acts on nothing: a duplicate carries no hints.
    """

    delivery_id: str
    hints: tuple[ChangeHint, ...] = ()
    duplicate: bool = False


class ReplayGuard(Protocol):
    """Remembers the webhook deliveries already accepted.

    The hub's webhook endpoint keeps them in the store
    (:class:`hub.store.deliveries.DeliveryIntake`, atomic under concurrent
    copies of one delivery); tests use :class:`hub.connectors.replay.MemoryReplayGuard`.
    """

    def first_time(self, delivery_id: str) -> bool:
        """Record ``delivery_id``: ``True`` the first time, ``False`` on every later call."""
        ...


def explain_invalid(exc: ValidationError) -> str:
    """A pydantic validation error as one line a coordinator can read.

    ``total: total is missing, and there are no lines to derive it from;
    currency: 'XYZ' is not an ISO 4217 currency``: each problem with the field
    it concerns, without pydantic's type names and links. Use it for
    :class:`RecordRejected` reasons.
    """
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()))
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


class Connector(ABC):
    """The working object behind one configured connector instance.

    Subclasses implement :meth:`entities` and :meth:`pull`; those that can
    write to their system override :meth:`push`, and those whose system sends
    signed webhooks override :meth:`verify_webhook`. The base versions of both
    raise ``NotImplementedError``; :meth:`implements` tells which a class has.
    """

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context

    @property
    def name(self) -> str:
        """The instance name, used as every record's ``source``."""
        return self.context.instance

    @abstractmethod
    def entities(self) -> Sequence[str]:
        """The entities this instance is configured to pull, in sync order."""

    @abstractmethod
    def pull(self, entity: str, cursor: str | None) -> Iterator[Page]:
        """Yield pages of ``entity`` after ``cursor`` (``None``: from the start).

        ``cursor`` is the text the hub saved from a page: read it with your
        :class:`~hub.contract.cursor.Cursor` model's ``load``, which answers
        ``None`` for a cursor it cannot read. Each page's cursor must let a
        later call resume right after that page.
        A record that cannot be mapped is yielded in ``Page.rejected`` with its
        raw content; it never stops the pull.
        """

    def parse_raw(self, entity: str, raw: Mapping[str, Any], location: str = "") -> CanonicalRecord:
        """Map one raw payload again, for ``quarantine retry`` after a fix.

        Raises :class:`RecordRejected` when it still does not map.
        """
        raise RecordRejected(
            f"connector {self.name!r} cannot re-read a quarantined record",
            raw=dict(raw),
            location=location,
            entity=entity,
        )

    def push(self, changes: Sequence[PushChange]) -> list[PushResult]:
        """Apply ``changes`` to the system, in order; one result per change, in that order.

        Send each change's ``idempotency_key`` with it, so that a change sent
        again (the outbox retries anything it has no answer for) is applied
        once. A change the system refuses is a ``REJECTED`` result with the
        reason, not an exception. Raise :class:`hub.errors.TransientError` when
        the system could not be reached or asked to slow down (the outbox sends
        the remaining changes again later, with the same keys) and
        :class:`hub.errors.FatalError` when no retry can help (revoked
        credentials). Declare ``push=True`` in the entity's
        :class:`EntitySupport` when overriding this.
        """
        raise NotImplementedError(f"connector {self.name!r} does not push changes")

    def verify_webhook(self, delivery: WebhookDelivery, replays: ReplayGuard) -> WebhookReceipt:
        """Check that ``delivery`` is genuine, and say what it reports changed.

        In this order: verify the signature over the raw body with the
        connector's secret (a constant-time comparison); where the format
        signs a timestamp, refuse one further than the connector's tolerance
        from ``delivery.received_at``; only then read the body, and ask
        ``replays.first_time`` about the delivery's id (or, where the format
        has none, :func:`hub.connectors.replay.body_digest`). A delivery seen before
        is a ``duplicate`` receipt with no hints. Each refusal is a
        :class:`hub.errors.WebhookSignatureError` saying which check failed,
        never showing the secret; a refused delivery is not remembered, so a
        forged copy cannot shut out the genuine one. Declare ``webhook=True``
        in the entity's :class:`EntitySupport` when overriding this.
        """
        raise NotImplementedError(f"connector {self.name!r} does not receive webhooks")

    @classmethod
    def implements(cls) -> frozenset[str]:
        """The optional capabilities this class implements: ``push``, ``webhook``."""
        methods = (("push", "push"), ("webhook", "verify_webhook"))
        return frozenset(cap for cap, name in methods
                         if getattr(cls, name) is not getattr(Connector, name))

    def close(self) -> None:  # noqa: B027 - optional hook with a do-nothing default
        """Release connections and files."""
