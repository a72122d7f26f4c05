"""A damaged trace store is set aside and replaced, at start and while the agent runs, with no
new trace lost; an older version's store is migrated; a full disk makes the agent answer 429."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import requests

from tests.support.seed_chunks import Chunks, trace_copy
from tests.support.tracer import send
from thinker_local.agent.intake import create_agent_app
from thinker_local.apm import create_apm_app
from thinker_local.harness.servers import serve
from thinker_local.store import TraceStore
from thinker_local.store.database import Database
from thinker_local.store.invocations import FunctionInfo
from thinker_local.waiting import until

PAGE = 4096


def filled(path: Path, seed: Chunks, traces: int) -> None:
    """A store at ``path`` holding ``traces`` copies of the seed trace, all in the main file."""
    with TraceStore(path) as store:
        for index in range(traces):
            store.add_chunks(trace_copy(seed, index, start_ns=time.time_ns()))
    checkpoint(path)


def checkpoint(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def overwrite_blocks(path: Path, every: int) -> None:
    """Overwrite every ``every``-th page but the first with noise, as a crash or bad copy
    leaves a file (the header stays: SQLite still opens it)."""
    pages = path.stat().st_size // PAGE
    with path.open("r+b") as file:
        for page in range(2, pages, every):
            file.seek(page * PAGE + 64)
            file.write(os.urandom(PAGE - 128))


def sound(path: Path) -> bool:
    """Whether SQLite's check finds the file sound (some damage makes the check itself fail)."""
    with sqlite3.connect(path) as connection:
        try:
            return connection.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        except sqlite3.DatabaseError:
            return False


def set_aside(directory: Path) -> list[Path]:
    return sorted(directory.glob("traces.sqlite3.damaged-*[0-9Z]"))


def new_trace(seed: Chunks, index: int) -> tuple[Chunks, str]:
    """A copy of the seed trace, and the low 64 bits of its id in hex."""
    chunks = trace_copy(seed, index, start_ns=time.time_ns())
    return chunks, format(chunks[0][0]["trace_id"], "x")


def test_a_store_damaged_before_the_start_is_set_aside_and_a_fresh_one_started(
    tmp_path: Path, seed: Chunks
) -> None:
    path = tmp_path / "traces.sqlite3"
    filled(path, seed, 3)
    overwrite_blocks(path, every=40)
    said: list[str] = []

    with TraceStore(path, say=said.append) as store:
        assert store.span_count() == 0
        chunks, _ = new_trace(seed, 10)
        assert store.add_chunks(chunks) > 0
        kept = store.span_count()

    [moved] = set_aside(tmp_path)
    assert len(said) == 1
    assert str(moved) in said[0]
    assert "damaged" in said[0]
    assert not sound(moved)
    # The fresh store is sound and keeps what came after; opening it again says nothing.
    with TraceStore(path, say=said.append) as reopened:
        assert reopened.span_count() == kept
    assert len(said) == 1


def test_a_store_damaged_while_the_agent_runs_is_replaced_and_new_traces_kept(
    tmp_path: Path, seed: Chunks
) -> None:
    path = tmp_path / "traces.sqlite3"
    # Larger than SQLite's page cache, so that the damage is read from the file.
    filled(path, seed, 12)
    said: list[str] = []
    with (
        TraceStore(path, say=said.append) as store,
        serve(create_agent_app(store)) as agent,
        serve(create_apm_app(store)) as apm,
    ):
        assert requests.get(f"{apm}/api/traces", timeout=30).status_code == 200
        overwrite_blocks(path, every=3)

        sent = []
        for index in range(100, 103):
            chunks, trace_id = new_trace(seed, index)
            response = send(agent, json.dumps(chunks).encode())
            assert response.status_code == 200, response.text
            sent.append(trace_id)

        def listed() -> list[dict[str, Any]] | None:
            answer = requests.get(f"{apm}/api/traces", timeout=30)
            assert answer.status_code == 200, answer.text
            traces = answer.json()["traces"]
            return traces if len(traces) >= len(sent) else None

        # Written just after each answer (thinker_local.agent.writer), on the fresh file.
        traces = until(listed, 30)
        assert traces is not None
        shown = {trace["trace_id"] for trace in traces}
        # The service map counts what the fresh store holds, each trace once.
        requests_by = {s["service"]: s["requests"] for s in store.services(3600)}
        calls = {(c.caller, c.callee): c.count for c in store.calls(3600)}
        assert requests_by["thinker-api"] == len(sent)
        assert calls["thinker-api", "thinker-microservice-gateway"] == len(sent)

    # The APM shows 128-bit ids; the payload carried the low 64 bits.
    assert all(any(shown_id.endswith(low) for shown_id in shown) for low in sent)
    assert len(shown) == len(sent)  # the damaged store's traces are in the file set aside
    assert len(said) == 1
    [moved] = set_aside(tmp_path)
    assert str(moved) in said[0]


def test_a_store_of_an_older_version_is_migrated_not_discarded(tmp_path: Path) -> None:
    """Before functions.service existed, a store's functions table had seven columns."""
    path = tmp_path / "traces.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE functions (name TEXT PRIMARY KEY, logical_id TEXT NOT NULL,"
            " memory_mb INTEGER NOT NULL, timeout_s REAL NOT NULL, architecture TEXT NOT NULL,"
            " runtime TEXT NOT NULL, api TEXT)"
        )
        old.execute("INSERT INTO functions VALUES ('f', 'F', 128, 3.0, 'x86_64', 'py', 'REST')")
    said: list[str] = []
    with TraceStore(path, say=said.append) as store:
        [kept] = store.invocations.functions()
        assert (kept.name, kept.memory_mb, kept.service) == ("f", 128, "")
        store.invocations.set_functions(
            [FunctionInfo("g", "G", 256, 3.0, "arm64", "py", None, "s")]
        )
        assert [f.service for f in store.invocations.functions()] == ["s"]
    assert said == []
    assert set_aside(tmp_path) == []


def test_a_full_disk_makes_the_agent_answer_429_until_there_is_space_losing_nothing(
    tmp_path: Path, seed: Chunks
) -> None:
    said: list[str] = []
    path = tmp_path / "traces.sqlite3"
    with TraceStore(path, say=said.append) as store, serve(create_agent_app(store)) as agent:
        database: Database = store._db
        pages = database.query("PRAGMA page_count")[0][0]
        # SQLite answers SQLITE_FULL at the file's page limit as at the disk's end.
        database.query(f"PRAGMA max_page_count = {pages + 2}")

        def send_copy(index: int) -> requests.Response:
            chunks, _ = new_trace(seed, index)
            return send(agent, json.dumps(chunks).encode())

        # Taken (the agent answers once it has decoded a payload); its write finds no space.
        first, _ = new_trace(seed, 0)
        assert send(agent, json.dumps(first).encode()).status_code == 200
        assert until(lambda: said, 30)
        assert [send_copy(i).status_code for i in range(1, 3)] == [429, 429]
        assert store.span_count() == 0
        assert len(said) == 1
        assert "full" in said[0]
        assert "429" in said[0]

        database.query("PRAGMA max_page_count = 1073741823")
        # What was taken is kept and written once there is space, without being sent again.
        assert until(lambda: store.span_count() == sum(map(len, first)), 30)
        assert until(lambda: send_copy(5).status_code == 200, 30)
        assert until(lambda: store.span_count() > sum(map(len, first)), 30)
    assert len(said) == 2
    assert "space again" in said[1]
    assert set_aside(tmp_path) == []
