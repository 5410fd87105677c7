"""A table of the config file that the part of the hub using it validates, when it does.

Each subsystem declares its own table as a :class:`Section` (``[reconcile]``
in :mod:`hub.reconcile.settings`, ``[web]`` in :mod:`hub.web.settings` ...):
the config file knows only the tables' names, so loading it imports none of
them, and a command validates only the tables it uses: a missing secret of
``[web]`` does not stop ``apply-payment``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Self

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from hub.config.file import HubConfig

KNOWN_SECTIONS = ("reconcile", "push", "web", "collections", "schedule", "invoicing")
"""The tables a :class:`Section` of the hub reads, besides ``[store]``, ``[sync]`` and
``[connectors]``; any other top-level key of the file is refused as unknown."""


class Section(BaseModel):
    """One top-level table of the config file (``table``), validated on first use.

    ``Section.of(config)`` validates the table once per loaded config and
    reports a mistake as a :class:`~hub.errors.ConfigError` with its TOML path
    (``reconcile.pairs[0].left``). A table the file leaves out gets the
    defaults.
    """

    model_config = ConfigDict(extra="forbid")

    table: ClassVar[str]
    """The table's name in the file (``"reconcile"``); one of :data:`KNOWN_SECTIONS`."""

    @classmethod
    def of(cls, config: HubConfig) -> Self:
        """This table of ``config``, validated (once)."""
        return config.section(cls)

    def check(self, config: HubConfig) -> None:
        """Checks against the rest of the file (a job naming a connector); raise ConfigError."""
