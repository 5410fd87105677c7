"""Reading a remittance e-mail as a canonical payment.

Two steps, so that a stored payment can be read again without its mail:

1. :func:`read_message` turns the RFC 822 source into :class:`MailFacts`:
   the few headers that matter and the text of the message (plain-text parts
   first, HTML stripped to text otherwise, forwarded messages included),
   strictly decoded: a part whose bytes do not fit its declared charset, an
   unknown charset or a broken MIME structure is :class:`Unreadable`.
2. :func:`to_payment` finds in that text the amount and currency, the
   payment date, the reference and the invoices paid, with the configured
   :class:`~plugins.email.config.ParsingRules` first and common English
   wording after ("we paid invoices 1001 and 1002, USD 1,250.00, wire ref
   ABC123, on 2026-11-20"). Whatever it cannot decide (no amount, amounts in
   two currencies, several amounts and none marked as the total) is
   :class:`Unreadable` with a reason a coordinator can act on: such mail
   needs a person, not a guess.

An invoice list without an amount per invoice ("invoices 1001 and 1002,
USD 1,250.00") does not say how the money splits: the payment then has no
applications, the invoices are named in its memo, and the reconciler
suggests the match (it reads invoice numbers in memos). Amounts per invoice
("INV-1001  USD 500.00" on a line of its own) become applications.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from email import errors as mail_errors
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

from pydantic import ValidationError

from hub import (
    CurrencyError,
    Payment,
    PaymentApplication,
    currency_exponent,
    explain_invalid,
    is_currency,
    normalize_currency,
    quantize,
)
from plugins.email.config import ParsingRules

MAX_TEXT_CHARS = 20_000
"""Text read from one message (remittance wording is short; the rest is quoted mail,
signatures and disclaimers). The same text is kept in the payment's raw payload."""


class Unreadable(Exception):
    """A message that cannot be read as a payment; ``reason`` says why, for a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class MailFacts:
    """What the connector keeps of one message: its payment's ``raw`` payload."""

    message_id: str | None
    sender: str
    sender_name: str
    subject: str
    date: str
    text: str

    def as_raw(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "from": self.sender,
                "from_name": self.sender_name, "subject": self.subject, "date": self.date,
                "text": self.text}

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> MailFacts:
        try:
            return cls(message_id=raw.get("message_id"), sender=str(raw["from"]),
                       sender_name=str(raw.get("from_name") or ""),
                       subject=str(raw.get("subject") or ""), date=str(raw.get("date") or ""),
                       text=str(raw["text"]))
        except KeyError as exc:
            raise Unreadable(f"the stored message has no {exc.args[0]!r}") from None


# ---------------------------------------------------------------------- MIME
_BROKEN_MIME = (
    mail_errors.NoBoundaryInMultipartDefect,
    mail_errors.StartBoundaryNotFoundDefect,
    mail_errors.MultipartInvariantViolationDefect,
    mail_errors.InvalidBase64CharactersDefect,
    mail_errors.InvalidBase64PaddingDefect,
    mail_errors.InvalidBase64LengthDefect,
)


def message_digest(source: bytes) -> str:
    """A stable id for a message without a Message-ID: a digest of its source."""
    return "sha256:" + hashlib.sha256(source).hexdigest()[:40]


def external_id_of(source: bytes) -> str:
    """The id a message's payment is stored under: its Message-ID, else a digest."""
    parsed = BytesParser(policy=policy.compat32).parsebytes(source, headersonly=True)
    found = _message_id(parsed)
    return found or message_digest(source)


def _message_id(msg: Message) -> str | None:
    # The header as it came: the default policy's parser raises on some broken ids (<>).
    value = next((v for k, v in msg.raw_items() if k.lower() == "message-id"), None)
    if value is None:
        return None
    text = re.sub(r"\s+", "", str(value)).strip("<>")
    return text[:400] or None


