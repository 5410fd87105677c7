"""The words and number shapes of remittance advice, as patterns.

Amounts with or without a currency (``USD 1,250.00``, ``€ 80,00``, ``1.250,00 EUR``),
the words that mark a total, invoice numbers and lists of them ("invoices 1001,
1002 and 1003"), references, payment methods, dates in the usual spellings and
the markers of a forwarded message. :mod:`plugins.email.remittance` reads a
payment with them.
"""

from __future__ import annotations

import re

SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "US$": "USD", "CA$": "CAD",
            "C$": "CAD", "A$": "AUD", "CHF": "CHF"}
NUMBER = r"\d{1,3}(?:[.,'\u202f]\d{3})+(?:[.,]\d{1,3})?|\d+(?:[.,]\d{1,3})?"
CUR = r"US\$|CA\$|C\$|A\$|[$€£¥₹]|\b[A-Z]{3}\b"
MONEY = re.compile(
    rf"(?:(?P<c1>{CUR})\s?(?P<n1>{NUMBER})(?![\d])|(?<![\w.,/\-:])(?P<n2>{NUMBER})\s?(?P<c2>{CUR}))")
TOTAL_WORDS = re.compile(
    r"(?i:\b(?:total|sum|amount(?:\s+(?:paid|remitted|of))?|payment\s+(?:of|amount)|"
    r"remitted|transfer(?:red)?\s+of|we\s+(?:have\s+)?(?:paid|sent|remitted)|paid)\b)"
    r"[^\n\d$€£¥₹]{0,25}$")
BARE_AMOUNT = re.compile(
    r"(?i:\b(?:total|amount(?:\s+paid)?|payment\s+(?:of|amount)|sum)\b)\s*[:=]?\s*"
    rf"(?P<n>{NUMBER})(?![\d.,])")
LINE_AMOUNT = re.compile(r"(?<![\w.,])(?P<n>\d{1,3}(?:[.,']\d{3})*[.,]\d{2})(?![\d.,])")
INVOICE_WORDS = (r"(?i:\b(?:invoices?|inv\.?|bills?|rechnung(?:en)?|factures?|facturas?)"
                  r"(?:\s+(?:no\.?|nos\.?|numbers?|nr\.?))?)"
                  r"\s*[:#]?\s*")
PREFIXED_INVOICE = re.compile(r"(?<![\w-])(?P<n>(?i:inv)[-#/]?\d[\dA-Za-z\-/]*)(?![\w-])")
"""An invoice number that says it is one (INV-1001), wherever it stands (a table's row)."""
LIST_SEP = r"\s*(?:,|;|&|\+|/|(?i:\band\b))\s*"
REFERENCE = re.compile(
    r"(?i:\b(?:ref(?:erence|erenz)?|trn|utr|confirmation|trace|transaction\s+id|check|cheque)\b"
    r"\.?(?:\s*(?:no\.?|number|id|#|nr\.?))?\s*[:#]?\s*)"
    r"(?P<reference>(?=[A-Za-z\-/]*\d)[A-Za-z0-9][A-Za-z0-9\-/]{3,})")
METHODS = (("wire", r"\b(?:wire|swift)\b"), ("ach", r"\b(?:ach|direct deposit)\b"),
            ("check", r"\b(?:check|cheque)\b"), ("sepa", r"\bsepa\b"),
            ("bank_transfer", r"\b(?:bank transfer|transfer)\b"))
MONTHS = {m: i for i, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
     ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
     ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for m in names}
MONTH = r"(?P<mon>(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|" \
         r"aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?))\.?"
DATES = (
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"\b(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>\d{4})\b"),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH},?\s+(?P<y>\d{{4}})\b"),
    re.compile(rf"\b{MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b"),
)
DATE_WORDS = re.compile(
    r"(?i:\b(?:paid|sent|initiated|made|executed|remitted|value|payment|transfer)"
    r"(?:\s+(?:on|date|dated))?|\bon|\bdated|\bdate)\s*:?\s*$")
FORWARDED = re.compile(r"(?im)^(?:-{2,}\s*forwarded message\s*-{2,}|begin forwarded message:)")
FORWARDED_FROM = re.compile(r"(?im)^\s*>?\s*from:\s*(?P<from>.+)$")
