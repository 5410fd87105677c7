"""What a reply to a payment reminder asks: rules over the message's structure and words.

:func:`read_intent` decides one :class:`~hub.ReplyKind` per message, in the
order of what is costly to get wrong:

1. **bounce**: a delivery report (RFC 3464, or a mailer daemon's text;
   :mod:`plugins.email.dsn`);
2. **out of office**: an automatic answer (``Auto-Submitted: auto-replied``,
   ``X-Autoreply``, ``Precedence: auto_reply`` or an "Automatic reply:"
   subject) that says its writer is away; its return date is read. An
   absence notice that mentions disputes ("for disputes write to ...") is an
   absence notice;
3. **stop**: any request to stop contact, anywhere in the customer's own
   words (a stop deep inside a long mail counts);
4. **dispute**: a sentence contesting an invoice that is not said in the
   negative ("no dispute, just paying late" is not one);
5. **promise** (future tense: "we will pay by ...", with the date) or
   **remittance** (past tense: "we paid ..."), and a message that reads as a
   payment with no other wording is a remittance, as before;
6. **question** for a person, else **other**.

Only the customer's own words count: quoted text below "On ... wrote:",
"-----Original Message-----" and its translations, ``>`` lines and the
signature after ``-- `` are left out, so a quoted reminder ("If you have
already paid ...", "Questions about the invoice?") never decides anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from hub import ReplyKind
from plugins.email import dates, intent_words
from plugins.email.config import ParsingRules
from plugins.email.dsn import read_bounce
from plugins.email.message import MailFacts

OWN_WORDS_CHARS = 4000
_RETURN_CUE = re.compile(
    r"(?i)(?:return(?:ing)?|back|wieder|ab\s+dem|ab|de\s+retour|retour|volveré|regreso|"
    r"regresaré|estaré\s+de\s+vuelta)\s*(?:on|am|le|el|the)?\s*(?:\w+,?\s+)?$")
_UNTIL_CUE = re.compile(r"(?i)(?:until|till|through|bis|jusqu'au|hasta)\b[^.\n]{0,30}$")
_INCLUSIVE = re.compile(r"(?i)^\s*(?:inclus|inclusive|included)|einschließlich\s*$")


@dataclass(frozen=True, slots=True)
class Intent:
    """What one message was read to say."""

    kind: ReplyKind
    evidence: str | None = None
    language: str | None = None
    invoice_numbers: list[str] = field(default_factory=list)
    promised_date: date | None = None
    return_date: date | None = None
    bounced_addresses: list[str] = field(default_factory=list)
    refers_to: list[str] = field(default_factory=list)
    own_words: str = ""
    needs_person: str | None = None


def read_intent(source: bytes, facts: MailFacts, rules: ParsingRules, *,
                reads_as_payment: bool) -> Intent:
    """The :class:`Intent` of the message ``source`` (already read into ``facts``).

    ``reads_as_payment``: whether its text names a payment the remittance
    reader can take (an amount with a currency).
    """
    msg = BytesParser(policy=policy.compat32).parsebytes(source)
    refers = _refers_to(msg)
    received = _received(facts.date)
    own = own_words(facts.text)
    words = f"{facts.subject}\n{own}"
    language = language_of(own)
    numbers = invoice_numbers(words, rules)
    base = dict(language=language, invoice_numbers=numbers, refers_to=refers,
                own_words=own[:OWN_WORDS_CHARS])

    bounce = read_bounce(msg, facts.sender, facts.subject, facts.text)
    if bounce is not None:
        if bounce.returned_message_id:
            refers = [*refers, bounce.returned_message_id]
            base["refers_to"] = refers
        if bounce.delayed_only:
            return Intent(ReplyKind.OTHER, evidence="a delivery delay report (still trying)",
                          **base)  # type: ignore[arg-type]
        return Intent(ReplyKind.BOUNCE, bounced_addresses=bounce.addresses,
                      evidence="delivery failed"
                      + (f" ({', '.join(s for s in bounce.statuses if s)})"
                         if any(bounce.statuses) else ""),
                      needs_person=None if bounce.addresses else
                      "a delivery failure that names no address", **base)  # type: ignore[arg-type]

    if _automatic(msg, facts.subject):
        back = _return_date(own, language, received, rules)
        away = intent_words.AWAY.search(words)
        if back is not None or away is not None:
            return Intent(ReplyKind.OUT_OF_OFFICE, return_date=back,
                          evidence=_quote(words, away) if away else "an automatic reply",
                          **base)  # type: ignore[arg-type]
        return Intent(ReplyKind.OTHER, evidence="an automatic reply",
                      needs_person="an automatic reply that is not an absence notice",
                      **base)  # type: ignore[arg-type]

    stop = intent_words.STOP.search(words)
    if stop is not None:
        return Intent(ReplyKind.STOP, evidence=_quote(words, stop), **base)  # type: ignore[arg-type]

    disputed = _dispute(words)
    if disputed is not None:
        return Intent(ReplyKind.DISPUTE, evidence=disputed, **base)  # type: ignore[arg-type]

    paid = intent_words.PAID.search(words)
    promised = intent_words.PROMISE.search(words)
    if promised is not None and (paid is None or not reads_as_payment):
        when = _promised_date(own, language, received, rules)
        return Intent(ReplyKind.PROMISE, promised_date=when, evidence=_quote(words, promised),
                      needs_person=None if when else "a promise to pay without a date",
                      **base)  # type: ignore[arg-type]
    if paid is not None or reads_as_payment:
        return Intent(ReplyKind.REMITTANCE,
                      evidence=_quote(words, paid) if paid else "names a payment",
                      **base)  # type: ignore[arg-type]

    asked = intent_words.QUESTION.search(own)
    if asked is not None:
        return Intent(ReplyKind.QUESTION, evidence=_quote(own, asked),
                      needs_person="a question", **base)  # type: ignore[arg-type]
    away = intent_words.AWAY.search(own[:400])
    back = _return_date(own, language, received, rules) if away else None
    if away is not None and back is not None:
        return Intent(ReplyKind.OUT_OF_OFFICE, return_date=back, evidence=_quote(own, away),
                      **base)  # type: ignore[arg-type]
    return Intent(ReplyKind.OTHER, needs_person="a reply the hub has no rule for",
                  **base)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- words
def own_words(text: str) -> str:
    """The writer's own words: quoted messages, ``>`` lines and the signature left out."""
    cut = intent_words.QUOTE_START.search(text)
    if cut is not None:
        text = text[:cut.start()]
    sig = intent_words.SIGNATURE.search(text)
    if sig is not None:
        text = text[:sig.start()]
    return "\n".join(line for line in text.splitlines()
                     if not line.lstrip().startswith(">")).strip()


