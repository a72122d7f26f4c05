"""The service map's minutes: services and calls as the spans themselves give them, for windows
starting mid-minute, whatever order a trace's chunks arrive in and however often they are sent;
an older store's minutes filled at open; old minutes deleted by retention."""

from __future__ import annotations

import json
import random
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.support.seed_chunks import Chunks, trace_copy
from thinker_local.stats import RequestStats
from thinker_local.store import TraceStore, ingest, rollups
from thinker_local.store.database import Database
from thinker_local.store.presentation import (
    inferred_kind,
    service_kind,
    service_label,
    stats_json,
)
from thinker_local.store.retention import Retention, prune

MINUTE = rollups.MINUTE_NS
# Five minutes of traces from BASE; "now" 17.3 s into the sixth, so windows start mid-minute.
BASE = 29_000_000 * MINUTE
NOW_S = (BASE + 5 * MINUTE) / 1e9 + 17.3
WINDOWS = (6 * 60.0, 4 * 60 + 0.5, 200.25, 61.0, 30.0, 3600.0)


def spans_since(path: Path, since: int) -> list[sqlite3.Row]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return db.execute(
            "SELECT * FROM spans WHERE start >= ? ORDER BY start", (since,)
        ).fetchall()


def expected_services(path: Path, window_s: float) -> list[dict[str, Any]]:
    """The services list straight from the window's spans, as the store made it before it had
    rollups."""
    spans = spans_since(path, int((NOW_S - window_s) * 1e9))
    own: dict[str, list[Any]] = defaultdict(lambda: ["", [], 0])
    called: dict[str, list[Any]] = defaultdict(lambda: ["", [], 0])
    for span in spans:
        if span["top_level"]:
            _add(own[span["service"]], span, service_kind(span["name"], span["type"]))
        if span["peer"]:
            _add(called[span["peer"]], span, inferred_kind(json.loads(span["meta"])))
    sending = {span["service"] for span in spans}
    inferred = {peer: g for peer, g in called.items() if peer not in own and peer not in sending}
    ordered = sorted(
        {**own, **inferred}.items(),
        key=lambda item: (
            item[1][0] == "Lambda cold start",
            item[0] in inferred,
            -len(item[1][1]),
            item[0],
        ),
    )
    return [
        {
            "service": service,
            "label": service_label(service, kind),
            "kind": kind,
            "inferred": service in inferred,
            **stats_json(RequestStats.of(durations, errors)),
        }
        for service, (kind, durations, errors) in ordered
    ]


def _add(group: list[Any], span: sqlite3.Row, kind: str) -> None:
    group[0] = group[0] or kind
    group[1].append(span["duration"])
    group[2] += span["error"]


def expected_calls(path: Path, window_s: float) -> dict[tuple[str, str], tuple[list[int], int]]:
    """Each caller and callee's durations (sorted) and errors straight from the window's spans."""
    spans = spans_since(path, int((NOW_S - window_s) * 1e9))
    with sqlite3.connect(path) as db:
        services = {
            (t, s): service
            for t, s, service in db.execute("SELECT trace_id, span_id, service FROM spans")
        }
    sending = {span["service"] for span in spans}
    found: dict[tuple[str, str], tuple[list[int], int]] = defaultdict(lambda: ([], 0))
    for span in spans:
        parent = services.get((span["trace_id"], span["parent_id"]))
        pairs = []
        if parent not in (None, span["service"]) and not span["name"].startswith("aws.lambda."):
            pairs.append((parent, span["service"]))
        if span["peer"] is not None and span["peer"] not in sending:
            pairs.append((span["service"], span["peer"]))
        for pair in pairs:
            durations, errors = found[pair]
            found[pair] = ([*durations, span["duration"]], errors + span["error"])
    return {pair: (sorted(durations), errors) for pair, (durations, errors) in found.items()}


def answered_calls(
    store: TraceStore, window_s: float
) -> dict[tuple[str, str], tuple[list[int], int]]:
    return {
        (c.caller, c.callee): (sorted(c.durations), c.errors)
        for c in store.calls(window_s, now=NOW_S)
    }


def assert_as_the_spans_say(store: TraceStore) -> None:
    for window in WINDOWS:
        assert store.services(window, now=NOW_S) == expected_services(store.path, window), window
        assert answered_calls(store, window) == expected_calls(store.path, window), window


