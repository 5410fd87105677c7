"""The record a person names on the command line.

A record is named ``SOURCE:ENTITY:ID`` (``qbo:payment:9``), by the short
``SOURCE:ID`` (``qbo:9``) or by its id in the store (``812``). The short form
is accepted only when one record answers to it: QuickBooks numbers each entity
on its own, so when it holds invoice 9 and payment 9, ``qbo:9`` is refused
with both names rather than taken as whichever the store finds first. An id
that itself contains a colon is read both ways (``books:invoice:A:1`` is
invoice ``A:1``, or a record whose id is ``invoice:A:1``), and refused in the
same way if both exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.contract.names import record_name
from hub.errors import HubError
from hub.store import Connection, lookups

__all__ = ["NAME_HELP", "Resolved", "resolve"]

NAME_HELP = "SOURCE:ENTITY:ID (qbo:invoice:9), SOURCE:ID when unambiguous, or record id"
"""How a CLI argument that takes a record describes it."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """The record a name means."""

    id: int
    source: str
    entity: str
    name: str
    """Its full name, ``SOURCE:ENTITY:ID``."""


def resolve(conn: Connection, text: str) -> Resolved:
    """The one record ``text`` names; a :class:`HubError` naming the candidates when it
    is ambiguous, and saying how to name a record when none answers."""
    if text.isdigit():
        found = lookups.shown(conn, [int(text)])
        if not found:
            raise HubError(f"no record {text} in the store",
                           hint="`billing-hub export ENTITY` lists the records")
        row = found[0]
        return Resolved(row.id, row.source, row.entity,
                        record_name(row.source, row.entity, row.external_id))
    source, sep, rest = text.partition(":")
    if not sep or not source or not rest:
        raise HubError(f"cannot tell which record {text!r} is",
                       hint=f"name it as {NAME_HELP}")
    readings: list[tuple[str | None, str]] = [(None, rest)]
    entity, sep, ext = rest.partition(":")
    if sep and ext:
        readings.append((entity, ext))
    candidates = lookups.answering(conn, source, readings)
    if not candidates:
        raise HubError(f"no record {text!r} in the store",
                       hint="name it as SOURCE:ENTITY:ID (qbo:invoice:9); `billing-hub status` "
                            "lists the sources and entities the store holds")
    if len(candidates) > 1:
        names = [record_name(c.source, c.entity, c.external_id)
                 + (" (deleted)" if c.deleted else "") for c in candidates]
        raise HubError(f"{text} is ambiguous: {' or '.join(names)}",
                       hint="name the record with its entity, SOURCE:ENTITY:ID")
    c = candidates[0]
    return Resolved(c.id, c.source, c.entity, record_name(c.source, c.entity, c.external_id))
