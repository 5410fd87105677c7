"""Creditor references (ISO 11649 ``RF..``) and IBANs, checked."""

from __future__ import annotations

import re

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

_RF = re.compile(r"^RF(\d{2})([0-9A-Z]{1,21})$")


def _mod97(text: str) -> int:
    digits = "".join(str(int(c, 36)) for c in text)
    return int(digits) % 97


def creditor_reference(text: str | None) -> str | None:
    """The ISO 11649 reference in ``text`` (spaces dropped), if it is one with a good check."""
    if not text:
        return None
    compact = re.sub(r"\s+", "", text).upper()
    m = _RF.match(compact)
    if m is None or _mod97(m.group(2) + "RF" + m.group(1)) != 1:
        return None
    return compact


def reference_body(rf: str) -> str:
    """The creditor's own reference inside an RF reference (``RF18539007547034`` ->
    ``539007547034``)."""
    return rf[4:]


def checked_iban(text: str | None) -> str:
    """The IBAN in its compact form; a ``ValueError`` saying why when it is not a valid one."""
    try:
        return str(IBAN(text or "").compact)
    except SchwiftyException as exc:
        raise ValueError(f"counterparty IBAN {text!r} is not valid: {exc}") from None
