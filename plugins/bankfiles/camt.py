"""ISO 20022 camt.053 (statement) and camt.054 (debit/credit notification), read with a
namespace-aware XML parser.

The XML is parsed with ``defusedxml`` (no DTD, no entity, no external
reference: an XML bomb or an XXE file is refused). The elements the
message definition makes mandatory for what we read (statement ``Id``,
``Acct``, each entry's ``Amt`` with ``Ccy``, ``CdtDbtInd`` and ``BookgDt``)
are checked explicitly; the XSD itself is not shipped or validated against.
Versions ``.001.02`` to ``.001.12`` share the elements used here. A camt.054
notification has no balances; its entries carry the same bank references
(``AcctSvcrRef``) as the camt.053 of the same day, so reading both stores each
entry once.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from plugins.bankfiles.entries import Entry, Statement, StatementError
from plugins.bankfiles.remittance import checked_iban, creditor_reference

_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.(053|054)\.001\.\d{2}$")
_NOT_BOOKED = frozenset({"PDNG", "INFO", "FUTR"})
_BODY = {"053": ("BkToCstmrStmt", "Stmt"), "054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}


def is_camt(head: bytes) -> bool:
    """Whether the start of a file looks like a camt.053 or camt.054 document."""
    return b"camt.053.001." in head[:4096] or b"camt.054.001." in head[:4096]


def parse(data: bytes, file_label: str) -> list[Statement]:
    """The statements (or notifications) of one camt.053/camt.054 file; a
    :class:`StatementError` when it is neither."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise StatementError(f"refused unsafe XML ({type(exc).__name__}): {exc}") from None
    except ET.ParseError as exc:
        raise StatementError(f"not well-formed XML: {exc}") from None
    ns = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    matched = _NAMESPACE.match(ns)
    if matched is None or root.tag != f"{{{ns}}}Document":
        raise StatementError(f"not a camt.053 or camt.054 document (root {root.tag!r})")
    message, item = _BODY[matched.group(1)]
    x = _Reader(ns)
    body = x.find(root, message)
    if body is None:
        raise StatementError(f"camt.{matched.group(1)} document without {message}")
    statements = x.findall(body, item)
    if not statements:
        raise StatementError(f"camt.{matched.group(1)} document without any {item}")
    return [x.statement(s, f"{file_label}#stmt{i + 1}") for i, s in enumerate(statements)]


