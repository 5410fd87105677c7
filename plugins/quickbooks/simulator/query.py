"""The QuickBooks query language: parsed, then run over a list of objects.

    SELECT * | COUNT(*) | field, ... FROM Entity
      [WHERE prop op value [AND prop op value ...]]
      [ORDERBY prop [ASC|DESC] [, ...]] [STARTPOSITION n] [MAXRESULTS m]

Operators ``= < > <= >= IN LIKE`` (``LIKE`` knows only ``%``), no ``OR``, no
joins; strings in single quotes with backslash escapes (``'Amy\\'s'``);
keywords and entity names in any case; ``ORDER BY`` is accepted as well as
``ORDERBY`` (python-quickbooks' ``all()`` writes it so), and ``SELECT *, Sku``
as python-quickbooks sends it for items. Dotted properties reach into objects
(``MetaData.LastUpdatedTime``); a reference (``CustomerRef``) compares its
``value``. Times are compared as instants, ids as numbers. ``MAXRESULTS``
above 1000 gives 1000; ``STARTPOSITION`` counts from 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from plugins.quickbooks.simulator.clock import parse_time
from plugins.quickbooks.simulator.errors import query_parser

MAX_RESULTS = 1000
DEFAULT_RESULTS = 100
OPERATORS = ("<=", ">=", "=", "<", ">")

Literal = str | Decimal | bool


@dataclass(frozen=True)
class Condition:
    prop: str
    op: str  # = < > <= >= IN LIKE
    values: tuple[Literal, ...]


@dataclass
class Query:
    entity: str
    count: bool = False
    fields: tuple[str, ...] = ()
    """Selected properties; empty for ``*``."""
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)
    """(property, descending)."""
    start: int = 1
    max_results: int = DEFAULT_RESULTS


_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op><=|>=|!=|<>|=|<|>)
    | (?P<punct>[(),*])
    | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""", re.VERBOSE | re.DOTALL)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokens(statement: str) -> list[_Token]:
    out: list[_Token] = []
    index = 0
    text = statement.rstrip().rstrip(";")
    while index < len(text):
        if text[index:].strip() == "":
            break
        match = _TOKEN.match(text, index)
        if match is None or match.lastgroup is None:
            start = len(text) - len(text[index:].lstrip())
            raise query_parser(f"Encountered \"{text[start:start + 10]}\" at line 1, column "
                               f"{start + 1}. Was expecting one of the query's keywords, a "
                               "property, an operator or a value.")
        out.append(_Token(match.lastgroup, match.group(match.lastgroup), match.start(
            match.lastgroup) + 1))
        index = match.end()
    return out


class _Parser:
    def __init__(self, statement: str, resolve_entity: Callable[[str], str]) -> None:
        self.tokens = _tokens(statement)
        self.index = 0
        self.resolve_entity = resolve_entity

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def next(self, expecting: str) -> _Token:
        token = self.peek()
        if token is None:
            raise query_parser(f"Encountered \"<EOF>\" at the end of the query. Was expecting "
                               f"{expecting}.")
        self.index += 1
        return token

    def fail(self, token: _Token, expecting: str) -> Exception:
        return query_parser(f"Encountered \"{token.text}\" at line 1, column {token.position}. "
                            f"Was expecting {expecting}.")

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text.upper() == word:
            self.index += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        token = self.next(word)
        if token.kind != "word" or token.text.upper() != word:
            raise self.fail(token, word)

    def expect_punct(self, char: str) -> None:
        token = self.next(f'"{char}"')
        if token.text != char:
            raise self.fail(token, f'"{char}"')

    def parse(self) -> Query:
        self.expect_keyword("SELECT")
        count, fields = self.selection()
        self.expect_keyword("FROM")
        name = self.next("an entity name")
        if name.kind != "word":
            raise self.fail(name, "an entity name")
        query = Query(entity=self.resolve_entity(name.text), count=count, fields=fields)
        if self.keyword("WHERE"):
            query.where.append(self.condition())
            while self.keyword("AND"):
                query.where.append(self.condition())
            if (word := self.peek()) is not None and word.text.upper() == "OR":
                raise self.fail(word, "AND, ORDERBY, STARTPOSITION, MAXRESULTS or the end "
                                "(OR is not supported)")
        if self.keyword("ORDERBY") or (self.keyword("ORDER") and self.by()):
            query.order.append(self.order_item())
            while (comma := self.peek()) is not None and comma.text == ",":
                self.index += 1
                query.order.append(self.order_item())
        if self.keyword("STARTPOSITION"):
            query.start = self.integer("a start position")
            if query.start < 1:
                raise query_parser("STARTPOSITION counts from 1")
        if self.keyword("MAXRESULTS"):
            query.max_results = min(self.integer("a number of results"), MAX_RESULTS)
            if query.max_results < 1:
                raise query_parser("MAXRESULTS must be at least 1")
        rest = self.peek()
        if rest is not None:
            raise self.fail(rest, "WHERE, AND, ORDERBY, STARTPOSITION, MAXRESULTS or the end")
        return query

    def order_item(self) -> tuple[str, bool]:
        token = self.next("a property to order by")
        if token.kind != "word":
            raise self.fail(token, "a property to order by")
        if self.keyword("DESC"):
            return token.text, True
        self.keyword("ASC")
        return token.text, False

    def by(self) -> bool:
        self.expect_keyword("BY")
        return True

    def selection(self) -> tuple[bool, tuple[str, ...]]:
        token = self.next("*, COUNT(*) or a property")
        if token.kind == "word" and token.text.upper() == "COUNT":
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
            return True, ()
        fields: list[str] = []
        star = False
        while True:
            if token.text == "*":
                star = True
            elif token.kind == "word" and token.text.upper() != "FROM":
                fields.append(token.text)
            else:
                raise self.fail(token, "*, COUNT(*) or a property")
            if (after := self.peek()) is not None and after.text == ",":
                self.index += 1
                token = self.next("a property")
                continue
            break
        return False, () if star else tuple(fields)

    def integer(self, what: str) -> int:
        token = self.next(what)
        if token.kind != "number" or "." in token.text:
            raise self.fail(token, what)
        return int(token.text)

    def condition(self) -> Condition:
        token = self.next("a property")
        if token.kind != "word":
            raise self.fail(token, "a property")
        prop = token.text
        op_token = self.next("an operator")
        op = op_token.text.upper()
        if op_token.kind == "op" and op in OPERATORS:
            return Condition(prop, op, (self.value(),))
        if op == "LIKE":
            value = self.value()
            if not isinstance(value, str):
                raise self.fail(op_token, "a quoted pattern after LIKE")
            return Condition(prop, op, (value,))
        if op == "IN":
            self.expect_punct("(")
            values = [self.value()]
            while (after := self.next('"," or ")"')).text == ",":
                values.append(self.value())
            if after.text != ")":
                raise self.fail(after, '"," or ")"')
            return Condition(prop, op, tuple(values))
        raise self.fail(op_token, "one of =, <, >, <=, >=, IN, LIKE")

    def value(self) -> Literal:
        token = self.next("a value")
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1], flags=re.DOTALL)
        if token.kind == "number":
            return Decimal(token.text)
        if token.kind == "word" and token.text.lower() in ("true", "false"):
            return token.text.lower() == "true"
        raise self.fail(token, "a quoted string, a number, true or false")


