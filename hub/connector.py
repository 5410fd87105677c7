"""What a connector plugin offers and the object that does its work.

A plugin answers the ``hub_connectors`` hook with :class:`ConnectorSpec`
objects: a name, a config model, the entities it supports and a factory.
The hub validates the config section of each connector instance with the
spec's model and calls the factory to get a :class:`Connector`, which pulls
pages of canonical records (and, for connectors that can, pushes changes).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hub.errors import RecordRejected
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


@dataclass(frozen=True, slots=True)
class ConnectorSpec:
    """A connector type a plugin offers, as yielded from ``hub_connectors``.

    ``name`` is what a config's ``type = "..."`` refers to. ``config_model``
    validates the connector's TOML section. ``factory`` builds the working
    object for one configured instance.
    """

    name: str
    description: str
    config_model: type[BaseModel]
    entities: tuple[EntitySupport, ...]
    factory: Callable[[ConnectorContext], Connector]

    def supports(self, entity: str) -> EntitySupport | None:
        for support in self.entities:
            if support.entity == entity:
                return support
        return None


@dataclass(slots=True)
class Page:
    """One page of a pull: records, rejects and the cursor after it.

    The sync engine stores the records, quarantines the rejects and saves
    ``cursor`` in one transaction, so a crash loses at most the page in flight.
    ``cursor`` is opaque to the hub: a string only the connector reads back.
    """

    records: Sequence[CanonicalRecord]
    rejected: Sequence[RecordRejected] = ()
    cursor: str | None = None
    locations: Mapping[str, str] = field(default_factory=dict)
    """external_id -> where the record came from (``invoices.csv:12``), for people."""
    progress: tuple[int, int] | None = None
    """(work done, work in all) so far, in any unit (bytes of a file), for progress bars."""


class Connector(ABC):
    """The working object behind one configured connector instance."""

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

        Each page's cursor must let a later call resume right after that page.
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

    def close(self) -> None:  # noqa: B027 - optional hook with a do-nothing default
        """Release connections and files."""
