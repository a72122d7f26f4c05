"""The trace search against a reference evaluator: for any expression of terms, negations, AND,
OR and parentheses, written with as few parentheses as precedence allows, the store's SQL finds
the spans (and traces) that a direct reading of the expression finds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from thinker_local.store import TraceStore
from thinker_local.store.query import TEXT_TAGS, parse
from thinker_local.store.spans import Span

# Values chosen to collide: case, wildcards, LIKE's own special characters, shared prefixes.
SERVICES = ["api", "api-gateway", "micro"]
NAMES = ["think", "aws.lambda", "requests.request"]
RESOURCES = ["think", "GET /think", "Get_item", "50% off"]
SUBJECTS = [None, "foo_bar", "technology", "FOO"]
ENVS = [None, "dev", "prod"]
ERRORS = [("builtins.KeyError", "'foo_bar'"), ("ValueError", "bad 50% value"), ("Boom", "x_y")]
DURATIONS = [1_000, 5_000_000, 2_000_000_000]
PATTERNS = ["api", "api*", "*gateway", "micro", "mi*o", "*"]
TAG_PATTERNS = ["foo_bar", "foo*", "technology", "tech*", "FOO", "*o*", "dev", "prod", "d*"]
WORDS = ["foo_bar", "FOO_BAR", "think", "keyerror", "50%", "get*", "g_t", "*item", "x_y", "bad"]
PHRASES = ["GET /think", "50% off", "bad 50%"]


@dataclass(frozen=True)
class Leaf:
    """A term as generated: its text, and how a span is judged against it."""

    text: str
    kind: str
    key: str = ""
    value: Any = None


@dataclass(frozen=True)
class Node:
    """NOT (one operand), AND or OR (several)."""

    operator: str
    operands: tuple[Leaf | Node, ...]


TAG_LEAVES = st.one_of(
    st.sampled_from(TAG_PATTERNS).map(lambda p: Leaf(f"@subject:{p}", "tag", "subject", p)),
    st.sampled_from(TAG_PATTERNS).map(lambda p: Leaf(f"env:{p}", "tag", "env", p)),
)
STATUS_LEAVES = st.booleans().map(
    lambda e: Leaf(f"status:{'error' if e else 'ok'}", "status", value=e)
)


def _leaves() -> st.SearchStrategy[Leaf]:
    return st.one_of(
        st.sampled_from(PATTERNS).map(lambda p: Leaf(f"service:{p}", "column", "service", p)),
        TAG_LEAVES,
        st.sampled_from(["think", "aws.*", "*request*"]).map(
            lambda p: Leaf(f"operation_name:{p}", "column", "name", p)
        ),
        STATUS_LEAVES,
        st.tuples(st.sampled_from([">", ">=", "<", "<="]), st.sampled_from(DURATIONS)).map(
            lambda d: Leaf(f"@duration:{d[0]}{d[1]}ns", "duration", d[0], d[1])
        ),
        st.sampled_from(WORDS).map(lambda w: Leaf(w, "text", value=w)),
        st.sampled_from(PHRASES).map(lambda p: Leaf(f'"{p}"', "phrase", value=p)),
    )


def _expressions(leaves: st.SearchStrategy[Leaf]) -> st.SearchStrategy[Leaf | Node]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            inner.map(lambda operand: Node("NOT", (operand,))),
            st.lists(inner, min_size=2, max_size=3).map(lambda ops: Node("AND", tuple(ops))),
            st.lists(inner, min_size=2, max_size=3).map(lambda ops: Node("OR", tuple(ops))),
        ),
        max_leaves=8,
    )


EXPRESSIONS = _expressions(_leaves())
# Tag terms mostly: the ones whose ORs and ANDs the search reads from span_tags' index
# (drawn as often as the rest).
TAG_EXPRESSIONS = _expressions(st.one_of(TAG_LEAVES, STATUS_LEAVES))
_BINDING = {"OR": 1, "AND": 2, "NOT": 3}


def render(expression: Leaf | Node, data: st.DataObject, context: int = 0) -> str:
    """The expression as query text, parenthesised only where precedence needs it (or, now and
    then, where it does not)."""
    if isinstance(expression, Leaf):
        return expression.text
    binding = _BINDING[expression.operator]
    if expression.operator == "NOT":
        prefix = data.draw(st.sampled_from(["-", "NOT "]))
        text = prefix + render(expression.operands[0], data, binding)
    else:
        joins = [" OR "] if expression.operator == "OR" else [" ", " AND "]
        text = render(expression.operands[0], data, binding + 1)
        for operand in expression.operands[1:]:
            text += data.draw(st.sampled_from(joins)) + render(operand, data, binding + 1)
    if binding < context or data.draw(st.integers(0, 9)) == 0:
        return f"({text})"
    return text


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def _ascii_lower(text: str) -> str:
    # SQLite's LIKE folds ASCII letters only.
    return "".join(char.lower() if char.isascii() else char for char in text)


def matches(expression: Leaf | Node, span: Span) -> bool:
    """The reference: the expression read directly, on one span."""
    if isinstance(expression, Node):
        results = (matches(operand, span) for operand in expression.operands)
        if expression.operator == "NOT":
            return not next(results)
        return all(results) if expression.operator == "AND" else any(results)
    leaf = expression
    if leaf.kind == "column":
        return bool(_glob(leaf.value).fullmatch(getattr(span, leaf.key)))
    if leaf.kind == "tag":
        value = span.meta.get(leaf.key)
        return value is not None and bool(_glob(leaf.value).fullmatch(value))
    if leaf.kind == "status":
        return span.error is leaf.value
    if leaf.kind == "duration":
        compare = {">": int.__gt__, ">=": int.__ge__, "<": int.__lt__, "<=": int.__le__}
        return bool(compare[leaf.key](span.duration, leaf.value))
    fields = [span.resource, span.name, *(span.meta.get(key, "") for key in TEXT_TAGS)]
    found = (
        _glob(_ascii_lower(leaf.value))
        if leaf.kind == "text"
        else re.compile(re.escape(_ascii_lower(leaf.value)))
    )
    return any(found.search(_ascii_lower(text)) for text in fields if text)


@st.composite
def _span(draw: st.DrawFn, trace: int, number: int, parent: str | None) -> Span:
    meta: dict[str, str] = {}
    for key, choices in (("subject", SUBJECTS), ("env", ENVS)):
        value = draw(st.sampled_from(choices))
        if value is not None:
            meta[key] = value
    error = draw(st.booleans())
    if error:
        meta["error.type"], meta["error.message"] = draw(st.sampled_from(ERRORS))
    return Span(
        trace_id=f"{trace:032x}",
        span_id=str(number),
        parent_id=parent,
        service=draw(st.sampled_from(SERVICES)),
        name=draw(st.sampled_from(NAMES)),
        resource=draw(st.sampled_from(RESOURCES)),
        type="web",
        start=1_700_000_000_000_000_000 + number * 1_000_000,
        duration=draw(st.sampled_from(DURATIONS)),
        error=error,
        meta=meta,
    )


@st.composite
def stores(draw: st.DrawFn) -> list[Span]:
    """Up to four traces, each a root span and up to three children."""
    spans: list[Span] = []
    for trace in range(1, draw(st.integers(1, 4)) + 1):
        root = draw(_span(trace, len(spans) + 1, None))
        spans.append(root)
        for _ in range(draw(st.integers(0, 3))):
            spans.append(draw(_span(trace, len(spans) + 1, root.span_id)))
    return spans


@settings(max_examples=500, deadline=None)
@given(spans=stores(), expression=st.one_of(EXPRESSIONS, TAG_EXPRESSIONS), data=st.data())
def test_the_search_finds_what_the_reference_evaluator_finds(
    spans: list[Span], expression: Leaf | Node, data: st.DataObject
) -> None:
    text = render(expression, data)
    query = parse(text)
    with TraceStore(":memory:") as store:
        store.add_spans(spans)
        where, params = query.where("q")
        found = {
            row["span_id"]
            for row in store._db.query(f"SELECT q.span_id FROM spans q WHERE {where}", params)
        }
        traces = {summary["trace_id"] for summary in store.traces(query=query, limit=500)}

    expected = {span.span_id for span in spans if matches(expression, span)}
    assert found == expected, text
    assert traces == {span.trace_id for span in spans if span.span_id in expected}, text
