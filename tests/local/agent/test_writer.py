"""The agent's writer: payloads taken are written in order, in batches; none is dropped."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.support.seed_chunks import Chunks, trace_copy
from thinker_local.agent.writer import SpanWriter
from thinker_local.store import TraceStore
from thinker_local.waiting import until


class HeldStore(TraceStore):
    """A store whose writes wait until ``release`` is set, and that counts its writes."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.release = threading.Event()
        self.writes: list[int] = []

    def add_chunks(self, chunks: Iterable[Any]) -> int:
        self.release.wait(timeout=60)
        written = super().add_chunks(chunks)
        self.writes.append(written)
        return written


def _copies(seed: Chunks, count: int) -> list[Chunks]:
    return [trace_copy(seed, number, start_ns=10**18 + number) for number in range(count)]


def test_a_full_queue_makes_a_payload_wait_then_refuses_it_and_nothing_is_lost(
    tmp_path: Path, seed: Chunks
) -> None:
    store = HeldStore(tmp_path / "traces.sqlite3")
    size = sum(map(len, seed))
    writer = SpanWriter(store, max_queued_spans=2 * size)
    first, second, third, fourth = _copies(seed, 4)
    try:
        assert writer.put(first, timeout=0)
        assert writer.put(second, timeout=0)
        # Two payloads wait to be written: no room for a third, now or within the timeout.
        assert not writer.put(third, timeout=0)
        assert not writer.put(third, timeout=0.2)

        waiting = threading.Thread(target=lambda: writer.put(fourth, timeout=30))
        waiting.start()
        store.release.set()
        waiting.join(timeout=30)
        assert not waiting.is_alive()
        assert until(lambda: sum(store.writes) == 3 * size, 30)
        assert store.span_count() == 3 * size
    finally:
        store.release.set()
        writer.close()
        store.close()


def test_payloads_queued_meanwhile_go_in_one_transaction_and_the_close_writes_them(
    tmp_path: Path, seed: Chunks
) -> None:
    store = HeldStore(tmp_path / "traces.sqlite3")
    writer = SpanWriter(store)
    for payload in _copies(seed, 5):
        assert writer.put(payload, timeout=0)
    assert store.span_count() == 0
    store.release.set()
    writer.close()
    # At most the first alone (if the writer took it before the others came), then the rest.
    assert len(store.writes) <= 2
    assert store.span_count() == sum(store.writes) == 5 * sum(map(len, seed))
    store.close()


def test_a_payload_that_cannot_be_stored_costs_only_itself(tmp_path: Path, seed: Chunks) -> None:
    store = HeldStore(tmp_path / "traces.sqlite3")
    writer = SpanWriter(store)
    good, other = _copies(seed, 2)
    # Decoded and verified, yet SQLite takes no integer past 64 bits.
    bad = copy.deepcopy(_copies(seed, 3)[2])
    bad[0][0]["start"] = 2**70
    for payload in (good, bad, other):
        assert writer.put(payload, timeout=0)
    store.release.set()
    writer.close()
    assert store.span_count() == 2 * sum(map(len, seed))
    store.close()
