"""Bank lines that are not a customer paying an invoice, and what they are instead.

Money out (fees, salaries, suppliers, refunds, chargebacks) is never a
customer's payment. Money in can be one of the bank's or the company's own
movements too: interest, a card acquirer's settlement, a tax refund, a
transfer between the company's accounts. Those are named here by the words
banks print for them (in the languages of the corpus the matcher is scored
on: English, German, French, Polish, Swedish, Spanish, Dutch, Finnish,
Italian); a config adds its own (``[reconcile.matching] not_customer``).
A line that names an invoice or comes from a known customer is never
classified away: a customer is a customer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

CATEGORIES: dict[str, tuple[str, ...]] = {
    "bank_interest": (
        r"\bhabenzinsen\b", r"\bzinsgutschrift", r"\binterest\b", r"\bint[eé]r[eê]ts?\b",
        r"\bodsetki\b", r"\br[aä]nta\b", r"\bintereses\b", r"\brente\b", r"\bkorko",
        r"\binteressi\b", r"\bcreditrente\b",
    ),
    "card_settlement": (
        r"\bcard settlement\b", r"\bkartenums[aä]tze", r"\bmerchant services\b",
        r"\bworldline\b", r"\bcardnet\b", r"\bglobal payments\b", r"\belavon\b",
        r"\bpayone\b", r"\bnexi\b", r"\bconcardis\b", r"\bsumup\b", r"\bsquare inc\b",
        r"\bzettle\b", r"\bacquir", r"\bremise carte", r"\bliquidaci[oó]n tpv\b",
        r"\bbankcard\b", r"\bmerchant (?:bankcard )?deposit\b",
    ),
    "tax_refund": (
        r"\bfinanzamt\b", r"\bust-?erstattung", r"\bsteuererstattung", r"\btax refund\b",
        r"\bhmrc\b", r"\birs treas", r"\bskatteverket\b", r"\bagencia tributaria\b",
        r"\bdgfip\b", r"\burz[aą]d skarbowy\b", r"\bbelastingdienst\b", r"\bvero\b",
        r"\bagenzia entrate\b",
    ),
    "own_transfer": (
        r"\bown account\b", r"\bfx transfer\b", r"\beigen[ea]? konto", r"\bumbuchung\b",
        r"\b[uü]bertrag\b", r"\bvirement interne\b", r"\bprzelew w[lł]asny\b",
        r"\btraspaso\b", r"\bbetween accounts\b", r"\bauszahlung\b.{0,20}\bguthaben",
        r"\bprzeksi[eę]gowanie\b", r"\brachunku vat\b",
    ),
    "refund_or_chargeback": (
        r"\bchargeback\b", r"\bdispute\b", r"\br[uü]cklastschrift\b", r"\breversal\b",
        r"\berstattung\b", r"\bgutschrift retoure\b",
    ),
}
"""Category -> patterns (on the folded counterparty and memo) that say what a line is."""

_COMPILED: dict[str, re.Pattern[str]] = {}


def _pattern(category: str, extra: Sequence[str]) -> re.Pattern[str]:
    key = category + "\0" + "\0".join(extra)
    found = _COMPILED.get(key)
    if found is None:
        found = re.compile("|".join((*CATEGORIES.get(category, ()), *extra)), re.I)
        _COMPILED[key] = found
    return found


def not_customer(amount: int, counterparty: str | None, text: str | None,
                 extra: Mapping[str, Sequence[str]] | None = None) -> str | None:
    """What a bank line is when it is not a customer's payment, or ``None``.

    ``amount`` is signed (minor units): money out is ``money_out`` unless a
    pattern says more. ``extra`` adds patterns by category (a config's).
    """
    extra = extra or {}
    line = f"{counterparty or ''} {text or ''}"
    for category in (*CATEGORIES, *(c for c in extra if c not in CATEGORIES)):
        patterns = tuple(extra.get(category, ()))
        if (CATEGORIES.get(category) or patterns) and _pattern(category, patterns).search(line):
            return category
    return "money_out" if amount < 0 else None
