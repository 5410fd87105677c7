"""What a connector's author gives the contract kit: a fake system to pull from.

The kit builds the connector exactly as the hub does (through the
``billing_hub`` entry point, the spec's config model and its factory) and
points it at a fake of the remote system that the harness runs and
controls. One harness object serves one check: the kit makes a fresh one in
a fresh folder for every check and closes it afterwards.

A harness implements :meth:`~ConnectorHarness.config`,
:meth:`~ConnectorHarness.seed` and :meth:`~ConnectorHarness.add_malformed`
always, and the other methods only for the capabilities its
connector declares: a check whose capability is not declared is skipped with
the reason, and a declared capability whose harness method is missing fails
with a message saying which method to write.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from hub.contract.webhooks import WebhookDelivery
from hub.models import CanonicalRecord


class HarnessMissing(NotImplementedError):
    """A harness method the kit needs for a declared capability is not written."""


class ConnectorHarness(ABC):
    """Runs a fake of the connector's system for one check and tells the kit how to use it.

    Subclass it, set :attr:`connector_type` and implement the abstract
    methods, then the ones for the capabilities the connector declares. The
    fake must page: with :attr:`page_size` records a page (the kit seeds
    more than two pages' worth), so that paging and cursors are exercised.
    """

    connector_type: ClassVar[str]
    """The connector type the plugin registers (``ConnectorSpec.name``, ``type = "..."``)."""

    plugin_name: ClassVar[str | None] = None
    """The entry-point name of the plugin; ``None``: any installed plugin offering the type."""

    entities: ClassVar[Sequence[str] | None] = None
    """The entities to check; ``None``: every entity the spec declares."""

    page_size: ClassVar[int] = 3
    """Records a page that :meth:`config` must ask the connector for."""

    signed_timestamps: ClassVar[bool] = True
    """Whether the system signs a delivery's time, so that a stale one can be refused.
    Set ``False`` for a format without one (the stale-delivery check is then skipped)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        """An empty folder of this check's own, for files the fake or the connector writes."""

    # ------------------------------------------------------------------ always
    @abstractmethod
    def config(self) -> Mapping[str, Any]:
        """The connector's config section, pointing at the fake, with pages of :attr:`page_size`.

        What a ``[connectors.NAME]`` table would hold, without ``type``;
        values may be typed already (a ``SecretStr`` for a secret the TOML
        would give as ``env:NAME``). Relative paths resolve against
        :attr:`workdir`. Called after :meth:`seed`.
        """

    @abstractmethod
    def seed(self, entity: str, count: int) -> list[str]:
        """Put ``count`` valid records of ``entity`` in the fake; return their external ids.

        The ids are the ``external_id`` the connector will give the records.
        Called at most once per entity in a check.
        """

    @abstractmethod
    def add_malformed(self, entity: str) -> None:
        """Put one payload of ``entity`` in the fake that cannot become a canonical record.

        Something the real system could send and the mapping must refuse: an
        amount that is not a number, a missing required field, an unknown
        currency. The connector must yield it in ``Page.rejected``.
        """

    # ------------------------------------------------------- declared capabilities
    def change(self, entity: str) -> str:
        """Change one seeded record the way a person using the system would; return its id.

        The change must alter the record's canonical content (an amount paid,
        a status, a name). Needed where the entity declares ``incremental``.
        """
        raise HarnessMissing(
            "write change(entity): change one seeded record in the fake (incremental pull)")

    def new_record(self, entity: str) -> CanonicalRecord:
        """A valid canonical record of ``entity`` that the fake does not hold yet, to push.

        Needed where the entity declares ``push``.
        """
        raise HarnessMissing("write new_record(entity): a canonical record to push")

    def pushed_ids(self, entity: str) -> set[str]:
        """Every id of ``entity`` the fake holds; needed only for push without pull."""
        raise HarnessMissing(
            f"write pushed_ids(entity): {entity} is pushed but not pulled, so the kit cannot "
            "read back what the fake holds")

    def sent_invoices(self) -> list[str]:
        """The ids of the invoices the fake e-mailed to customers, in order, one per
        e-mail. Needed where ``invoice`` declares ``send``."""
        raise HarnessMissing("write sent_invoices(): the invoice ids the fake e-mailed")

    def webhook_delivery(self, entity: str, *, sent_at: datetime) -> WebhookDelivery:
        """A delivery the fake would send about a change of ``entity``, signed at ``sent_at``.

        Correctly signed with the secret in :meth:`config`, each call a new
        delivery (a new id). Needed where the entity declares ``webhook``.
        """
        raise HarnessMissing(
            "write webhook_delivery(entity, sent_at=...): a delivery signed as the system signs")

    # ---------------------------------------------------------------- teardown
    def close(self) -> None:  # noqa: B027 - optional, does nothing by default
        """Stop the fake (servers, threads, files). Called once, after the check."""