def varied(rng: random.Random) -> Any:
    """A trace_copy mutation: every span its own duration, one in five failing."""

    def mutate(span: dict[str, Any]) -> None:
        span["duration"] = rng.randrange(1, 2 * 10**9)
        span["error"] = int(rng.random() < 0.2)

    return mutate


def traces(seed: Chunks, count: int, rng: random.Random, first: int = 1) -> list[Chunks]:
    """Copies of the seed trace over five minutes, some across a minute's end (numbered from
    ``first``)."""
    made = []
    for number in range(first, first + count):
        if number % 4 == 0:
            start = BASE + rng.randrange(1, 5) * MINUTE - 700_000_000
        else:
            start = BASE + rng.randrange(0, 5 * MINUTE - 2 * 10**9)
        made.append(trace_copy(seed, number, start_ns=start, mutate=varied(rng)))
    return made


def test_services_and_calls_are_those_of_the_spans_whatever_the_order_chunks_arrive_in(
    store: TraceStore, seed: Chunks
) -> None:
    rng = random.Random(7)
    # Each process's chunk in a payload of its own, in any order: parents before children and
    # children before parents; a few payloads of several chunks; some sent twice.
    chunks = [chunk for trace in traces(seed, 40, rng) for chunk in trace]
    rng.shuffle(chunks)
    payloads: list[Chunks] = []
    taken = 0
    while taken < len(chunks):
        size = rng.choice((1, 1, 1, 3))
        payloads.append(chunks[taken : taken + size])
        taken += size
    payloads += [[chunk] for chunk in chunks[::4]]
    payloads += rng.sample(payloads, 10)
    for payload in payloads:
        store.add_chunks(payload)

    assert_as_the_spans_say(store)
    whole = answered_calls(store, 3600)
    assert len(whole[("thinker-api", "thinker-microservice-gateway")][0]) == 40


@pytest.mark.parametrize("order", [(0, 2), (2, 0), "together"])
def test_a_call_whose_parent_and_child_arrive_apart_counts_once(
    store: TraceStore, seed: Chunks, order: tuple[int, int] | str
) -> None:
    # Chunk 2 holds thinker-api's HTTP client span; chunk 0, the gateway span it calls.
    trace = trace_copy(seed, 1, start_ns=BASE + 10 * 10**9)
    if order == "together":
        store.add_chunks(trace)
    else:
        for index in order:
            store.add_chunks([trace[index]])
        store.add_chunks([trace[1], trace[3]])

    calls = {(c.caller, c.callee): c.count for c in store.calls(3600, now=NOW_S)}
    assert calls[("thinker-api", "thinker-microservice-gateway")] == 1
    assert calls[("thinker-microservice-gateway", "thinker-microservice")] == 1
    assert_as_the_spans_say(store)


def test_spans_sent_again_count_once_and_a_changed_one_replaces_its_figures(
    store: TraceStore, seed: Chunks
) -> None:
    rng = random.Random(3)
    sent = traces(seed, 6, rng)
    for trace in sent:
        store.add_chunks(trace)
    for trace in sent[:3]:
        store.add_chunks(trace)
        store.add_chunks([trace[0]])
    # The first trace's thinker-api spans again, its handler now slower and failing.
    again = json.loads(json.dumps(sent[0][2]))
    for span in again:
        span["duration"] += 10**9
        span["error"] = 1
    store.add_chunks([again])

    services = {s["service"]: s for s in store.services(3600, now=NOW_S)}
    assert services["thinker-api"]["requests"] == 6
    assert_as_the_spans_say(store)


def old_store(path: Path, seed: Chunks) -> list[Chunks]:
    """A store as an older version wrote it: spans, no rollups."""
    made = traces(seed, 12, random.Random(11))
    database = Database(path)
    for number, trace in enumerate(made):
        for chunk in trace:
            database.insert_spans(ingest.rows([chunk]), received=BASE + number)
    database.close()
    return made


