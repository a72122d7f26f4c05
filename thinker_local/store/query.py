"""Trace search: a subset of Datadog's span query syntax, compiled to parameterised SQL.

A query is a list of terms, all of which one span must match (AND by juxtaposition)::

    service:orders @customer.tier:gold status:error
    resource_name:"GET /orders" -@http.status_code:2* @duration:>500ms
    operation_name:aws.lambda @duration:[100ms TO 2s] env:dev

- ``service:``, ``resource_name:`` (or ``resource:``), ``operation_name:``, ``env:``: the span's
  own fields; ``status:error`` or ``status:ok``;
- ``@key:value``: the span's tag ``key`` (``*`` matches any run of characters);
- ``@duration:>500ms`` (``<``, ``>=``, ``<=``) or ``@duration:[100ms TO 2s]`` (both ends
  included); units ``ns``, ``us``, ``ms``, ``s``, ``m``, ``h`` (nanoseconds without a unit);
- ``-`` (or ``NOT``) before a term negates it; ``AND`` between terms may be written or left out;
- a value may be quoted: ``"GET /orders"``; inside quotes ``*`` is a plain character, and ``\\"``
  a quote; outside quotes ``\\`` makes the next character plain (``\\*``, ``\\ ``).

A malformed query raises :class:`QueryError` with a message and the character position.
Values never reach the SQL text: :meth:`Query.where` binds them as parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LENGTH = 2000
MAX_TERMS = 64

# Reserved attributes: a span's own columns (``env`` is the tag ddtrace sets on every span).
_COLUMNS = {
    "service": "service",
    "resource_name": "resource",
    "resource": "resource",
    "operation_name": "name",
}
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)?")
_UNITS = {None: 1, "ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9}
_COMPARISONS = (">=", "<=", ">", "<")
# Characters that end an unquoted value or a key.
_SPACE = " \t\r\n\f\v"
_GLOB_SPECIAL = re.compile(r"([*?\[\]])")


class QueryError(ValueError):
    """A query that cannot be read: what is wrong, and where (0-based character position)."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position})")
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Pattern:
    """A value to match: ``parts`` alternate literal text and wildcards (``None``)."""

    parts: tuple[str | None, ...]

    @property
    def exact(self) -> str | None:
        """The value itself when it holds no wildcard."""
        if any(part is None for part in self.parts):
            return None
        return "".join(part for part in self.parts if part is not None)

    def glob(self) -> str:
        """The pattern for SQLite's GLOB, literal characters escaped."""
        return "".join(
            "*" if part is None else _GLOB_SPECIAL.sub(r"[\1]", part) for part in self.parts
        )


@dataclass(frozen=True)
class Term:
    """One condition on a span: an attribute or tag matching a pattern, or a duration bound."""

    negated: bool
    field: str  # a column name, "status", "tag" or "duration"
    key: str = ""  # the tag's name, for field "tag"
    pattern: Pattern | None = None
    error: bool | None = None  # for field "status"
    low: tuple[int, bool] | None = None  # (ns, inclusive), for field "duration"
    high: tuple[int, bool] | None = None

    def sql(self, table: str) -> tuple[str, list[object]]:
        """This term as a SQL condition on ``table`` (a spans alias), with its parameters."""
        clause, params = self._positive(table)
        return (f"NOT ({clause})", params) if self.negated else (clause, params)

    def _positive(self, table: str) -> tuple[str, list[object]]:
        if self.field == "status":
            return f"{table}.error = ?", [1 if self.error else 0]
        if self.field == "duration":
            bounds: list[str] = []
            params: list[object] = []
            for bound, strict, loose in ((self.low, ">", ">="), (self.high, "<", "<=")):
                if bound is not None:
                    bounds.append(f"{table}.duration {loose if bound[1] else strict} ?")
                    params.append(bound[0])
            return " AND ".join(bounds), params
        assert self.pattern is not None
        if self.field == "tag":
            matched, param = _match("tag.value", self.pattern)
            return (
                "EXISTS (SELECT 1 FROM span_tags tag WHERE tag.key = ? AND "  # noqa: S608 (compiled clauses; values are bound)
                f"{matched} AND tag.trace_id = {table}.trace_id AND tag.span_id = {table}.span_id)",
                [self.key, param],
            )
        matched, param = _match(f"{table}.{self.field}", self.pattern)
        return matched, [param]

    @property
    def indexed_tag(self) -> bool:
        """Whether the spans this term matches can be read from span_tags' index."""
        if self.negated or self.field != "tag" or self.pattern is None:
            return False
        return self.pattern.parts[0] is not None


