"""Reading a remittance e-mail as a canonical payment.

Two steps, so that a stored payment can be read again without its mail:

1. :func:`plugins.email.message.read_message` turns the RFC 822 source into
   :class:`~plugins.email.message.MailFacts`: the few headers that matter and
   the text of the message.
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

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from email.utils import parseaddr, parsedate_to_datetime

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
from plugins.email import wording
from plugins.email.config import ParsingRules
from plugins.email.message import MailFacts, Unreadable


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
    for match in wording.MONEY.finditer(text):
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
        for match in wording.BARE_AMOUNT.finditer(text):
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
    if token in wording.SYMBOLS:
        return wording.SYMBOLS[token]
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
        listed = rf"(?P<invoices>{token}(?:{wording.LIST_SEP}{token})*)"
        pattern = re.compile(wording.INVOICE_WORDS + listed)
        lists = [m.group("invoices") for m in pattern.finditer(text)]
    lists += [m.group("n") for m in wording.PREFIXED_INVOICE.finditer(text)]
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
            money = [_Money(v, None, m.start(), m.group(0))
                     for m in wording.LINE_AMOUNT.finditer(rest)
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
              if wording.TOTAL_WORDS.search(text[max(0, m.start - 40):m.start])}
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
    for pattern in wording.DATES:
        for match in pattern.finditer(text):
            parsed = _date_of(match, rules)
            if parsed is None:
                continue
            line_start = text.rfind("\n", 0, match.start()) + 1
            before = text[max(line_start, match.start() - 30):match.start()]
            if re.match(r"(?i)\s*>?\s*(?:date|sent):", text[line_start:match.start()]):
                continue  # a forwarded or quoted message's Date: header line
            candidates.append((bool(wording.DATE_WORDS.search(before)), match.start(), parsed))
    if not candidates:
        return None
    marked = [c for c in candidates if c[0]]
    chosen = min(marked or candidates, key=lambda c: c[1])
    return chosen[2]


def _date_in(text: str, rules: ParsingRules) -> date | None:
    for pattern in wording.DATES:
        match = pattern.search(text)
        if match:
            return _date_of(match, rules)
    return None


def _date_of(match: re.Match[str], rules: ParsingRules) -> date | None:
    groups = match.groupdict()
    try:
        year = int(groups["y"])
        if groups.get("mon"):
            month = wording.MONTHS[groups["mon"].lower().rstrip(".")]
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
    pattern = re.compile(rules.reference_pattern) if rules.reference_pattern else wording.REFERENCE
    for match in pattern.finditer(text):
        value = match.group("reference").strip()
        if value:
            return value[:200]
    return None


def _method(text: str) -> str | None:
    for name, pattern in wording.METHODS:
        if re.search(pattern, text, re.IGNORECASE):
            return name
    return None


def _payer(facts: MailFacts) -> str:
    """Who paid: the forwarded message's sender in a forward, else the message's sender."""
    marker = wording.FORWARDED.search(facts.text)
    if marker or re.match(r"(?i)\s*(?:fwd?|fw):", facts.subject):
        found = wording.FORWARDED_FROM.search(facts.text, marker.end() if marker else 0)
        if found:
            name, addr = parseaddr(found.group("from"))
            return (name or addr).strip()
    return facts.sender_name or facts.sender
