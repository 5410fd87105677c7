"""Checks of bad and stored payloads: a malformed one is quarantined, a stored one maps again."""

from __future__ import annotations

import re
from typing import Any

import orjson

from hub.contract.connector import Connector
from hub.errors import RecordRejected
from hub.testing.checks._records import dump, ids, show
from hub.testing.checks.base import EntityCheck
from hub.testing.checks.errors import CheckSkipped, ContractViolation

__all__ = ["MalformedPayloadCheck", "RereadCheck", "unreadable"]

_UNREADABLE = (
    (re.compile(r"Traceback \(most recent call last\)"), "it holds a traceback"),
    (re.compile(r"errors\.pydantic\.dev"), "it is pydantic's raw error text; "
     "use hub.contract.connector.explain_invalid(exc)"),
    (re.compile(r"<[\w.]+ object at 0x[0-9a-f]+>"), "it shows an object's repr"),
    (re.compile(r"^\s*[A-Za-z_.]*(Error|Exception)\s*$"), "it is only an exception's name"),
)


def unreadable(reason: str) -> str | None:
    """Why a rejection reason would not help a coordinator, or ``None`` if it would."""
    text = reason.strip()
    if len(text) < 8:
        return "it is empty or too short to say what is wrong"
    if len(text) > 2000:
        return f"it is {len(text)} characters long; say what is wrong in a sentence or two"
    for pattern, why in _UNREADABLE:
        if pattern.search(text):
            return why
    return None


def _overrides(connector: Connector, method: str) -> bool:
    return getattr(type(connector), method) is not getattr(Connector, method)


def _stored(raw: Any) -> Any:
    """``raw`` as the store gives it back (through JSON), for ``parse_raw``."""
    return orjson.loads(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS, default=str))


class MalformedPayloadCheck(EntityCheck):
    """A payload that cannot be mapped is rejected with a readable reason; the rest arrive.

    With one malformed payload among the seeded records (``add_malformed()``),
    the pull does not raise: it yields exactly one ``RecordRejected`` whose
    reason a coordinator can read (see :func:`unreadable`), which keeps the
    raw payload and names this entity (or none), and every seeded record
    still arrives. Where the connector implements ``parse_raw``, it refuses
    the quarantined payload too, with ``RecordRejected``.
    """

    name = "malformed"
    test = "test_malformed_payload_is_rejected_readably"
    requires = "pull"

    def run(self, entity: str) -> None:
        seeded = self.context.seed(entity)
        self.context.harness.add_malformed(entity)
        try:
            pages = self.context.pull(entity)
        except ContractViolation:
            raise
        except Exception as exc:
            raise ContractViolation(
                f"the pull raised {type(exc).__name__} on a malformed payload: yield it in "
                "Page.rejected as RecordRejected(reason, raw=...) and go on") from exc
        rejected = [rej for page in pages for rej in page.rejected]
        got = ids(r for p in pages for r in p.records)
        if not rejected:
            strangers = set(got) - set(seeded)
            where = (f"it came through as {show(strangers)}" if strangers
                     else "it vanished without a trace")
            raise ContractViolation(
                f"the malformed payload was not rejected: {where}. Map each payload inside "
                "try/except and yield RecordRejected for the ones that fail")
        if len(rejected) > 1:
            raise ContractViolation(
                f"one malformed payload, {len(rejected)} rejections: "
                f"{'; '.join(r.reason for r in rejected[:3])}")
        rejection = rejected[0]
        if not isinstance(rejection, RecordRejected):
            raise ContractViolation(
                f"Page.rejected holds a {type(rejection).__name__}, not RecordRejected")
        why = unreadable(rejection.reason)
        if why:
            raise ContractViolation(
                f"the rejection's reason is not readable ({why}): {rejection.reason[:300]!r}")
        if not rejection.raw:
            raise ContractViolation(
                "the rejection carries no raw payload: keep what the system sent, so a person "
                "can see it in the quarantine")
        if rejection.entity not in ("", entity):
            raise ContractViolation(
                f"the rejection says entity {rejection.entity!r}, not {entity!r}")
        missing = set(seeded) - set(got)
        if missing:
            raise ContractViolation(
                f"after the malformed payload, {show(missing)} never arrived: one bad payload "
                "must not stop the pull")
        connector = self.context.connector()
        if _overrides(connector, "parse_raw"):
            try:
                connector.parse_raw(entity, _stored(rejection.raw), rejection.location)
            except RecordRejected:
                pass
            except Exception as exc:
                raise ContractViolation(
                    f"parse_raw raised {type(exc).__name__} on the quarantined payload; it must "
                    "raise RecordRejected while the payload still does not map") from exc
            else:
                raise ContractViolation(
                    "parse_raw accepted the quarantined payload that pull rejected")


class RereadCheck(EntityCheck):
    """A stored payload maps again to the same record (``billing-hub quarantine retry``).

    Every record of a full pull, its ``raw`` payload taken through JSON as the
    store keeps it, maps again through ``parse_raw`` (with the page's location
    of the record) to the same record, ``raw`` aside. Skipped, with the
    reason, where the connector does not implement ``parse_raw``.
    """

    name = "reread"
    test = "test_stored_payload_maps_again"
    requires = "pull"

    def run(self, entity: str) -> None:
        self.context.seed(entity)
        connector = self.context.connector()
        if not _overrides(connector, "parse_raw"):
            raise CheckSkipped(
                f"{self.context.connector_type} does not implement Connector.parse_raw, so "
                "`billing-hub quarantine retry` cannot map a fixed payload again")
        for page in self.context.pull(entity):
            for record in page.records:
                location = page.locations.get(record.external_id, "")
                try:
                    again = connector.parse_raw(entity, _stored(record.raw), location)
                except RecordRejected as exc:
                    raise ContractViolation(
                        f"parse_raw refused the stored payload of {entity} "
                        f"{record.external_id!r} that pull accepted: {exc}") from None
                if dump(again) | {"raw": None} != dump(record) | {"raw": None}:
                    raise ContractViolation(
                        f"parse_raw mapped the stored payload of {entity} "
                        f"{record.external_id!r} to a different record than pull did")