class _Reader:
    def __init__(self, ns: str) -> None:
        self.ns = ns

    def _path(self, path: str) -> str:
        return "/".join(f"{{{self.ns}}}{p}" for p in path.split("/"))

    def find(self, el: ET.Element, path: str) -> ET.Element | None:
        return el.find(self._path(path))

    def findall(self, el: ET.Element, path: str) -> list[ET.Element]:
        return el.findall(self._path(path))

    def text(self, el: ET.Element | None, path: str) -> str | None:
        if el is None:
            return None
        found = el.find(self._path(path))
        if found is None or found.text is None:
            return None
        return found.text.strip() or None

    def required(self, el: ET.Element, path: str, what: str) -> str:
        value = self.text(el, path)
        if value is None:
            raise ValueError(f"{what}: required element {path} is missing")
        return value

    def amount(self, el: ET.Element, path: str, what: str) -> tuple[Decimal, str]:
        node = self.find(el, path)
        if node is None or not (node.text or "").strip():
            raise ValueError(f"{what}: required element {path} is missing")
        ccy = node.get("Ccy")
        if not ccy or not re.fullmatch(r"[A-Z]{3}", ccy):
            raise ValueError(f"{what}: {path} has no valid Ccy attribute ({ccy!r})")
        try:
            value = Decimal((node.text or "").strip())
        except InvalidOperation:
            raise ValueError(f"{what}: {path} is not an amount: {node.text!r}") from None
        if not value.is_finite() or value < 0:
            raise ValueError(f"{what}: {path} must be a positive amount, got {node.text!r}")
        return value, ccy

    def signed(self, el: ET.Element, what: str, path: str = "Amt") -> tuple[Decimal, str]:
        value, ccy = self.amount(el, path, what)
        ind = self.required(el, "CdtDbtInd", what)
        if ind not in ("CRDT", "DBIT"):
            raise ValueError(f"{what}: CdtDbtInd must be CRDT or DBIT, got {ind!r}")
        return (value if ind == "CRDT" else -value), ccy

    def day(self, el: ET.Element | None, path: str, what: str) -> date | None:
        if el is None:
            return None
        node = self.find(el, path)
        if node is None:
            return None
        text = self.text(node, "Dt") or (self.text(node, "DtTm") or "")[:10]
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{what}: {path} is not a date: {text!r}") from None

    # ------------------------------------------------------------ statement
    def statement(self, stmt: ET.Element, location: str) -> Statement:
        what = f"statement {location}"
        try:
            ident = self.required(stmt, "Id", what)
            acct = self.find(stmt, "Acct")
            if acct is None:
                raise ValueError(f"{what}: required element Acct is missing")
            account = self.text(acct, "Id/IBAN") or self.text(acct, "Id/Othr/Id")
            currency = self.text(acct, "Ccy")
            opening = closing = None
            for bal in self.findall(stmt, "Bal"):
                code = self.text(bal, "Tp/CdOrPrtry/Cd")
                value, ccy = self.signed(bal, f"{what} balance {code}")
                currency = currency or ccy
                if code in ("OPBD", "PRCD") and opening is None:
                    opening = value
                elif code == "CLBD":
                    closing = value
        except ValueError as exc:
            raise StatementError(str(exc)) from None
        seq = self.text(stmt, "ElctrncSeqNb") or self.text(stmt, "LglSeqNb")
        out = Statement(ident=ident, location=location, account=account, currency=currency,
                        opening=opening, closing=closing,
                        sequence=int(seq) if seq and seq.isdigit() else None,
                        raw={"id": ident, "account": account, "sequence":
                             self.text(stmt, "ElctrncSeqNb"), "opening": str(opening),
                             "closing": str(closing)})
        for i, ntry in enumerate(self.findall(stmt, "Ntry")):
            status = self.text(ntry, "Sts/Cd") or self.text(ntry, "Sts")
            if status in _NOT_BOOKED:
                out.not_booked += 1
                continue
            out.entries.extend(self.entry(ntry, out, i + 1))
        return out

    # ---------------------------------------------------------------- entry
    def entry(self, ntry: ET.Element, stmt: Statement, index: int) -> list[Entry]:
        location = f"{stmt.location}#entry{index}"
        raw = _as_dict(ntry)
        fallback = f"{stmt.ident}:{index}"
        key = self.text(ntry, "AcctSvcrRef") or self.text(ntry, "NtryRef") or fallback
        try:
            # CdtDbtInd is this entry's own direction; RvslInd only says that it reverses an
            # earlier entry of the other direction (a returned direct debit, a recall).
            amount, ccy = self.signed(ntry, f"entry {index}")
            booked = self.day(ntry, "BookgDt", f"entry {index}")
            if booked is None:
                raise ValueError(f"entry {index}: required element BookgDt is missing")
            value = self.day(ntry, "ValDt", f"entry {index}")
            charges = self._charges(ntry, f"entry {index}")
            txs = self.findall(ntry, "NtryDtls/TxDtls")
            base = Entry(key=key, location=location, booked=booked, value=value, amount=amount,
                         currency=ccy, raw=raw, account=stmt.account, charges=charges,
                         bank_reference=self.text(ntry, "AcctSvcrRef"))
            if len(txs) > 1 and all(self._tx_amount(t) is not None for t in txs):
                return [self._detail(base, t, f"{key}/{n + 1}", f"{location}.tx{n + 1}",
                                     split=True)
                        for n, t in enumerate(txs)]
            if txs:
                return [self._detail(base, txs[0], key, location, split=False)]
            return [base]
        except ValueError as exc:
            return [Entry(key=key, location=location, booked=date.min, value=None,
                          amount=Decimal(0), currency="", raw=raw, problem=str(exc))]

    def _tx_amount(self, tx: ET.Element) -> ET.Element | None:
        node = self.find(tx, "AmtDtls/TxAmt/Amt")
        return node if node is not None else self.find(tx, "Amt")

    def _charges(self, el: ET.Element, what: str) -> Decimal | None:
        total = self.find(el, "Chrgs/TtlChrgsAndTaxAmt")
        if total is not None:
            return self.amount(el, "Chrgs/TtlChrgsAndTaxAmt", what)[0]
        records = self.findall(el, "Chrgs/Rcrd")
        if not records:
            return None
        return sum((self.amount(r, "Amt", what)[0] for r in records), Decimal(0))

    def _detail(self, base: Entry, tx: ET.Element, key: str, location: str,
                split: bool) -> Entry:
        what = location
        amount = base.amount
        raw = base.raw
        if split:
            path = "AmtDtls/TxAmt/Amt" if self.find(tx, "AmtDtls/TxAmt/Amt") is not None \
                else "Amt"
            value, _ = self.amount(tx, path, what)
            ind = self.text(tx, "CdtDbtInd")
            sign = (1 if base.amount >= 0 else -1) if ind is None else (1 if ind == "CRDT" else -1)
            amount = value * sign
            raw = {"entry": base.raw, "transaction": _as_dict(tx)}
        # The other party: who paid in, or who was paid; a reversal turns that round.
        incoming = (base.amount >= 0) != (self.text(tx, "RtrInf/Rsn/Cd") is not None)
        party = "Dbtr" if incoming else "Cdtr"
        name = (self.text(tx, f"RltdPties/{party}/Nm")
                or self.text(tx, f"RltdPties/{party}/Pty/Nm"))
        iban_text = self.text(tx, f"RltdPties/{party}Acct/Id/IBAN")
        iban = checked_iban(iban_text) if iban_text else None
        strd = self.findall(tx, "RmtInf/Strd")
        rf_text = next((r for s in strd if (r := self.text(s, "CdtrRefInf/Ref"))), None)
        rf = creditor_reference(rf_text)
        if rf_text and rf is None and rf_text.upper().startswith("RF"):
            raise ValueError(f"{what}: creditor reference {rf_text!r} fails its ISO 11649 check")
        numbers = [n for s in strd for d in self.findall(s, "RfrdDocInf")
                   if (n := self.text(d, "Nb"))]
        ustrd = " ".join(t.text.strip() for t in self.findall(tx, "RmtInf/Ustrd")
                         if t.text and t.text.strip())
        reason = self.text(tx, "RtrInf/Rsn/Cd")
        if reason:
            ustrd = f"{ustrd} (returned, reason {reason})".strip()
        charges = base.charges
        if split:
            charges = self._charges(tx, what)
        return Entry(key=key, location=location, booked=base.booked, value=base.value,
                     amount=amount, currency=base.currency, raw=raw, account=base.account,
                     counterparty=name, counterparty_iban=iban,
                     bank_reference=self.text(tx, "Refs/AcctSvcrRef") or base.bank_reference,
                     end_to_end_id=_real(self.text(tx, "Refs/EndToEndId")),
                     creditor_reference=rf or rf_text, invoice_numbers=numbers,
                     unstructured=ustrd, charges=charges)


def _real(value: str | None) -> str | None:
    return None if value in (None, "NOTPROVIDED") else value


def _as_dict(el: ET.Element) -> dict[str, Any]:
    """The element as plain data, tags without their namespace (so that the same entry in a
    camt.054 and a camt.053 is the same raw entry)."""

    def walk(node: ET.Element) -> Any:
        children = list(node)
        if not children:
            text = (node.text or "").strip()
            return {"_": text, **node.attrib} if node.attrib else text
        out: dict[str, Any] = dict(node.attrib)
        for child in children:
            tag = child.tag.split("}", 1)[-1]
            value = walk(child)
            if tag in out:
                prior = out[tag]
                out[tag] = [*prior, value] if isinstance(prior, list) else [prior, value]
            else:
                out[tag] = value
        return out

    body = walk(el)
    return body if isinstance(body, dict) else {"_": body}
