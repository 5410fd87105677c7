"""Payer names as banks print them, compared with customers' names as the books keep them.

A bank prints ``SEPA CT FROM WEISSMUELLER ANTRIEBSTECHNI`` for *Weißmüller
Antriebstechnik GmbH*: upper case, the umlaut spelled out, the legal form
dropped, the name cut at 27 characters, after the bank's own prefix. Another
prints the legal form first (``OY POLAR FASTENINGS``) or the surname first
(``DELGADO ROSA M`` for *Rosa M. Delgado*). :func:`name_words` brings both
sides to the same words: folded case, letters transliterated (both the German
``ue`` and the plain ``u`` spelling of ``ü``), no legal form, no bank prefix.
:func:`name_fit` then compares word sets, allowing the last printed word to
be cut short.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence

_SPELLED = str.maketrans({
    "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
    "\u0131": "i", "ŀ": "l", "&": " and ", "+": " and ",
})
"""Letters with no decomposition into a base letter and a mark."""
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
"""How German payers and banks spell umlauts without them."""

LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(
    tuple(form.split()) for form in (
        "gmbh", "gmbh co kg", "co kg", "ag", "kg", "ohg", "ug", "ev", "mbh",
        "sp z oo", "sp z o o", "spzoo", "sa", "spa", "srl", "sas", "sarl", "sasu", "eurl", "sl",
        "slu", "bv", "nv", "vof", "oy", "oyj", "ab", "publ", "as", "asa", "aps", "a s", "sro",
        "as", "kk", "wll", "llc", "lllp", "llp", "lp", "inc", "incorporated", "corp",
        "corporation", "co", "company", "ltd", "ltda", "limited", "plc", "pty", "pte", "cv",
        "sc", "scs", "snc", "sa de cv", "ab publ", "kft", "doo", "dd", "ad", "eood", "ooo",
        "zao", "pao", "tic", "san", "ve", "the",
    ))
"""Legal forms (and a few filler words) dropped wherever they stand, as words after folding."""

BANK_PREFIXES: tuple[tuple[str, ...], ...] = tuple(
    tuple(prefix.split()) for prefix in (
        "sepa ct from", "sepa ct to", "sepa credit transfer from", "sepa ueberweisung von",
        "sepa dd", "sepa lastschrift", "gutschrift von", "ueberweisung von", "wire in",
        "wire out", "wire from", "wire to", "incoming wire", "ach credit", "ach debit", "ach",
        "fp", "fps", "bacs", "chaps", "zelle from", "zelle to", "przelew od", "przelew do",
        "vir sepa de", "vir sepa a", "vir de", "virement de", "transferencia de",
        "transferencia a", "bg bet", "bg ins", "bankgiro", "giro from", "payment from",
        "received from", "recibo", "bonifico da", "overboeking van", "tilisiirto",
        "mr", "mrs", "ms", "miss", "dr", "herr", "frau", "mme", "mlle", "pan", "pani", "sr",
        "sra", "sig", "sig ra", "dhr", "mevr",
    ))
"""Words banks print before the counterparty's name; a config adds its bank's own."""

CUT_AT = 24
"""A printed name this long may have been cut by the bank (most cut at 27 to 35)."""
_WORD = re.compile(r"[^\W_]+")
_PAREN = re.compile(r"\([^)]*\)")


def _fold(text: str, table: dict[int, str]) -> str:
    text = text.casefold().translate(_SPELLED).translate(table)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _words(text: str) -> list[str]:
    """Words of folded text; dotted abbreviations (``s.a.r.l.``, ``o.o.``) joined."""
    text = re.sub(r"(?<=\b\w)\.(?=\w\b)", "", text)  # s.a.r.l. -> sarl., o.o. -> oo.
    text = re.sub(r"(?<=\b\w\w)\.(?=\w\b)", "", text)
    return _WORD.findall(text)


@functools.lru_cache(maxsize=64)
def _by_first(forms: tuple[tuple[str, ...], ...]) -> dict[str, list[tuple[str, ...]]]:
    """Forms by their first word, the longest first."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for form in sorted(forms, key=len, reverse=True):
        out.setdefault(form[0], []).append(form)
    return out