def read_message(source: bytes) -> MailFacts:
    """The headers and text of one RFC 822 message; :class:`Unreadable` if it cannot be read."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(source)
    except Exception as exc:  # the parser is lenient; anything it raises is a broken message
        raise Unreadable(f"the message cannot be parsed as e-mail: {exc}") from None
    assert isinstance(msg, EmailMessage)
    for part in msg.walk():
        bad = [d for d in part.defects if isinstance(d, _BROKEN_MIME)]
        if bad:
            raise Unreadable(f"the message's MIME structure is broken ({_defect_words(bad[0])}); "
                             "ask the sender for a new copy or read it by hand")
    sender_name, sender = _address(msg, "From")
    if not sender:
        raise Unreadable("the message has no From address")
    text = _text_of(msg)
    if not text.strip():
        raise Unreadable("the message has no text to read a payment from (no text or HTML "
                         "part)")
    return MailFacts(message_id=_message_id(msg), sender=sender, sender_name=sender_name,
                     subject=_header(msg, "Subject"), date=_header(msg, "Date"),
                     text=text[:MAX_TEXT_CHARS])


def _defect_words(defect: Exception) -> str:
    name = type(defect).__name__.removesuffix("Defect")
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # an undecodable encoded word: keep what can be kept
        value = None
    return " ".join(str(value).split()) if value is not None else ""


def _address(msg: Message, name: str) -> tuple[str, str]:
    raw = _header(msg, name)
    found = getaddresses([raw]) if raw else []
    display, addr = found[0] if found else ("", "")
    return display.strip(), addr.strip().lower()


def _text_of(msg: EmailMessage) -> str:
    """Plain text of every text part (HTML as text where a part has no plain version)."""
    chunks: list[str] = []
    for part in _text_parts(msg):
        content = _decode(part)
        if part.get_content_subtype() == "html":
            content = _html_to_text(content)
        chunks.append(content)
    return "\n\n".join(chunks).replace("\r\n", "\n").replace("\u00a0", " ")


def _text_parts(msg: Message) -> Iterator[Message]:
    """The readable parts, depth first; of an alternative, the plain one."""
    if msg.get_content_type() == "message/rfc822":  # a forwarded message, attached
        inner = msg.get_payload()
        for item in inner if isinstance(inner, list) else [inner]:
            if isinstance(item, Message):
                yield from _forwarded_header(item)
                yield from _text_parts(item)
        return
    if msg.is_multipart():
        subtype = msg.get_content_subtype()
        parts = [p for p in msg.get_payload() if isinstance(p, Message)]
        if subtype == "alternative":
            plain = [p for p in parts if p.get_content_type() == "text/plain"]
            chosen = plain[:1] or parts[-1:]
            for part in chosen:
                yield from _text_parts(part)
            return
        for part in parts:
            yield from _text_parts(part)
        return
    if (msg.get_content_maintype() == "text" and msg.get_content_subtype() in ("plain", "html")
            and msg.get_content_disposition() != "attachment"):
        yield msg


def _forwarded_header(inner: Message) -> Iterator[Message]:
    """The attached message's From and Subject, as a text part (forward detection reads it)."""
    note = EmailMessage()
    note.set_content(f"---------- Forwarded message ----------\nFrom: {_header(inner, 'From')}\n"
                     f"Subject: {_header(inner, 'Subject')}\n")
    yield note


def _decode(part: Message) -> str:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return data.decode(charset)
    except UnicodeDecodeError as exc:
        if charset in ("us-ascii", "ascii"):  # undeclared 8-bit text: UTF-8 is the norm
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                pass
        raise Unreadable(f"a text part is not valid {charset} (byte {data[exc.start]:#04x} at "
                         f"position {exc.start}); the sender's mail program mislabelled "
                         "it") from None
    except UnicodeError as exc:  # codecs such as punycode raise the base class
        raise Unreadable(f"a text part is not valid {charset} ({exc}); the sender's mail "
                         "program mislabelled it") from None
    except (LookupError, ValueError):  # ValueError: a name no codec can have (a NUL in it)
        raise Unreadable(f"a text part declares the unknown charset {charset!r}; ask the "
                         "sender to resend it as UTF-8, or read it by hand") from None
    # Note: the parser already undid base64 / quoted-printable transfer encodings.