@dataclass(frozen=True)
class Query:
    """A parsed query: the terms one span must all match."""

    text: str
    terms: tuple[Term, ...]

    def where(self, table: str) -> tuple[str, list[object]]:
        """A SQL condition on ``table`` (an alias of ``spans``) and its parameters.

        An empty query matches every span.
        """
        if not self.terms:
            return "1", []
        clauses, params = [], []
        for term in self.terms:
            clause, bound = term.sql(table)
            clauses.append(f"({clause})")
            params += bound
        return " AND ".join(clauses), params

    @property
    def duration_floor(self) -> int | None:
        """The largest lower bound (ns) that a ``@duration`` term (not negated) sets, if any."""
        floors = [
            term.low[0]
            for term in self.terms
            if term.field == "duration" and not term.negated and term.low is not None
        ]
        return max(floors, default=None)

    def traces_clause(
        self, trace_id: str, *, few_long_spans: bool = False
    ) -> tuple[str, list[object]]:
        """A SQL condition that the trace whose id is the column ``trace_id`` holds a matching
        span, and its parameters.

        A tag term (not negated, not starting with ``*``) drives the search from span_tags'
        index, so a rare tag costs the spans carrying it, not a scan of the store. So does the
        duration index when the caller found ``few_long_spans`` past :attr:`duration_floor`.
        Otherwise each trace is tried in the listing's order (newest first) until enough
        match, by its own spans: the primary key's index, never another whose column a term
        names.
        """
        where, params = self.where("q")
        driver = next((term for term in self.terms if term.indexed_tag), None)
        if driver is None and few_long_spans and self.duration_floor is not None:
            return (
                f"{trace_id} IN (SELECT q.trace_id FROM spans q INDEXED BY spans_by_duration"  # noqa: S608 (compiled clauses; values are bound)
                f" WHERE {where})",
                params,
            )
        if driver is None:
            return (
                "EXISTS (SELECT 1 FROM spans q INDEXED BY sqlite_autoindex_spans_1"  # noqa: S608 (compiled clauses; values are bound)
                f" WHERE q.trace_id = {trace_id} AND {where})",
                params,
            )
        assert driver.pattern is not None
        matched, param = _match("d.value", driver.pattern)
        return (
            f"{trace_id} IN (SELECT q.trace_id FROM span_tags d JOIN spans q"  # noqa: S608 (compiled clauses; values are bound)
            " ON q.trace_id = d.trace_id AND q.span_id = d.span_id"
            f" WHERE d.key = ? AND {matched} AND {where})",
            [driver.key, param, *params],
        )


def _match(expression: str, pattern: Pattern) -> tuple[str, str]:
    exact = pattern.exact
    if exact is not None:
        return f"{expression} = ?", exact
    return f"{expression} GLOB ?", pattern.glob()


def parse(text: str) -> Query:
    """Read a query; raises :class:`QueryError` if it is malformed."""
    if len(text) > MAX_LENGTH:
        raise QueryError(f"a query is at most {MAX_LENGTH} characters", MAX_LENGTH)
    return Query(text, tuple(_Parser(text).terms()))


