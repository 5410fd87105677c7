"""Who paid: the customers a receipt's payer name, e-mail address or memo points to.

Each customer is known by its name, its aliases (a parent company that pays
centrally, the owner of a small business, names a coordinator confirmed) and
its e-mail addresses; invoices add the customer names they carry. A payer is
identified by :func:`hub.reconcile.cash.names.name_fit` on those names, by an
address written in the payer or memo text, or by a customer's name written in
the memo (a private person paying "for Thistle and Tern"). Failing all of
those, by the closest name (rapidfuzz), which the caller trusts less.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from hub.contract.rows import CustomerRow
from hub.reconcile.cash.names import BANK_PREFIXES, mentions, name_fit, name_words, printed_words
from hub.reconcile.cash.refs import MEMO_READ
from hub.reconcile.text import name_key

_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")


def emails_in(text: str | None) -> list[str]:
    """The e-mail addresses written in ``text``, word by word (no scan of a long text
    that holds no ``@``)."""
    if not text or "@" not in text:
        return []
    out = []
    for word in text.split():
        if "@" in word and len(word) <= 320:
            found = _EMAIL.search(word.strip("<>()[],;:'\""))
            if found:
                out.append(found.group())
    return out


@dataclass(frozen=True, slots=True)
class Payer:
    """The customers (their keys, as :class:`hub.reconcile.matching.ByCustomer` groups
    invoices) a receipt comes from, how they were found, and how surely (0-100)."""

    keys: frozenset[str]
    how: str = ""
    score: float = 100.0

    @property
    def known(self) -> bool:
        return bool(self.keys)


NOBODY = Payer(frozenset())


@dataclass
class _Known:
    keys: set[str]
    label: str


@dataclass
class PayerIndex:
    """Every customer spelling, indexed by its words, with the customer keys it means."""

    prefixes: tuple[tuple[str, ...], ...] = BANK_PREFIXES
    fuzzy_threshold: int = 85
    _spellings: list[tuple[frozenset[str], int]] = field(default_factory=list)
    _known: list[_Known] = field(default_factory=list)
    _by_word: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _emails: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    _label_of: dict[str, int] = field(default_factory=dict)
    _cache: dict[tuple[str, str], Payer] = field(default_factory=dict)

    @classmethod
    def build(cls, customers: Sequence[CustomerRow],
              invoice_customers: Iterable[tuple[str | None, str | None]],
              extra_prefixes: Sequence[str] = (), fuzzy_threshold: int = 85) -> PayerIndex:
        """From the customers and the (customer name, customer ref) pairs of the invoices."""
        prefixes = BANK_PREFIXES + tuple(tuple(p.casefold().split()) for p in extra_prefixes)
        index = cls(prefixes, fuzzy_threshold)
        for c in customers:
            keys = {f"r:{c.external_id}"}
            if name_key(c.name):
                keys.add(f"n:{name_key(c.name)}")
            known = index._add(keys, c.name, c.name)
            for alias in c.aliases:
                index._add(keys, alias, f"{c.name} (alias {alias!r})")
            for email in c.emails:
                index._emails[email.casefold()].add(known)
        for name, ref in invoice_customers:
            keys = set()
            if ref:
                keys.add(f"r:{ref}")
            if name and name_key(name):
                keys.add(f"n:{name_key(name)}")
            if name and keys:
                index._add(keys, name, name)
        return index

    def _add(self, keys: set[str], name: str, label: str) -> int:
        at = self._label_of.get(label)
        if at is not None:
            self._known[at].keys |= keys
            return at
        at = len(self._known)
        self._known.append(_Known(set(keys), label))
        self._label_of[label] = at
        for spelling in name_words(name, ()):
            slot = len(self._spellings)
            self._spellings.append((spelling, at))
            for word in spelling:
                self._by_word[word].append(slot)
        return at

    def identify(self, payer: str | None, memo: str | None) -> Payer:
        """The customers ``payer`` (a name as printed) or the memo point to."""
        memo = (memo or "")[:MEMO_READ]
        cache_key = (payer or "", memo)
        found = self._cache.get(cache_key)
        if found is None:
            found = self._identify(payer, memo)
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[cache_key] = found
        return found

    def _identify(self, payer: str | None, memo: str | None) -> Payer:
        for text in (payer, memo):
            for email in emails_in(text):
                hits = self._emails.get(email.casefold())
                if hits:
                    return self._payer(hits, f"the e-mail address {email}")
        by_name = self._by_name(payer)
        if by_name.known:
            return by_name
        in_memo = self._in_memo(memo)
        if in_memo.known:
            return in_memo
        return self._closest(payer)

    def _payer(self, known: Iterable[int], how: str, score: float = 100.0) -> Payer:
        keys: set[str] = set()
        for at in known:
            keys |= self._known[at].keys
        return Payer(frozenset(keys), how, score)

    def _by_name(self, payer: str | None) -> Payer:
        hits: dict[int, None] = {}
        for printed in printed_words(payer, self.prefixes):
            postings = [self._by_word[w] for w in printed if w in self._by_word]
            if not postings:
                continue
            slots = min(postings, key=len)  # the rarest word's spellings: few to compare
            for slot in slots:
                spelling, at = self._spellings[slot]
                if name_fit(printed, (spelling,)):
                    hits[at] = None
        if not hits:
            return NOBODY
        labels = [self._known[at].label for at in hits]
        return self._payer(hits, "the payer's name matches "
                           + " and ".join(repr(label) for label in labels[:3]))

    def _in_memo(self, memo: str | None) -> Payer:
        if not memo:
            return NOBODY
        words: set[str] = set()
        for spelling in name_words(memo, ()):
            words |= spelling
        slots = {s for word in words for s in self._by_word.get(word, ())}
        hits = {at: None for slot in sorted(slots)
                for spelling, at in (self._spellings[slot],) if mentions(memo, spelling)}
        if not hits:
            return NOBODY
        labels = [self._known[at].label for at in hits]
        return self._payer(hits, "the memo names " + " and ".join(
            repr(label) for label in labels[:3]))

    def _closest(self, payer: str | None) -> Payer:
        printed = printed_words(payer, self.prefixes)
        if not printed or not self._spellings:
            return NOBODY
        query = " ".join(sorted(printed[0]))
        choices = [" ".join(sorted(spelling)) for spelling, _ in self._spellings]
        best = process.extractOne(query, choices, scorer=fuzz.ratio,
                                  score_cutoff=self.fuzzy_threshold)
        if best is None:
            return NOBODY
        at = self._spellings[best[2]][1]
        return self._payer([at], f"the payer {payer!r} looks like the customer "
                           f"{self._known[at].label!r} ({best[1]:.0f}%)", float(best[1]))