class _TextOfHtml(HTMLParser):
    _BLOCK = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "table", "td", "th"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BLOCK:
            self.out.append("\n" if tag != "td" and tag != "th" else "  ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.out.append(data)


def _html_to_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    return html.unescape("".join(parser.out))


# ---------------------------------------------------------------------- wording
_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "US$": "USD", "CA$": "CAD",
            "C$": "CAD", "A$": "AUD", "CHF": "CHF"}
_NUMBER = r"\d{1,3}(?:[.,'\u202f]\d{3})+(?:[.,]\d{1,3})?|\d+(?:[.,]\d{1,3})?"
_CUR = r"US\$|CA\$|C\$|A\$|[$€£¥₹]|\b[A-Z]{3}\b"
_MONEY = re.compile(
    rf"(?:(?P<c1>{_CUR})\s?(?P<n1>{_NUMBER})(?![\d])|(?<![\w.,/\-:])(?P<n2>{_NUMBER})\s?(?P<c2>{_CUR}))")
_TOTAL_WORDS = re.compile(
    r"(?i:\b(?:total|sum|amount(?:\s+(?:paid|remitted|of))?|payment\s+(?:of|amount)|"
    r"remitted|transfer(?:red)?\s+of|we\s+(?:have\s+)?(?:paid|sent|remitted)|paid)\b)"
    r"[^\n\d$€£¥₹]{0,25}$")
_BARE_AMOUNT = re.compile(
    r"(?i:\b(?:total|amount(?:\s+paid)?|payment\s+(?:of|amount)|sum)\b)\s*[:=]?\s*"
    rf"(?P<n>{_NUMBER})(?![\d.,])")
_LINE_AMOUNT = re.compile(r"(?<![\w.,])(?P<n>\d{1,3}(?:[.,']\d{3})*[.,]\d{2})(?![\d.,])")
_INVOICE_WORDS = (r"(?i:\b(?:invoices?|inv\.?|bills?|rechnung(?:en)?|factures?|facturas?)"
                  r"(?:\s+(?:no\.?|nos\.?|numbers?|nr\.?))?)"
                  r"\s*[:#]?\s*")
_PREFIXED_INVOICE = re.compile(r"(?<![\w-])(?P<n>(?i:inv)[-#/]?\d[\dA-Za-z\-/]*)(?![\w-])")
"""An invoice number that says it is one (INV-1001), wherever it stands (a table's row)."""
_LIST_SEP = r"\s*(?:,|;|&|\+|/|(?i:\band\b))\s*"
_REFERENCE = re.compile(
    r"(?i:\b(?:ref(?:erence|erenz)?|trn|utr|confirmation|trace|transaction\s+id|check|cheque)\b"
    r"\.?(?:\s*(?:no\.?|number|id|#|nr\.?))?\s*[:#]?\s*)"
    r"(?P<reference>(?=[A-Za-z\-/]*\d)[A-Za-z0-9][A-Za-z0-9\-/]{3,})")
_METHODS = (("wire", r"\b(?:wire|swift)\b"), ("ach", r"\b(?:ach|direct deposit)\b"),
            ("check", r"\b(?:check|cheque)\b"), ("sepa", r"\bsepa\b"),
            ("bank_transfer", r"\b(?:bank transfer|transfer)\b"))
_MONTHS = {m: i for i, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
     ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
     ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for m in names}
_MONTH = r"(?P<mon>(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|" \
         r"aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?))\.?"
_DATES = (
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"\b(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>\d{4})\b"),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(?P<y>\d{{4}})\b"),
    re.compile(rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b"),
)
_DATE_WORDS = re.compile(
    r"(?i:\b(?:paid|sent|initiated|made|executed|remitted|value|payment|transfer)"
    r"(?:\s+(?:on|date|dated))?|\bon|\bdated|\bdate)\s*:?\s*$")
_FORWARDED = re.compile(r"(?im)^(?:-{2,}\s*forwarded message\s*-{2,}|begin forwarded message:)")
_FORWARDED_FROM = re.compile(r"(?im)^\s*>?\s*from:\s*(?P<from>.+)$")