class _Parser:
    """A scanner over the query text, one term at a time."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def terms(self) -> list[Term]:
        terms: list[Term] = []
        while self._skip_space():
            start = self.at
            negated = False
            word = self._word()
            if word == "AND":
                self.at += 3
                continue
            if word == "OR":
                raise QueryError("OR is not supported: terms are joined by AND", start)
            if word == "NOT":
                self.at += 3
                if not self._skip_space():
                    raise QueryError("NOT must be followed by a term", start)
                negated = True
            elif self._peek() == "-":
                self.at += 1
                negated = True
            if len(terms) == MAX_TERMS:
                raise QueryError(f"a query has at most {MAX_TERMS} terms", start)
            terms.append(self._term(negated))
        return terms

    # -- characters --------------------------------------------------------------------

    def _peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def _skip_space(self) -> bool:
        """Past any whitespace; whether anything is left."""
        while self._peek() and self._peek() in _SPACE:
            self.at += 1
        return self.at < len(self.text)

    def _word(self) -> str:
        """The run of characters up to the next space (not consumed), for keywords."""
        end = self.at
        while end < len(self.text) and self.text[end] not in _SPACE:
            end += 1
        return self.text[self.at : end]

    # -- terms -------------------------------------------------------------------------

    def _term(self, negated: bool) -> Term:
        start = self.at
        char = self._peek()
        if char in ("(", ")"):
            raise QueryError("parentheses are not supported", start)
        if char == "" or char in _SPACE:
            raise QueryError("a term is expected after '-'", start)
        is_tag = char == "@"
        if is_tag:
            self.at += 1
        match = _KEY.match(self.text, self.at)
        if not match:
            raise QueryError(
                "a term looks like key:value (e.g. service:orders or @http.status_code:500)",
                self.at,
            )
        key = match.group()
        self.at = match.end()
        if self._peek() != ":":
            raise QueryError(
                f"expected ':' after {'@' if is_tag else ''}{key}"
                " (a term looks like key:value; free text is not supported)",
                self.at,
            )
        self.at += 1
        if is_tag and key == "duration":
            low, high = self._duration_bounds()
            return Term(negated, "duration", low=low, high=high)
        if is_tag:
            return Term(negated, "tag", key=key, pattern=self._value(key))
        if key == "status":
            return Term(negated, "status", error=self._status())
        if key == "env":
            return Term(negated, "tag", key="env", pattern=self._value(key))
        if key in _COLUMNS:
            return Term(negated, _COLUMNS[key], pattern=self._value(key))
        raise QueryError(
            f"unknown attribute {key!r}: use service, resource_name, operation_name, env, status,"
            f" or @{key} for a tag",
            start,
        )

    def _status(self) -> bool:
        start = self.at
        pattern = self._value("status")
        value = (pattern.exact or "").lower()
        if value not in ("error", "ok"):
            raise QueryError("status is error or ok", start)
        return value == "error"

    def _value(self, key: str) -> Pattern:
        start = self.at
        if self._peek() == '"':
            return self._quoted()
        parts: list[str | None] = []
        literal: list[str] = []
        while self._peek() and self._peek() not in _SPACE:
            char = self._peek()
            if char == "\\":
                if self.at + 1 >= len(self.text):
                    raise QueryError("'\\' at the end of the query escapes nothing", self.at)
                literal.append(self.text[self.at + 1])
                self.at += 2
                continue
            if char in ('"', "(", ")"):
                raise QueryError(f"unexpected {char!r} in the value of {key}", self.at)
            self.at += 1
            if char == "*":
                if literal:
                    parts.append("".join(literal))
                    literal = []
                if not parts or parts[-1] is not None:
                    parts.append(None)
            else:
                literal.append(char)
        if literal:
            parts.append("".join(literal))
        if not parts:
            raise QueryError(f"{key} needs a value", start)
        return Pattern(tuple(parts))

    def _quoted(self) -> Pattern:
        start = self.at
        self.at += 1
        chars: list[str] = []
        while True:
            char = self._peek()
            if char == "":
                raise QueryError("unterminated quoted value", start)
            self.at += 1
            if char == '"':
                break
            if char == "\\" and self._peek():
                char = self._peek()
                self.at += 1
            chars.append(char)
        if self._peek() and self._peek() not in _SPACE:
            raise QueryError("a space is expected after a quoted value", self.at)
        return Pattern(("".join(chars),))

    # -- durations ---------------------------------------------------------------------

    def _duration_bounds(self) -> tuple[tuple[int, bool] | None, tuple[int, bool] | None]:
        start = self.at
        if self._peek() == "[":
            self.at += 1
            self._skip_inline_space()
            low = self._duration()
            self._skip_inline_space()
            if not self.text.startswith("TO", self.at):
                raise QueryError("expected TO in a duration range ([100ms TO 2s])", self.at)
            self.at += 2
            self._skip_inline_space()
            high = self._duration()
            self._skip_inline_space()
            if self._peek() != "]":
                raise QueryError("expected ']' to close the duration range", self.at)
            self.at += 1
            self._end_of_term()
            if low > high:
                raise QueryError("a duration range goes from the smaller to the larger", start)
            return (low, True), (high, True)
        for operator in _COMPARISONS:
            if self.text.startswith(operator, self.at):
                self.at += len(operator)
                value = self._duration()
                self._end_of_term()
                bound = (value, operator.endswith("="))
                return (bound, None) if operator[0] == ">" else (None, bound)
        raise QueryError(
            "@duration takes a comparison (>500ms, <=2s) or a range ([100ms TO 2s])", start
        )

    def _skip_inline_space(self) -> None:
        while self._peek() == " ":
            self.at += 1

    def _end_of_term(self) -> None:
        if self._peek() and self._peek() not in _SPACE:
            raise QueryError("a space is expected after a duration", self.at)

    def _duration(self) -> int:
        match = _DURATION.match(self.text, self.at)
        if not match:
            raise QueryError("expected a duration such as 500ms, 2s or 150us", self.at)
        self.at = match.end()
        nanoseconds = float(match.group(1)) * _UNITS[match.group(2)]
        # SQLite integers are 64-bit: a bound past that is as good as no bound.
        return int(min(nanoseconds, 2**62))
