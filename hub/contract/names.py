"""What the hub calls a record: ``SOURCE:ENTITY:ID``.

A record is its connector's name (its ``[connectors.NAME]``), its entity and
its id in that system: ``qbo:invoice:9``, ``bank:bank_transaction:B-1``.
All three are needed: QuickBooks numbers each entity on its own, so invoice 9
and payment 9 are two records. Reports, findings, the web pages and the CLI
print records by this name; a command taking a record also accepts the short
``SOURCE:ID`` when only one record answers to it (:mod:`hub.reconcile.naming`).
"""

from __future__ import annotations

__all__ = ["record_name", "short_name"]


def record_name(source: str, entity: str, external_id: str) -> str:
    """``SOURCE:ENTITY:ID``, the unambiguous name of a record."""
    return f"{source}:{entity}:{external_id}"


def short_name(source: str, external_id: str) -> str:
    """``SOURCE:ID``, which names a record only while no other entity of ``source``
    has the same id."""
    return f"{source}:{external_id}"