@dataclass(frozen=True, slots=True)
class _Money:
    value: Decimal
    currency: str | None
    start: int
    text: str
    ambiguous: bool = False
    """Written ``1.250`` or ``1,250`` under ``decimal = "auto"`` (see :func:`_grouped`)."""


def to_payment(facts: MailFacts, rules: ParsingRules, *, source: str,
               external_id: str) -> Payment:
    """The payment ``facts`` describe, or :class:`Unreadable` with the reason."""
    text = facts.text
    mentions = list(_money_mentions(text, rules))
    if not mentions:
        raise Unreadable("no amount found: the message names no sum of money with a currency "
                         "(e.g. 'USD 1,250.00')" + ("" if rules.default_currency else
                                                    "; set parsing.default_currency if your "
                                                    "payers leave it out"))
    currencies = sorted({m.currency for m in mentions if m.currency})
    if len(currencies) > 1:
        shown = ", ".join(f"{m.text}" for m in _first_per_currency(mentions))
        raise Unreadable(f"the message names amounts in {len(currencies)} currencies ({shown}); "
                         "which one was paid is for a person to say")
    currency = currencies[0] if currencies else rules.default_currency
    if currency is None:
        raise Unreadable(f"the amount {mentions[0].text} has no currency; set "
                         "parsing.default_currency to read such mail")
    unsure = [m.text for m in mentions if m.ambiguous]
    if unsure and currency_exponent(currency) >= 3:
        raise Unreadable(f"the amount {unsure[0]} may be a thousand or one with {currency}'s "
                         f"{currency_exponent(currency)} decimals; set parsing.decimal to '.' "
                         "or ',' for this mailbox, or key the payment in by hand")
    try:
        values = [quantize(m.value, currency) for m in mentions]
    except CurrencyError as exc:
        raise Unreadable(f"an amount does not fit {currency}: {exc.message}") \
            from None
    numbers = _invoice_numbers(text, rules)
    per_invoice = _amounts_per_invoice(text, numbers, rules, currency)
    amount = _payment_amount(text, mentions, values, per_invoice)
    if amount <= 0:
        raise Unreadable(f"the amount {amount} {currency} is not a payment")
    received = _payment_date(text, rules) or _header_date(facts.date)
    if received is None:
        raise Unreadable("no payment date found in the text, and the message has no Date "
                         "header to fall back on")
    payer = _payer(facts)
    memo_parts = [facts.subject] if facts.subject else []
    if numbers:
        memo_parts.append("invoices " + ", ".join(numbers))
    try:
        return Payment(
            source=source, external_id=external_id, amount=amount, currency=currency,
            received_date=received, method=_method(text), reference=_reference(text, rules),
            memo=" | ".join(memo_parts)[:1000] or None, payer_name=payer or None,
            applications=_applications(numbers, per_invoice, amount),
            metadata={"sender": facts.sender, **({"invoices": ",".join(numbers)}
                                                 if numbers else {})},
            raw={**facts.as_raw(), "id": external_id})
    except ValidationError as exc:
        raise Unreadable(f"the payment read from the message is not valid: "
                         f"{explain_invalid(exc)}") from None
    except ValueError as exc:
        why = str(exc)
        raise Unreadable(f"the payment read from the message is not valid: {why}") from None


def _applications(numbers: list[str], per_invoice: dict[str, Decimal],
                  amount: Decimal) -> list[PaymentApplication]:
    """Amounts per invoice when every invoice has one, else the whole amount to a lone one."""
    if numbers and len(per_invoice) == len(numbers) and sum(per_invoice.values()) <= amount:
        return [PaymentApplication(invoice_number=n, amount=per_invoice[n]) for n in numbers]
    if len(numbers) == 1:
        return [PaymentApplication(invoice_number=numbers[0], amount=amount)]
    return []


def _first_per_currency(mentions: Iterable[_Money]) -> list[_Money]:
    seen: dict[str | None, _Money] = {}
    for m in mentions:
        seen.setdefault(m.currency, m)
    return list(seen.values())


