"""Invoice references as payers write them in a memo, found among the invoices.

An invoice numbered ``S-1014/24`` is written ``S 1014/2024``, ``S1014/24`` or
just ``1014``; ``INV-2024-0231`` as ``INV 2024 0231``, ``INV20240231``,
``2024-231`` or ``231``; ``0068`` as ``INV 68``. Each invoice number is keyed
three ways, and a memo's words are looked up in all three:

- **strong**: the number itself, whatever its case, spaces and separators
  (``INV20240231``), or its letters with its digit groups, leading zeros and
  the century of a year dropped (``INV|24|231``); also the number without a
  prefix the config names (``number_prefixes``);
- **medium**: its digit groups alone, when it has several (``24|231``);
- **weak**: its main number alone (the last digit group that is not a year:
  ``231``, ``1014``, ``68``). A weak reference counts only for an invoice of
  the identified payer; the caller decides.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

STRONG_SEPARATORS = frozenset(("", " ", "-", "/", ".", "#", "_", "# ", ". ", " / ", " - "))
"""What may stand between the parts of one written number."""

_TOKEN = re.compile(r"[A-Z]+|\d+")
MEMO_READ = 4096
"""How much of a memo is read: a remittance names its invoices well before this, and a
longer text (a pasted e-mail, a hostile 10 MB cell) must not slow a run down."""
_MAX_PARTS = 10


class Strength(IntEnum):
    """How surely a memo's words name an invoice."""

    WEAK = 1
    MEDIUM = 2
    STRONG = 3


@dataclass(frozen=True, slots=True)
class RefHit:
    """The invoice (table position) a memo names, how surely, and the words it used."""

    row: int
    strength: Strength
    written: str


def _glued(char: str) -> bool:
    """A character that joins a number to the letters around it into one identifier."""
    return char.isalnum() or char == "_"


def _fold(text: str) -> str:
    if text.isascii():
        return text.upper()
    text = unicodedata.normalize("NFKD", text.upper())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _is_year(group: str) -> bool:
    return (len(group) == 4 and group.startswith("20")) or (
        len(group) == 2 and 15 <= int(group) <= 45)


def _norm_digits(groups: Sequence[str]) -> list[str]:
    """Digit groups compared: leading zeros dropped, a four-digit year as two digits."""
    several = len(groups) > 1
    out = []
    for g in groups:
        if several and len(g) == 4 and g.startswith("20"):
            g = g[2:]
        out.append(g.lstrip("0") or "0")
    return out


def _main(groups: Sequence[str]) -> str | None:
    """The main number: the longest digit group that is not a year nor, among three or
    more, a month (``FV/195/10/2024`` -> ``195``); the first of equals."""
    if not groups:
        return None
    candidates = list(groups)
    if len(candidates) > 1:
        candidates = [g for g in candidates if not _is_year(g)] or candidates
    if len(groups) > 2 and len(candidates) > 1:
        candidates = [g for g in candidates if not (len(g) <= 2 and 1 <= int(g) <= 12)] or (
            candidates)
    main = max(candidates, key=lambda g: len(g.lstrip("0"))).lstrip("0")
    return main if len(main) >= 2 else None


@functools.lru_cache(maxsize=64)
def _folded(prefixes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p for p in (_fold(prefix).replace(" ", "") for prefix in prefixes) if p)


_SIMPLE = re.compile(r"([A-Za-z]*)[-#/ ]?(\d+)")


def _prefixless(compact: str, prefixes: Sequence[str]) -> set[str]:
    out = set()
    compact = compact.replace(" ", "")
    for p in _folded(tuple(prefixes)):
        if compact.startswith(p) and len(compact) > len(p):
            rest = _TOKEN.findall(compact[len(p):])
            if rest:
                out.add("".join(rest).lstrip("0") or "0")
    return out