def language_of(text: str) -> str | None:
    """en, de, fr or es: the language whose common words the text uses most."""
    counts = {lang: len(p.findall(text)) for lang, p in intent_words.LANGUAGE_WORDS.items()}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else None


_YEAR_NUMBER = re.compile(r"(?<![\w-])[A-Z]{1,5}-\d{4}-\d+(?![\w-])")


def invoice_numbers(text: str, rules: ParsingRules) -> list[str]:
    """The invoice numbers ``text`` names (after "invoice", "Rechnung", "facture",
    "factura"; prefixed ``INV-``; or shaped ``RE-2026-117``)."""
    from plugins.email.remittance import _invoice_numbers  # the remittance reader's rules

    found = _invoice_numbers(text, rules)
    for match in _YEAR_NUMBER.finditer(text):
        if match.group(0) not in found:
            found.append(match.group(0))
    return found


def _sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [s for s in re.split(r"(?<=[.!?;])\s+|\s+-\s+", flat) if s]


def _dispute(text: str) -> str | None:
    for sentence in _sentences(text):
        found = intent_words.DISPUTE.search(sentence)
        if found is not None and intent_words.NEGATED.search(sentence) is None:
            return sentence[:200]
    return None


def _quote(text: str, match: re.Match[str] | None) -> str:
    if match is None:
        return ""
    start = max(0, match.start() - 40)
    return " ".join(text[start:match.end() + 40].split())[:200]


def _automatic(msg: Message, subject: str) -> bool:
    auto = str(msg.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return True
    if msg.get("X-Autoreply") or msg.get("X-Autorespond"):
        return True
    if str(msg.get("Precedence") or "").strip().lower() == "auto_reply":
        return True
    return intent_words.AUTO_SUBJECT.match(subject) is not None


def _refers_to(msg: Message) -> list[str]:
    ids: list[str] = []
    for name in ("In-Reply-To", "References"):
        for value in re.findall(r"<([^<>\s]+)>", str(msg.get(name) or "")):
            if value not in ids:
                ids.append(value)
    return ids


def _received(value: str) -> datetime:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _day_first(rules: ParsingRules) -> bool:
    return rules.date_order == "day-first"


def _promised_date(text: str, language: str | None, received: datetime,
                   rules: ParsingRules) -> date | None:
    """The first date not before the message's own day."""
    for mention in dates.mentions(text, language, received, _day_first(rules)):
        if mention.value >= received.date():
            return mention.value
    return None


def _return_date(text: str, language: str | None, received: datetime,
                 rules: ParsingRules) -> date | None:
    """The day the writer is back: after "back on", "wieder", "de retour", "volveré"; else
    the day after "until ... inclusive", else the "until" day itself."""
    found = [m for m in dates.mentions(text, language, received, _day_first(rules))
             if m.value >= received.date()]
    for mention in found:
        if _RETURN_CUE.search(mention.before):
            return mention.value
    for mention in found:
        if _UNTIL_CUE.search(mention.before):
            inclusive = _INCLUSIVE.search(mention.after) or _INCLUSIVE.search(mention.before)
            return mention.value + timedelta(days=1) if inclusive else mention.value
    return found[0].value if found else None
