"""OFX (Open Financial Exchange, 1.x SGML and 2.x XML), read with ``ofxtools``.

``ofxtools`` checks each aggregate against the OFX specification (a missing
required element refuses the file). Each bank or card statement in the file
is a statement; its transactions carry the bank's ``FITID``, unique per
account by the specification, which is the entry's id. OFX gives a ledger
balance at the end but no opening balance, so an OFX statement is not
checked for adding up. Dates are the bank's own calendar dates, as written
(``DTPOSTED``'s first eight digits), not shifted to UTC.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from typing import Any

from ofxtools.Parser import OFXTree

from plugins.bankfiles.entries import Entry, Statement, StatementError


def is_ofx(head: bytes) -> bool:
    """Whether a file starts like an OFX 1.x or 2.x document."""
    sample = head[:2048].upper()
    return b"OFXHEADER" in sample or b"<OFX>" in sample


def parse(data: bytes, file_label: str) -> list[Statement]:
    """The statements of one OFX file."""
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
        ofx = tree.convert()
    except Exception as exc:  # the parser raises several kinds on bad input
        raise StatementError(f"OFX parser refused it: {type(exc).__name__}: {exc}") from None
    root = tree.getroot()
    lists = [] if root is None else list(root.iter("BANKTRANLIST"))
    out: list[Statement] = []
    for n, stmt in enumerate(ofx.statements):
        location = f"{file_label}#stmt{n + 1}"
        account = str(stmt.account.acctid)
        currency = str(stmt.curdef)
        raws = list(lists[n].iter("STMTTRN")) if n < len(lists) else []
        closing = stmt.ledgerbal.balamt if stmt.ledgerbal is not None else None
        st = Statement(ident=f"{account}@{location}", location=location, account=account,
                       currency=currency, opening=None,
                       closing=Decimal(closing) if closing is not None else None,
                       raw={"account": account})
        for i, tx in enumerate(stmt.transactions):
            el = raws[i] if i < len(raws) else None
            raw = _as_dict(el)
            where = f"{location}#entry{i + 1}"
            key = f"{account}:{tx.fitid}"
            posted = _local_day(el, "DTPOSTED") or tx.dtposted.date()
            st.entries.append(Entry(
                key=key, location=where, booked=posted,
                value=_local_day(el, "DTAVAIL"),
                amount=Decimal(tx.trnamt), currency=str(tx.currency or currency), raw=raw,
                account=account, counterparty=_text(tx.name),
                bank_reference=str(tx.fitid), end_to_end_id=_text(tx.refnum),
                unstructured=" ".join(p for p in (_text(tx.name), _text(tx.memo)) if p)))
        out.append(st)
    return out


def _text(value: Any) -> str | None:
    text = str(value or "").strip()
    return text or None


def _local_day(el: ET.Element | None, tag: str) -> date | None:
    text = (el.findtext(tag) or "").strip() if el is not None else ""
    if len(text) < 8 or not text[:8].isdigit():
        return None
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _as_dict(el: ET.Element | None) -> dict[str, Any]:
    if el is None:
        return {}
    return {child.tag: (child.text or "").strip() for child in el}
