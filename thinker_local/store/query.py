"""Trace search: Datadog's span query syntax, compiled to parameterised SQL.

A query is terms joined by boolean operators, evaluated on **one span**::

    service:orders @customer.tier:gold status:error
    (service:orders OR service:billing) -@http.status_code:2* timeout
    operation_name:aws.lambda @duration:[100ms TO 2s] env:dev

- ``service:``, ``resource_name:`` (or ``resource:``), ``operation_name:``, ``env:``: the span's
  own fields; ``status:error`` or ``status:ok``;
- ``@key:value``: the span's tag ``key`` (``*`` matches any run of characters);
- ``@duration:>500ms`` (``<``, ``>=``, ``<=``) or ``@duration:[100ms TO 2s]`` (both ends
  included); units ``ns``, ``us``, ``ms``, ``s``, ``m``, ``h`` (nanoseconds without a unit);
- free text: a bare word (or a quoted phrase) found, in any case, in the span's resource,
  operation name, ``error.message`` or ``error.type``;
- ``-`` (or ``NOT``) before a term or a parenthesised group negates it; terms side by side (or
  with ``AND``) must all match; ``OR`` between them, either. As in Datadog, ``AND`` binds
  tighter than ``OR``: ``a b OR c`` is ``(a AND b) OR c``; parentheses group otherwise;
- a value may be quoted: ``"GET /orders"``; inside quotes ``*`` is a plain character, and ``\\"``
  a quote; outside quotes ``\\`` makes the next character plain (``\\*``, ``\\ ``, ``\\)``).

A malformed query raises :class:`QueryError` with a message and the character position.
Values never reach the SQL text: :meth:`Query.where` binds them as parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from . import stacks, tags

MAX_LENGTH = 2000
MAX_TERMS = 64
# Groups and negations nest at most this deep: the parser recurses once per level.
MAX_DEPTH = 32

# Reserved attributes: a span's own columns (``env`` is the tag ddtrace sets on every span).
_COLUMNS = {
    "service": "service",
    "resource_name": "resource",
    "resource": "resource",
    "operation_name": "name",
}
# The tags free text reads besides the span's resource and operation name.
TEXT_TAGS = ("error.message", "error.type")
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)?")
_UNITS = {None: 1, "ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9}
_COMPARISONS = (">=", "<=", ">", "<")
# Characters that end an unquoted value or a key.
_SPACE = " \t\r\n\f\v"
_GLOB_SPECIAL = re.compile(r"([*?\[\]])")
_LIKE_SPECIAL = re.compile(r"([%_\\])")


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

    def like(self) -> str:
        """A LIKE pattern (escape ``\\``) for text containing this one anywhere."""
        inner = "".join(
            "%" if part is None else _LIKE_SPECIAL.sub(r"\\\1", part) for part in self.parts
        )
        return f"%{inner}%"


@dataclass(frozen=True)
class Term:
    """One condition on a span: an attribute or tag matching a pattern, or a duration bound."""

    field: str  # a column name, "status", "tag" or "duration"
    key: str = ""  # the tag's name, for field "tag"
    pattern: Pattern | None = None
    error: bool | None = None  # for field "status"
    low: tuple[int, bool] | None = None  # (ns, inclusive), for field "duration"
    high: tuple[int, bool] | None = None

    def sql(self, table: str) -> tuple[str, list[object]]:
        """This term as a SQL condition on ``table`` (a spans alias), with its parameters."""
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
            # A span without the tag is 0, not NULL: "-@key:value" matches it.
            meta = stacks.meta_of(table) if self.key == stacks.KEY else f"{table}.meta"
            matched, param = _match(f"json_extract({meta}, ?)", self.pattern)
            return f"IFNULL({matched}, 0)", [json_path(self.key), param]
        matched, param = _match(f"{table}.{self.field}", self.pattern)
        return matched, [param]

    @property
    def indexed_tag(self) -> bool:
        """Whether the spans this term matches can be read from the tag index."""
        if self.field != "tag" or self.pattern is None:
            return False
        return self.pattern.parts[0] is not None and tags.indexed(self.key)

    def tagged(self) -> tuple[str, list[object]]:
        """A query of the ids of the spans the tag index says may match this term."""
        assert self.pattern is not None
        matched, param = _match("v.value", self.pattern)
        return (
            f"SELECT {tags.SPAN_ID_SQL} FROM tag_values v"  # noqa: S608 (compiled clauses; values are bound)
            " JOIN tag_postings p ON p.tag = v.id, json_each(p.spans) o"
            f" WHERE v.key = ? AND {matched}",
            [self.key, param],
        )


@dataclass(frozen=True)
class Text:
    """Free text: found, in any (ASCII) case, in the span's resource, operation name, error
    message or error type; ``*`` stands for any characters."""

    pattern: Pattern

    def sql(self, table: str) -> tuple[str, list[object]]:
        """This term as a SQL condition on ``table``, with its parameters."""
        like = self.pattern.like()
        tagged = " OR ".join(
            f"IFNULL(json_extract({table}.meta, ?) LIKE ? ESCAPE '\\', 0)" for _ in TEXT_TAGS
        )
        return (
            f"{table}.resource LIKE ? ESCAPE '\\' OR {table}.name LIKE ? ESCAPE '\\' OR {tagged}",
            [like, like, *(bound for key in TEXT_TAGS for bound in (json_path(key), like))],
        )


@dataclass(frozen=True)
class Not:
    """A span that does not match ``operand`` (one without a tag matches ``-@tag:value``)."""

    operand: Node

    def sql(self, table: str) -> tuple[str, list[object]]:
        clause, params = self.operand.sql(table)
        return f"NOT ({clause})", params


@dataclass(frozen=True)
class And:
    """A span matching every operand."""

    operands: tuple[Node, ...]

    def sql(self, table: str) -> tuple[str, list[object]]:
        return _joined(" AND ", self.operands, table)


@dataclass(frozen=True)
class Or:
    """A span matching any operand."""

    operands: tuple[Node, ...]

    def sql(self, table: str) -> tuple[str, list[object]]:
        return _joined(" OR ", self.operands, table)


Node = Term | Text | Not | And | Or


def _joined(operator: str, operands: tuple[Node, ...], table: str) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    for operand in operands:
        clause, bound = operand.sql(table)
        clauses.append(f"({clause})")
        params += bound
    return operator.join(clauses), params


@dataclass(frozen=True)
class Query:
    """A parsed query: ``root`` the expression a span must match (``None``: every span), and
    ``terms`` its terms in the order written."""

    text: str
    root: Node | None
    terms: tuple[Term | Text, ...]

    def where(self, table: str) -> tuple[str, list[object]]:
        """A SQL condition on ``table`` (an alias of ``spans``) and its parameters.

        An empty query matches every span.
        """
        if self.root is None:
            return "1", []
        # Parenthesised: callers join it to their own conditions with AND.
        clause, params = self.root.sql(table)
        return f"({clause})", params

    @property
    def required(self) -> tuple[Term, ...]:
        """The terms every matching span matches: those ANDed at the top of the query."""
        operands = self.root.operands if isinstance(self.root, And) else (self.root,)
        return tuple(operand for operand in operands if isinstance(operand, Term))

    @property
    def duration_floor(self) -> int | None:
        """The largest lower bound (ns) that a required ``@duration`` term sets, if any."""
        floors = [
            term.low[0]
            for term in self.required
            if term.field == "duration" and term.low is not None
        ]
        return max(floors, default=None)

    def traces_clause(
        self,
        trace_id: str,
        *,
        tagged: Callable[[Term], int] | None = None,
        few: int = 0,
        few_long_spans: bool = False,
    ) -> tuple[str, list[object]]:
        """A SQL condition that the trace whose id is the column ``trace_id`` holds a matching
        span, and its parameters.

        Tag terms (not starting with ``*``) that every matching span matches one of (a tag
        term ANDed with the rest, or one in each branch of an OR) may drive the search from
        the tag index, so a rare tag costs the spans carrying it, not a scan of the store:
        ``tagged(term)`` counts the spans the index holds for a term (up to ``few``), and the
        terms with the fewest are used if they are fewer than ``few`` (always, without
        ``tagged``). The duration index is used likewise when the caller found
        ``few_long_spans`` past :attr:`duration_floor`. Otherwise each trace is tried in the
        listing's order (newest first) until enough match, by its own spans: the key's index,
        never another whose column a term names; a common tag matches soon that way.
        """
        where, params = self.where("q")
        best = _drivers(self.root, tagged or (lambda term: 0)) if self.root is not None else None
        if best is not None and (tagged is None or best[1] < few):
            selects: list[str] = []
            bound: list[object] = []
            for driver in best[0]:
                select, values = driver.tagged()
                selects.append(select)
                bound += values
            return (
                f"{trace_id} IN (SELECT q.trace_id FROM spans q"  # noqa: S608 (compiled clauses; values are bound)
                f" WHERE q.id IN ({' UNION '.join(selects)}) AND {where})",
                [*bound, *params],
            )
        if few_long_spans and self.duration_floor is not None:
            return (
                f"{trace_id} IN (SELECT q.trace_id FROM spans q INDEXED BY spans_by_duration"  # noqa: S608 (compiled clauses; values are bound)
                f" WHERE {where})",
                params,
            )
        return (
            "EXISTS (SELECT 1 FROM spans q INDEXED BY sqlite_autoindex_spans_1"  # noqa: S608 (compiled clauses; values are bound)
            f" WHERE q.trace_id = {trace_id} AND {where})",
            params,
        )


def _drivers(node: Node, count: Callable[[Term], int]) -> tuple[tuple[Term, ...], int] | None:
    """Tag terms read from the tag index, one of which every span matching ``node`` matches,
    and how many spans the index holds for them (by ``count``); of several such, the fewest.
    ``None`` if there are none such."""
    if isinstance(node, Term):
        return ((node,), count(node)) if node.indexed_tag else None
    if isinstance(node, And):
        found = [option for option in (_drivers(o, count) for o in node.operands) if option]
        return min(found, key=lambda option: option[1], default=None)
    if isinstance(node, Or):
        branches = [_drivers(operand, count) for operand in node.operands]
        if any(branch is None for branch in branches):
            return None
        return (
            tuple(term for branch in branches if branch for term in branch[0]),
            sum(branch[1] for branch in branches if branch),
        )
    return None


def json_path(key: str) -> str:
    """The JSON path of a meta key, for json_extract (a key never holds a double quote)."""
    return '$."' + key.replace('"', "") + '"'


def _match(expression: str, pattern: Pattern) -> tuple[str, str]:
    exact = pattern.exact
    if exact is not None:
        return f"{expression} = ?", exact
    return f"{expression} GLOB ?", pattern.glob()


def parse(text: str) -> Query:
    """Read a query; raises :class:`QueryError` if it is malformed."""
    if len(text) > MAX_LENGTH:
        raise QueryError(f"a query is at most {MAX_LENGTH} characters", MAX_LENGTH)
    parser = _Parser(text)
    root = parser.query()
    return Query(text, root, tuple(parser.terms))


class _Parser:
    """A recursive-descent reader of the query text: OR of ANDs of (negated) terms or groups."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.depth = 0
        self.terms: list[Term | Text] = []

    def query(self) -> Node | None:
        if not self._skip_space():
            return None
        node = self._any()
        if self._skip_space():
            # Only an unmatched ')' stops the reading before the end.
            raise QueryError("this ')' closes no '('", self.at)
        return node

    # -- operators ---------------------------------------------------------------------

    def _any(self) -> Node:
        """Operands joined by OR; at a character that is not a space."""
        operands = [self._all()]
        while self._skip_space() and self._keyword("OR"):
            start = self.at
            self.at += 2
            self._operand_after("OR", start)
            operands.append(self._all())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def _all(self) -> Node:
        """Operands side by side or joined by AND, up to an OR, a ')' or the end."""
        operands = [self._unary()]
        while self._skip_space() and self._peek() != ")" and not self._keyword("OR"):
            if self._keyword("AND"):
                start = self.at
                self.at += 3
                self._operand_after("AND", start)
            operands.append(self._unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def _unary(self) -> Node:
        """A term, a negation or a parenthesised group; at a character that is not a space."""
        start = self.at
        for keyword in ("AND", "OR"):
            if self._keyword(keyword):
                raise QueryError(f"{keyword} must come between two terms", start)
        if self._keyword("NOT"):
            self.at += 3
            self._operand_after("NOT", start)
            return Not(self._nested(start, self._unary))
        if self._peek() == "-":
            self.at += 1
            if self._peek() in ("", ")") or self._peek() in _SPACE:
                raise QueryError("a term is expected after '-'", self.at)
            return Not(self._nested(start, self._unary))
        if self._peek() == "(":
            self.at += 1
            if not self._skip_space():
                raise QueryError("this '(' is never closed", start)
            if self._peek() == ")":
                raise QueryError("a term is expected inside the parentheses", self.at)
            node = self._nested(start, self._any)
            if not self._skip_space():
                raise QueryError("this '(' is never closed", start)
            self.at += 1
            return node
        if self._peek() == ")":
            raise QueryError("this ')' closes no '('", start)
        return self._term()

    def _nested(self, start: int, read: Callable[[], Node]) -> Node:
        """What ``read`` reads, one level deeper (bounded by :data:`MAX_DEPTH`)."""
        if self.depth == MAX_DEPTH:
            raise QueryError(f"groups and negations nest at most {MAX_DEPTH} deep", start)
        self.depth += 1
        node = read()
        self.depth -= 1
        return node

    def _operand_after(self, operator: str, start: int) -> None:
        """Past the spaces after ``operator`` (at ``start``), which must lead to its operand."""
        if not self._skip_space() or self._peek() == ")":
            raise QueryError(f"{operator} must be followed by a term", start)

    def _keyword(self, word: str) -> bool:
        """Whether the operator ``word`` (upper case, then a space, a parenthesis or the end)
        is next."""
        end = self.at + len(word)
        return self.text.startswith(word, self.at) and (
            end == len(self.text) or self.text[end] in _SPACE or self.text[end] in "()"
        )

    # -- characters --------------------------------------------------------------------

    def _peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def _skip_space(self) -> bool:
        """Past any whitespace; whether anything is left."""
        while self._peek() and self._peek() in _SPACE:
            self.at += 1
        return self.at < len(self.text)

    def _at_end_of_term(self) -> bool:
        return self._peek() in ("", ")") or self._peek() in _SPACE

    # -- terms -------------------------------------------------------------------------

    def _term(self) -> Term | Text:
        start = self.at
        if len(self.terms) == MAX_TERMS:
            raise QueryError(f"a query has at most {MAX_TERMS} terms", start)
        term = self._read_term()
        self.terms.append(term)
        return term

    def _read_term(self) -> Term | Text:
        start = self.at
        if self._peek() == '"':
            return Text(self._quoted())
        is_tag = self._peek() == "@"
        match = _KEY.match(self.text, self.at + is_tag)
        if not is_tag and not (match and self.text.startswith(":", match.end())):
            return Text(self._value("free text"))
        if not match:
            raise QueryError(
                "a tag looks like @key:value (e.g. @http.status_code:500)", self.at + 1
            )
        key = match.group()
        self.at = match.end()
        if self._peek() != ":":
            raise QueryError(f"expected ':' after @{key} (a tag looks like @key:value)", self.at)
        self.at += 1
        if is_tag and key == "duration":
            low, high = self._duration_bounds()
            return Term("duration", low=low, high=high)
        if is_tag:
            return Term("tag", key=key, pattern=self._value(key))
        if key == "status":
            return Term("status", error=self._status())
        if key == "env":
            return Term("tag", key="env", pattern=self._value(key))
        if key in _COLUMNS:
            return Term(_COLUMNS[key], pattern=self._value(key))
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
        while not self._at_end_of_term():
            char = self._peek()
            if char == "\\":
                if self.at + 1 >= len(self.text):
                    raise QueryError("'\\' at the end of the query escapes nothing", self.at)
                literal.append(self.text[self.at + 1])
                self.at += 2
                continue
            if char in ('"', "("):
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
        if not self._at_end_of_term():
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
        if not self._at_end_of_term():
            raise QueryError("a space is expected after a duration", self.at)

    def _duration(self) -> int:
        match = _DURATION.match(self.text, self.at)
        if not match:
            raise QueryError("expected a duration such as 500ms, 2s or 150us", self.at)
        self.at = match.end()
        nanoseconds = float(match.group(1)) * _UNITS[match.group(2)]
        # SQLite integers are 64-bit: a bound past that is as good as no bound.
        return int(min(nanoseconds, 2**62))