def _drop(words: list[str], forms: tuple[tuple[str, ...], ...], *, anywhere: bool
          ) -> list[str]:
    """``words`` without the word sequences of ``forms`` (at the start only, or anywhere)."""
    first = _by_first(forms)
    out: list[str] = []
    i = 0
    while i < len(words):
        for form in first.get(words[i], ()):
            if tuple(words[i:i + len(form)]) == form:
                i += len(form)
                break
        else:
            if not anywhere:
                return out + words[i:]
            out.append(words[i])
            i += 1
    return out


@functools.lru_cache(maxsize=1 << 16)
def printed_words(name: str | None, prefixes: tuple[tuple[str, ...], ...] = BANK_PREFIXES
                  ) -> tuple[tuple[str, ...], ...]:
    """The words a name is compared by, in printed order, one tuple per spelling
    (umlauts as ``ue`` and as ``u``): without a bank prefix, a parenthesised remark or
    legal forms, nor the stub of a legal form the bank cut (``... OPAKOWANIA S``).

    Empty when nothing is left (a name that is only a legal form).
    """
    if not name:
        return ()
    name = _PAREN.sub(" ", name)
    out: list[tuple[str, ...]] = []
    for table in (_GERMAN, {}):
        words = _words(_fold(name, table))
        for _ in range(2):  # "SEPA CT FROM" then, say, "FP"
            words = _drop(words, prefixes, anywhere=False)
        printed = len(" ".join(words))
        words = _drop(words, LEGAL_FORMS, anywhere=True)
        if printed >= CUT_AT and len(words) >= 2 and len(words[-1]) <= 3 and any(
                form[0].startswith(words[-1]) and form[0] != words[-1]
                for form in LEGAL_FORMS):
            words = words[:-1]
        if words and tuple(words) not in out:
            out.append(tuple(words))
    return tuple(out)


def name_words(name: str | None, prefixes: tuple[tuple[str, ...], ...] = BANK_PREFIXES
               ) -> tuple[frozenset[str], ...]:
    """:func:`printed_words` as sets: what a known name is compared as."""
    return tuple(frozenset(words) for words in printed_words(name, prefixes))


def _initials(payer: Sequence[str], words: frozenset[str]) -> list[str]:
    """``payer`` with each one-letter word that is the initial of a known word not
    otherwise printed (``G`` for Gareth) replaced by that word."""
    out = list(payer)
    for i, w in enumerate(payer):
        if len(w) == 1 and w not in words:
            spare = sorted(k for k in words - set(payer) if k.startswith(w))
            if spare:
                out[i] = spare[0]
    return out


def name_fit(payer: Sequence[str], known: Iterable[frozenset[str]], *,
             cut: bool = True) -> bool:
    """Whether the payer's printed words name a known spelling: the same words in any
    order, an initial standing for a first name; the last printed word may be the start
    of a known word (a name the bank cut short), a known name may have words the bank
    cut off after it, and the bank may print an address after the name."""
    if not payer:
        return False
    for words in known:
        if len(words) >= 2 and len(payer) > len(words) and set(payer[:len(words)]) == words:
            return True  # the name, then the payer's address
        payer = _initials(payer, words) if any(len(w) == 1 for w in payer) else payer
        head, last = payer[:-1], payer[-1]
        if not all(w in words for w in head):
            continue
        if last in words:
            if len(words) == len(payer) or (cut and len(payer) >= 2):
                return True
            continue
        if cut and len(last) >= 3 and any(w.startswith(last) for w in words - set(head)):
            return len(payer) >= 2 or len(last) >= 5
    return False


def mentions(text: str, known: frozenset[str]) -> bool:
    """Whether free ``text`` (a memo) contains every word of a known name, as words."""
    if len(known) < 2 and not any(len(w) >= 6 for w in known):
        return False  # one short word is too common to be a name in a memo
    words: set[str] = set()
    for spelling in name_words(text, ()):
        words |= spelling
    return known <= words