def test_an_older_store_gets_its_minutes_at_open(
    tmp_path: Path, seed: Chunks, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "traces.sqlite3"
    made = old_store(path, seed)
    monkeypatch.setattr(rollups, "FILL_BATCH", 100)  # several transactions

    with TraceStore(path) as store:
        assert_as_the_spans_say(store)
        answers = store.services(3600, now=NOW_S), answered_calls(store, 3600)
    # Filled once: opened again, the same; and the same as a store that had them all along.
    with TraceStore(path) as store:
        assert (store.services(3600, now=NOW_S), answered_calls(store, 3600)) == answers
    with TraceStore(tmp_path / "new.sqlite3") as new:
        for trace in made:
            new.add_chunks(trace)
        assert (new.services(3600, now=NOW_S), answered_calls(new, 3600)) == answers


class Stopped(Exception):
    """The process filling a store ended."""


def fill_stopped(
    path: Path, monkeypatch: pytest.MonkeyPatch, *, batch: int, batches: int
) -> Database:
    """The older store at ``path`` opened and ``batches`` of its fill's batches of ``batch``
    spans done, as if its process had ended then."""
    monkeypatch.setattr(rollups, "FILL_BATCH", batch)
    apply = rollups._apply
    done = []

    def stop_after(*args: Any) -> None:
        if len(done) == batches:
            raise Stopped
        done.append(1)
        apply(*args)

    database = Database(path)
    with monkeypatch.context() as stopping:
        stopping.setattr(rollups, "_apply", stop_after)
        with pytest.raises(Stopped):
            rollups.Rollups(database)
    return database


def test_spans_written_while_an_older_store_is_filled_count_once(
    tmp_path: Path, seed: Chunks, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "traces.sqlite3"
    made = old_store(path, seed)
    database = fill_stopped(path, monkeypatch, batch=250, batches=2)

    # Meanwhile another process's agent writes: the children of counted parents, the parents
    # of counted children, new traces, and spans sent again.
    rng = random.Random(5)
    more = traces(seed, 4, rng, first=100)
    for chunks in [*made[:6], *more, [made[8][0]], [made[0][2]], made[11]]:
        for chunk in rng.sample(chunks, len(chunks)):
            database.insert_spans(ingest.rows([chunk]), received=BASE, also=rollups.record)
    database.close()

    with TraceStore(path) as store:
        assert_as_the_spans_say(store)
        calls = {(c.caller, c.callee): c.count for c in store.calls(3600, now=NOW_S)}
        assert calls[("thinker-api", "thinker-microservice-gateway")] == len(made) + len(more)


def test_a_fill_outlives_the_deletion_of_the_spans_it_had_reached(
    tmp_path: Path, seed: Chunks, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "traces.sqlite3"
    made = old_store(path, seed)
    last = int(Database(path).query("SELECT MAX(rowid) AS n FROM spans")[0]["n"])
    database = fill_stopped(path, monkeypatch, batch=last - 1, batches=1)
    # The newest trace deleted (its spans had the highest rowids, counted: their minutes stay),
    # then a new one written: its spans take those rowids anew, below where the fill had reached.
    database.query("DELETE FROM spans WHERE trace_id = ?", (ingest.rows(made[-1])[0][0],))

    def renamed(span: dict[str, Any]) -> None:
        span["service"] = f"later-{span['service']}"

    later = trace_copy(seed, 500, start_ns=BASE + MINUTE, mutate=renamed)
    for chunk in later:
        database.insert_spans(ingest.rows([chunk]), received=BASE, also=rollups.record)
    database.close()

    def the_later_ones(services: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [s for s in services if s["service"].startswith("later-")]

    with TraceStore(path) as store:
        shown = the_later_ones(store.services(3600, now=NOW_S))
        assert [s["requests"] for s in shown if not s["service"].endswith("aws.lambda")] == [1] * 4
        assert shown == the_later_ones(expected_services(path, 3600))


def test_retention_deletes_the_minutes_older_than_its_age_limit(
    store: TraceStore, seed: Chunks
) -> None:
    for trace in traces(seed, 20, random.Random(2)):
        store.add_chunks(trace)
    database = Database(store.path)
    # Traces received as they started; those before 3:20 past BASE are older than the limit.
    database.query("UPDATE traces SET received = start")
    cutoff = BASE + 3 * MINUTE + 20 * 10**9
    spans_minutes = {row["start"] // MINUTE for row in database.query("SELECT start FROM spans")}
    prune(database, Retention(max_age_s=100.0), now_ns=cutoff + 100 * 10**9)

    minutes = {
        row["minute"]
        for table in ("service_minutes", "call_minutes")
        for row in database.query(f"SELECT DISTINCT minute FROM {table}")
    }
    database.close()
    # Whole minutes before the limit go; the minute it falls in stays, as do those after.
    assert minutes == {minute for minute in spans_minutes if minute >= BASE // MINUTE + 3}
    # A window after the traces deleted says what the spans kept say.
    assert store.services(107.3, now=NOW_S) == expected_services(store.path, 107.3)
    assert answered_calls(store, 107.3) == expected_calls(store.path, 107.3)