def number_keys(number: str, prefixes: Sequence[str] = ()) -> tuple[set[str], str | None,
                                                                      str | None]:
    """(strong keys, medium key, weak key) of an invoice number."""
    simple = _SIMPLE.fullmatch(number)
    if simple is not None:  # the common shape, letters and one number: INV-0001042
        letters, digits_only = simple.group(1).upper(), simple.group(2)
        short = digits_only.lstrip("0") or "0"
        keys = {letters + digits_only, letters + "|" + short}
        if letters and any(p.startswith(letters) for p in _folded(tuple(prefixes))):
            keys.update(_prefixless(number.upper(), prefixes))
        return keys, None, (short if len(short) >= 2 else None)
    text = _fold(number)
    tokens = _TOKEN.findall(text)
    digits = [t for t in tokens if t[0].isdigit()]
    strong = {"".join(tokens)} if tokens else set()
    norm = _norm_digits(digits) if digits else []
    if digits:
        letters = tokens[0] if not tokens[0][0].isdigit() else ""
        strong.add(letters + "|" + "|".join(norm))
    strong |= _prefixless(text, prefixes)
    medium = "|".join(norm) if len(digits) >= 2 else None
    return strong, medium, _main(digits)


class RefIndex:
    """Every invoice (table position) by its strong, medium and weak keys."""

    def __init__(self, numbers: Iterable[tuple[int, str | None]],
                 prefixes: Sequence[str] = ()) -> None:
        self._keys: dict[Strength, dict[str, list[int]]] = {
            s: defaultdict(list) for s in Strength}
        seen: dict[str, tuple[set[str], str | None, str | None]] = {}
        for row, number in numbers:
            if not number:
                continue
            keys = seen.get(number)
            if keys is None:  # the same sale in two systems has the same number
                keys = seen[number] = number_keys(number, prefixes)
                if len(seen) > 4096:
                    seen.clear()
            strong, medium, weak = keys
            for key in strong:
                self._keys[Strength.STRONG][key].append(row)
            if medium:
                self._keys[Strength.MEDIUM][medium].append(row)
            if weak:
                self._keys[Strength.WEAK][weak].append(row)

    def find(self, memo: str | None) -> list[RefHit]:
        """The invoices the memo names, the surest reading of each first, in memo order."""
        if not memo:
            return []
        text = _fold(memo[:MEMO_READ])
        spans = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        best: dict[int, RefHit] = {}
        order: dict[int, int] = {}
        keys = self._keys
        strong, medium, weak = (keys[Strength.STRONG], keys[Strength.MEDIUM],
                                keys[Strength.WEAK])
        for i, (first, start, _) in enumerate(spans):
            if start and _glued(text[start - 1]):
                continue  # inside an identifier (``PY_00000123``, ``LKS240916``)
            parts = [first]
            for j in range(i, min(len(spans), i + _MAX_PARTS)):
                if j > i:
                    if text[spans[j - 1][2]:spans[j][1]] not in STRONG_SEPARATORS:
                        break
                    parts.append(spans[j][0])
                digits = [p for p in parts if p.isdigit()]
                end = spans[j][2]
                if not digits or not parts[-1].isdigit() or (
                        end < len(text) and _glued(text[end])):
                    continue
                written = text[spans[i][1]:spans[j][2]]
                found: list[tuple[Strength, list[int]]] = [
                    (Strength.STRONG, strong.get("".join(parts), []))]
                if not parts[0].isdigit() and all(p.isdigit() for p in parts[1:]):
                    found.append((Strength.STRONG, strong.get(
                        parts[0] + "|" + "|".join(_norm_digits(digits)), [])))
                if all(p.isdigit() for p in parts):
                    if len(parts) == 1:
                        found.append((Strength.STRONG,
                                      strong.get(parts[0].lstrip("0") or "0", [])))
                        key = parts[0].lstrip("0")
                        if len(key) >= 2:
                            found.append((Strength.WEAK, weak.get(key, [])))
                    else:
                        found.append((Strength.MEDIUM, medium.get(
                            "|".join(_norm_digits(parts)), [])))
                for strength, rows in found:
                    for row in rows:
                        hit = best.get(row)
                        if hit is None or strength > hit.strength:
                            best[row] = RefHit(row, strength, written.strip())
                            order.setdefault(row, spans[i][1])
        return sorted(best.values(), key=lambda h: (order[h.row], -h.strength))
