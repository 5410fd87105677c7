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
  (:meth:`Connector.push`, :class:`PushChange`, :class:`PushResult`); with
  ``apply_payments`` on ``invoice``, also the payments a coordinator applies
  to its invoices;
- **send** (optional, ``invoice`` only): deliver an invoice to its customer
  through the system's own channel (Stripe finalizes and e-mails it, QuickBooks
  e-mails it), under the hub's idempotency key
  (:meth:`Connector.send_invoice`, :class:`InvoiceDelivery`, :class:`SendReceipt`);
- **webhook** (optional): verify a signed delivery and turn it into hints of
  what changed (:meth:`Connector.verify_webhook`, :class:`WebhookDelivery`,
  :class:`WebhookReceipt`, :class:`ChangeHint`).

Any connector may also override :meth:`Connector.check` (``billing-hub check``):
do its credentials and endpoint work, read without writing.

A connector that declares a capability must implement it, and one that
implements it must declare it: the contract test kit (:mod:`hub.testing`)
checks both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ValidationError

from hub.contract.checking import CheckResult
from hub.contract.page import Page
from hub.contract.pushing import PushChange, PushResult
from hub.contract.sending import InvoiceDelivery, SendReceipt
from hub.contract.webhooks import ReplayGuard, WebhookDelivery, WebhookReceipt
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
    apply_payments: bool = False
    """For ``invoice``: money received can be applied to the system's invoices
    (``billing-hub apply-payment``), sent through :meth:`Connector.push` as
    ``apply``/``unapply`` changes. A connector without it cannot record an
    application, and the hub refuses to queue one for it."""
    send: bool = False
    """For ``invoice``: the system delivers invoices to customers itself
    (``billing-hub invoices send``), through :meth:`Connector.send_invoice`. A
    connector without it has its invoices e-mailed by the hub, as a PDF, when an
    ``[invoicing] mailer`` is configured, and refused with the reason otherwise."""

    def describe(self) -> str:
        can = [w for w, on in (("pull", self.pull), ("push", self.push),
                               ("apply payments", self.apply_payments),
                               ("send", self.send)) if on]
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

    ``locked`` serialises the change of a value across every process and host
    that uses the store (a sync, a push, a webhook's sync, a worker): a
    connector reads the value again inside it, uses it and keeps its
    successor before the next one gets in.
    """

    def get(self, name: str) -> str | None:
        """The value kept under ``name``, or None."""

    def put(self, name: str, value: str) -> None:
        """Keep ``value`` under ``name``, replacing what was there."""

    def locked(self, name: str, *, timeout: float) -> AbstractContextManager[object]:
        """Hold the store's lock on ``name`` of this connector for the block, waiting up to
        ``timeout`` seconds for another holder (then a StoreError). A killed holder's
        lock is freed with its process."""


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

    def preview(self, changes: Sequence[PushChange]) -> list[PushResult]:
        """What :meth:`push` would do with ``changes``, read from the system, writing nothing.

        One result per change, in order: the status the push would have
        (``CREATED``, ``UPDATED``, ``UNCHANGED``, ``REJECTED`` with the reason,
        ``CONFLICT``) and in ``fields`` every field it compares, as the system
        holds it now (``theirs``), as the change writes it (``ours``) and as
        ``change.base`` wrote it. ``billing-hub push plan`` shows it. Raise
        :class:`hub.errors.TransientError` / :class:`hub.errors.FatalError` as
        :meth:`push` does.
        """
        raise NotImplementedError(f"connector {self.name!r} cannot preview changes")

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

    def send_invoice(self, delivery: InvoiceDelivery) -> SendReceipt:
        """Deliver one invoice to its customer through the system's own channel.

        Pass ``delivery.idempotency_key`` with every request that changes
        something (derive one key per step where a send takes several), so that
        a delivery asked again, after a lost answer or a crash between the send
        and the hub's commit, is answered with the first result and the customer
        gets one e-mail. A send the system refuses (no address, a void invoice) is
        a ``REJECTED`` receipt with the reason, not an exception; raise
        :class:`hub.errors.TransientError` when the system could not be reached
        (the hub asks again later with the same key) and
        :class:`hub.errors.FatalError` when no retry can help. Declare
        ``send=True`` on ``invoice`` in :class:`EntitySupport` when overriding this.
        """
        raise NotImplementedError(f"connector {self.name!r} does not send invoices")

    def check(self) -> CheckResult:
        """Whether this instance's credentials and endpoint work, without writing anything.

        ``billing-hub check`` calls it before a sync: sign in, read one small page
        of each configured entity (or open each file and read its header) and
        answer :meth:`CheckResult.passed` with what was verified, or
        :meth:`CheckResult.failed` with the reason and what to do next (or raise a
        :class:`hub.errors.HubError`, which the hub reports the same way). Never
        put a secret in the answer. The base version answers that the connector
        type cannot be checked.
        """
        return CheckResult.unchecked(f"connector {self.name!r} has no check of its own")

    @classmethod
    def implements(cls) -> frozenset[str]:
        """The optional capabilities this class implements: ``push``, ``preview``,
        ``webhook``, ``send``."""
        methods = (("push", "push"), ("preview", "preview"), ("webhook", "verify_webhook"),
                   ("send", "send_invoice"))
        return frozenset(cap for cap, name in methods
                         if getattr(cls, name) is not getattr(Connector, name))

    def close(self) -> None:  # noqa: B027 - optional hook with a do-nothing default
        """Release connections and files."""