def _money_mentions(text: str, rules: ParsingRules) -> Iterator[_Money]:
    if rules.amount_pattern:
        for match in re.finditer(rules.amount_pattern, text):
            groups = match.groupdict()
            cur = _currency_of(groups.get("currency"), rules)
            value = _number(groups["amount"] or "", rules)
            if value is not None:
                yield _Money(value, cur, match.start(), match.group(0).strip(),
                             _grouped(groups["amount"] or "", rules))
        return
    found = False
    for match in _MONEY.finditer(text):
        token = match.group("c1") or match.group("c2") or ""
        number = match.group("n1") or match.group("n2") or ""
        if re.fullmatch(r"[A-Z]{3}", token) and not is_currency(token):
            continue
        value = _number(number, rules)
        if value is None:
            continue
        found = True
        yield _Money(value, _currency_of(token, rules), match.start(), match.group(0).strip(),
                     _grouped(number, rules))
    if not found and rules.default_currency:
        for match in _BARE_AMOUNT.finditer(text):
            value = _number(match.group("n"), rules)
            if value is not None:
                yield _Money(value, None, match.start("n"), match.group("n"),
                             _grouped(match.group("n"), rules))


def _currency_of(token: str | None, rules: ParsingRules) -> str | None:
    if not token:
        return None
    token = token.strip()
    if token == "$":
        return rules.dollar_currency
    if token in _SYMBOLS:
        return _SYMBOLS[token]
    try:
        return normalize_currency(token)
    except CurrencyError:
        return None


def _number(text: str, rules: ParsingRules) -> Decimal | None:
    """``1,250.00``, ``1.250,00``, ``1'250.00``, ``1250`` as a Decimal (never a float)."""
    s = text.strip().replace("\u202f", "").replace("'", "")
    if not s:
        return None
    if rules.decimal == ".":
        s = s.replace(",", "")
    elif rules.decimal == ",":
        s = s.replace(".", "").replace(",", ".")
    else:
        last_dot, last_comma = s.rfind("."), s.rfind(",")
        if last_dot >= 0 and last_comma >= 0:
            if last_comma > last_dot:
                s = s.replace(".", "").replace(",", ".")
            else:
                s = s.replace(",", "")
        elif last_comma >= 0 or last_dot >= 0:
            sep = "," if last_comma >= 0 else "."
            head, _, tail = s.rpartition(sep)
            if s.count(sep) == 1 and not _grouped(s, rules):
                s = head + "." + tail
            else:  # 1,250 / 1.250.000: groups of thousands
                s = s.replace(sep, "")
    try:
        value = Decimal(s)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _grouped(text: str, rules: ParsingRules) -> bool:
    """``1,250`` or ``12.500``: one separator, one to three digits before it and three after,
    read as a thousands group under ``decimal = "auto"`` (``1250.500`` is not one)."""
    return rules.decimal == "auto" and re.fullmatch(r"\d{1,3}[.,]\d{3}", text.strip()) is not None


def _invoice_numbers(text: str, rules: ParsingRules) -> list[str]:
    token = rf"(?:{rules.invoice_pattern})(?![.,]\d)"
    if rules.invoices_pattern:
        lists = [m.group("invoices") for m in re.finditer(rules.invoices_pattern, text)]
    else:
        pattern = re.compile(rf"{_INVOICE_WORDS}(?P<invoices>{token}(?:{_LIST_SEP}{token})*)")
        lists = [m.group("invoices") for m in pattern.finditer(text)]
    lists += [m.group("n") for m in _PREFIXED_INVOICE.finditer(text)]
    numbers: list[str] = []
    for found in lists:
        for item in re.finditer(token, found):
            number = item.group(0).lstrip("#").strip("-/")
            if number and number not in numbers:
                numbers.append(number)
    return numbers


