"""The trace search's parser: what each term means, what it refuses and where, and that whatever
the input it either compiles to SQL that SQLite runs, or raises a QueryError."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.seed_chunks import Chunks, trace_copy
from thinker_local.store import TraceStore
from thinker_local.store.query import MAX_DEPTH, MAX_TERMS, QueryError, parse


def spans_matching(store: TraceStore, text: str) -> set[tuple[str, str]]:
    """(name, subject) of the spans of the store a query matches, asked in SQL."""
    where, params = parse(text).where("q")
    rows = store._db.query(
        "SELECT q.name, json_extract(q.meta, '$.subject') AS subject FROM spans q"
        f" WHERE q.name NOT LIKE 'aws.lambda.%' AND {where}",
        params,
    )
    return {(row["name"], row["subject"]) for row in rows}


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory, seed: Chunks) -> Iterator[TraceStore]:
    with TraceStore(Path(tmp_path_factory.mktemp("query")) / "traces.sqlite3") as store:
        store.add_chunks(trace_copy(seed, 0, start_ns=time.time_ns()))
        yield store


THINKS = {("think", "technology"), ("think", "foo_bar")}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("operation_name:think", THINKS),
        ("operation_name:think @subject:foo_bar", {("think", "foo_bar")}),
        ("operation_name:think -@subject:foo_bar", {("think", "technology")}),
        ("operation_name:think NOT @subject:foo_bar", {("think", "technology")}),
        ("operation_name:think AND status:error", {("think", "foo_bar")}),
        ("operation_name:think status:ok", {("think", "technology")}),
        ("@subject:tech*", {("think", "technology")}),
        ("@subject:*_b*", {("think", "foo_bar")}),
        ("@subject:*", THINKS),
        ('@subject:"foo_bar"', {("think", "foo_bar")}),
        ('@subject:"foo*"', set()),  # quoted: the star is a plain character
        ("@subject:foo\\*", set()),
        ("service:thinker-microservice @subject:foo_bar status:error", {("think", "foo_bar")}),
        ("service:thinker-api* operation_name:think", set()),
        ("env:dev operation_name:think", THINKS),
        ("env:prod", set()),
        ("resource_name:think", THINKS),
        ('resource:"GET /think"', {("aws.apigateway", None)}),
        # Free text: the error message ('foo_bar'), any case; the resource; the operation.
        ("foo_bar", {("think", "foo_bar")}),
        ("FOO_BAR", {("think", "foo_bar")}),
        ("foo?bar", set()),
        ("keyerror", {("think", "foo_bar")}),
        ("GETIT*m", {("dynamodb.command", None)}),
        ('"GET /think"', {("aws.apigateway", None)}),
        ("operation_name:think -foo_bar", {("think", "technology")}),
        # OR, and AND binding tighter: "a b OR c" is "(a AND b) OR c".
        ("@subject:foo_bar OR @subject:technology", THINKS),
        ("@subject:technology status:error OR @subject:foo_bar", {("think", "foo_bar")}),
        ("@subject:technology (status:error OR @subject:foo_bar)", set()),
        ("@subject:technology AND (status:ok OR foo_bar)", {("think", "technology")}),
        ("operation_name:think -(status:error OR @subject:nothing)", {("think", "technology")}),
        ("NOT (operation_name:think OR operation_name:aws.*) resource:think", set()),
        ("((operation_name:think)) AND ((status:error))", {("think", "foo_bar")}),
    ],
)
def test_each_term_matches_the_spans_datadog_would(
    searched: TraceStore, query: str, expected: set[tuple[str, str]]
) -> None:
    assert spans_matching(searched, query) == expected


def test_duration_bounds_follow_the_units_and_include_range_ends(searched: TraceStore) -> None:
    think = next(
        s for s in searched.trace(searched.latest_trace_id() or "") if s.meta.get("subject")
    )
    micro = think.duration / 1000
    assert ("think", think.meta["subject"]) in spans_matching(
        searched, f"operation_name:think @duration:[{micro}us TO {micro}us]"
    )
    assert ("think", think.meta["subject"]) in spans_matching(
        searched, f"operation_name:think @duration:>={think.duration}ns"
    )
    assert ("think", think.meta["subject"]) not in spans_matching(
        searched, f"operation_name:think @duration:>{think.duration} @duration:<1h"
    )
    assert spans_matching(searched, "operation_name:think @duration:<1ns") == set()
    assert spans_matching(searched, "operation_name:think -@duration:<1ns") == THINKS


def test_values_are_bound_never_written_into_the_sql() -> None:
    where, params = parse("@subject:\"x' OR 1=1 --\" service:'a'").where("q")
    assert "OR 1=1" not in where
    assert "'a'" not in where
    assert "x' OR 1=1 --" in params
    assert "'a'" in params


@pytest.mark.parametrize(
    ("query", "position", "says"),
    [
        ("@subject", 8, "expected ':'"),
        ("@:x", 1, "@key:value"),
        ("service:", 8, "needs a value"),
        ('@subject:"foo', 9, "unterminated"),
        ("status:broken", 7, "error or ok"),
        ("colour:red", 0, "unknown attribute"),
        ("@duration:500ms", 10, "comparison"),
        ("@duration:>5parsecs", 12, "space"),
        ("@duration:>fast", 11, "duration"),
        ("@duration:[2s TO 1s]", 10, "smaller"),
        ("@duration:[1s 2s]", 14, "TO"),
        ("@duration:[1s TO 2s", 19, "']'"),
        ("service:a OR", 10, "OR must be followed"),
        ("OR service:a", 0, "between two terms"),
        ("service:a AND OR service:b", 14, "between two terms"),
        ("service:a AND", 10, "AND must be followed"),
        ("(service:a", 0, "never closed"),
        ("service:a (env:dev OR (status:ok)", 10, "never closed"),
        ("service:a)", 9, "closes no '('"),
        ("()", 1, "inside the parentheses"),
        ("(service:a OR)", 11, "OR must be followed"),
        ("foo(bar", 3, "unexpected '('"),
        ("- service:a", 1, "term is expected"),
        ("NOT", 0, "followed"),
        ("@subject:a\\", 10, "escapes nothing"),
        ('@subject:"a"b', 12, "space"),
    ],
)
def test_a_malformed_query_says_what_is_wrong_and_where(
    query: str, position: int, says: str
) -> None:
    with pytest.raises(QueryError) as raised:
        parse(query)
    assert raised.value.position == position
    assert says in raised.value.message


def test_an_empty_query_matches_every_span(searched: TraceStore) -> None:
    assert parse("   ").terms == ()
    assert spans_matching(searched, "") >= THINKS


def test_a_query_has_a_bounded_number_of_terms() -> None:
    assert len(parse(" ".join(["env:dev"] * MAX_TERMS)).terms) == MAX_TERMS
    with pytest.raises(QueryError) as raised:
        parse(" ".join(["env:dev"] * (MAX_TERMS + 1)))
    assert raised.value.position == MAX_TERMS * len("env:dev ")


def test_groups_and_negations_nest_to_a_bounded_depth() -> None:
    assert parse("(" * MAX_DEPTH + "env:dev" + ")" * MAX_DEPTH).terms
    assert parse("-" * MAX_DEPTH + "env:dev").terms
    for deep in ("(" * (MAX_DEPTH + 1) + "env:dev" + ")" * (MAX_DEPTH + 1), "-" * 1000 + "a"):
        with pytest.raises(QueryError) as raised:
            parse(deep)
        assert raised.value.position == MAX_DEPTH
        assert "nest" in raised.value.message


# Text built from the syntax's own pieces finds the corners faster than random characters.
PIECES = st.sampled_from(
    [
        "service:",
        "resource_name:",
        "operation_name:",
        "env:",
        "status:",
        "error",
        "ok",
        "@",
        "@duration:",
        "@subject:",
        ">",
        "<=",
        "[",
        "]",
        " TO ",
        "ms",
        "s",
        "1.5",
        "100",
        "-",
        "NOT ",
        " AND ",
        " OR ",
        '"',
        "\\",
        "*",
        "?",
        "'",
        ":",
        " ",
        "foo_bar",
        "$.x",
        "µs",
        "\x00",
        "(",
        ")",
        "OR ",
        "KeyError",
    ]
)
QUERIES = st.one_of(st.text(max_size=80), st.lists(PIECES, max_size=14).map("".join))


@settings(max_examples=400, deadline=None)
@given(text=QUERIES)
def test_any_input_compiles_to_sql_sqlite_runs_or_is_a_query_error(
    searched: TraceStore, text: str
) -> None:
    problem: QueryError | None = None
    try:
        query = parse(text)
    except QueryError as error:
        problem = error
    if problem is not None:
        assert 0 <= problem.position <= len(text)
        assert problem.message
        return
    # The listing runs the compiled search as the API does, and so does the span-level clause.
    searched.traces(query=query, limit=5)
    spans_matching(searched, text)