def parse(statement: str, resolve_entity: Callable[[str], str]) -> Query:
    """The parsed statement; ``resolve_entity`` maps a name in any case to the entity
    (or raises the fault for an unknown one). Raises ``QboFault`` 4000 when it does
    not parse."""
    if not statement or not statement.strip():
        raise query_parser("the query is empty")
    return _Parser(statement, resolve_entity).parse()


# -- running it ---------------------------------------------------------------------------


def lookup(obj: dict[str, Any], prop: str) -> Any:
    value: Any = obj
    for part in prop.split("."):
        if not isinstance(value, dict):
            return None
        key = next((k for k in value if k.lower() == part.lower()), None)
        if key is None:
            return None
        value = value[key]
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    return value


def _is_id(prop: str) -> bool:
    last = prop.split(".")[-1].lower()
    return last == "id" or last.endswith("ref")


def _comparable(prop: str, held: Any, given: Literal) -> tuple[Any, Any] | None:
    """The pair to compare, or None when they cannot be compared (no match)."""
    if held is None:
        return None
    if isinstance(held, bool) or isinstance(given, bool):
        return (held, given) if isinstance(held, bool) and isinstance(given, bool) else None
    if isinstance(held, int | Decimal):
        try:
            return Decimal(held), Decimal(str(given))
        except InvalidOperation:
            return None
    if isinstance(held, str):
        if _is_id(prop) and held.isdigit() and str(given).isdigit():
            return int(held), int(str(given))
        if "T" in held and isinstance(given, str):
            try:
                return parse_time(held), parse_time(given)
            except ValueError:
                pass
        if isinstance(given, Decimal):
            return None
        return held, given
    return None


def matches(obj: dict[str, Any], condition: Condition) -> bool:
    held = lookup(obj, condition.prop)
    if condition.op == "LIKE":
        if not isinstance(held, str):
            return False
        pattern = str(condition.values[0])
        regex = ".*".join(re.escape(part) for part in pattern.split("%"))
        return re.fullmatch(regex, held, re.IGNORECASE | re.DOTALL) is not None
    if condition.op == "IN":
        return any(_compare(condition.prop, held, "=", value) for value in condition.values)
    return _compare(condition.prop, held, condition.op, condition.values[0])


def _compare(prop: str, held: Any, op: str, given: Literal) -> bool:
    pair = _comparable(prop, held, given)
    if pair is None:
        return False
    left, right = pair
    try:
        if op == "=":
            return bool(left == right)
        if op == "<":
            return bool(left < right)
        if op == ">":
            return bool(left > right)
        if op == "<=":
            return bool(left <= right)
        return bool(left >= right)
    except TypeError:
        return False


def _sort_key(prop: str, value: Any) -> tuple[int, Any]:
    if value is None:
        return (3, "")
    if isinstance(value, bool):
        return (0, Decimal(int(value)))
    if isinstance(value, int | Decimal):
        return (0, Decimal(value))
    if isinstance(value, str):
        if _is_id(prop) and value.isdigit():
            return (0, Decimal(value))
        if "T" in value:
            try:
                moment: datetime = parse_time(value)
                return (1, moment.timestamp())
            except ValueError:
                pass
        return (2, value.lower())
    return (2, str(value))


def run(query: Query, objects: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """(the page of matching objects, how many matched in all)."""
    found = [obj for obj in objects if all(matches(obj, c) for c in query.where)]
    found.sort(key=lambda obj: _sort_key("Id", obj.get("Id")))
    for prop, descending in reversed(query.order):
        found.sort(key=lambda obj, p=prop: _sort_key(p, lookup(obj, p)),  # type: ignore[misc]
                   reverse=descending)
    page = found[query.start - 1:query.start - 1 + query.max_results]
    if query.fields:
        wanted = {f.split(".")[0].lower() for f in query.fields} | {"id"}
        page = [{**{k: v for k, v in obj.items() if k.lower() in wanted},
                 "domain": obj.get("domain", "QBO"), "sparse": True} for obj in page]
    return page, len(found)


def mentions(query: Query, prop: str) -> bool:
    return any(c.prop.lower() == prop.lower() for c in query.where)