def _amounts_per_invoice(text: str, numbers: list[str], rules: ParsingRules,
                         currency: str) -> dict[str, Decimal]:
    """Amounts on lines that name exactly one of ``numbers`` and one amount."""
    found: dict[str, Decimal] = {}
    if len(numbers) < 2:
        return found
    for line in text.splitlines():
        named = [n for n in numbers if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", line)]
        if len(named) != 1 or named[0] in found:
            continue
        money = list(_money_mentions(line, rules))
        if not money:
            rest = re.sub(rf"(?<![\w-]){re.escape(named[0])}(?![\w-])", " ", line)
            money = [_Money(v, None, m.start(), m.group(0)) for m in _LINE_AMOUNT.finditer(rest)
                     if (v := _number(m.group("n"), rules)) is not None]
        if len(money) == 1:
            try:
                found[named[0]] = quantize(money[0].value, currency)
            except CurrencyError:
                continue
    return found


def _payment_amount(text: str, mentions: list[_Money], values: list[Decimal],
                    per_invoice: dict[str, Decimal]) -> Decimal:
    distinct = sorted(set(values))
    if len(distinct) == 1:
        return distinct[0]
    marked = {v for m, v in zip(mentions, values, strict=True)
              if _TOTAL_WORDS.search(text[max(0, m.start - 40):m.start])}
    if len(marked) == 1:
        return marked.pop()
    if per_invoice and sum(per_invoice.values()) in distinct:
        return sum(per_invoice.values(), Decimal(0))
    largest = distinct[-1]
    if sum(v for v in values if v != largest) == largest:  # the lines and their total
        return largest
    shown = ", ".join(m.text for m in mentions[:4])
    raise Unreadable(f"the message names several amounts ({shown}) and none is marked as the "
                     "total paid; which one was paid is for a person to say")


def _payment_date(text: str, rules: ParsingRules) -> date | None:
    candidates: list[tuple[bool, int, date]] = []
    if rules.date_pattern:
        for match in re.finditer(rules.date_pattern, text):
            parsed = _date_in(match.group("date"), rules)
            if parsed is not None:
                candidates.append((True, match.start(), parsed))
    for pattern in _DATES:
        for match in pattern.finditer(text):
            parsed = _date_of(match, rules)
            if parsed is None:
                continue
            line_start = text.rfind("\n", 0, match.start()) + 1
            before = text[max(line_start, match.start() - 30):match.start()]
            if re.match(r"(?i)\s*>?\s*(?:date|sent):", text[line_start:match.start()]):
                continue  # a forwarded or quoted message's Date: header line
            candidates.append((bool(_DATE_WORDS.search(before)), match.start(), parsed))
    if not candidates:
        return None
    marked = [c for c in candidates if c[0]]
    chosen = min(marked or candidates, key=lambda c: c[1])
    return chosen[2]


def _date_in(text: str, rules: ParsingRules) -> date | None:
    for pattern in _DATES:
        match = pattern.search(text)
        if match:
            return _date_of(match, rules)
    return None


def _date_of(match: re.Match[str], rules: ParsingRules) -> date | None:
    groups = match.groupdict()
    try:
        year = int(groups["y"])
        if groups.get("mon"):
            month = _MONTHS[groups["mon"].lower().rstrip(".")]
            day = int(groups["d"])
        elif groups.get("a"):
            a, b = int(groups["a"]), int(groups["b"])
            day_first = rules.date_order == "day-first"
            if a > 12 >= b:
                day_first = True
            elif b > 12 >= a:
                day_first = False
            day, month = (a, b) if day_first else (b, a)
        else:
            month, day = int(groups["m"]), int(groups["d"])
        return date(year, month, day)
    except (ValueError, KeyError):
        return None


def _header_date(value: str) -> date | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        return None


def _reference(text: str, rules: ParsingRules) -> str | None:
    pattern = re.compile(rules.reference_pattern) if rules.reference_pattern else _REFERENCE
    for match in pattern.finditer(text):
        value = match.group("reference").strip()
        if value:
            return value[:200]
    return None


def _method(text: str) -> str | None:
    for name, pattern in _METHODS:
        if re.search(pattern, text, re.IGNORECASE):
            return name
    return None


def _payer(facts: MailFacts) -> str:
    """Who paid: the forwarded message's sender in a forward, else the message's sender."""
    marker = _FORWARDED.search(facts.text)
    if marker or re.match(r"(?i)\s*(?:fwd?|fw):", facts.subject):
        found = _FORWARDED_FROM.search(facts.text, marker.end() if marker else 0)
        if found:
            name, addr = parseaddr(found.group("from"))
            return (name or addr).strip()
    return facts.sender_name or facts.sender
