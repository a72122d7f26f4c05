"""The trace payloads the agent has taken, written to the store from a thread of its own.

The Datadog Agent (and the Lambda extension) answers a tracer as soon as a payload is decoded,
and processes it afterwards. ddtrace waits for that answer: in a Lambda function, where its
writer is synchronous, before the invocation ends, so the agent's answer time is part of every
request's. This agent answers the same way. A payload it has decoded is queued; a thread writes
what is queued, several payloads in one transaction when they came in while it wrote the last.

- **Nothing is dropped** but a payload that cannot be stored (values SQLite refuses): it is
  said, and the payloads batched with it are stored one by one. A full queue
  (:data:`MAX_QUEUED_SPANS`) makes the next payload wait for room, and after :data:`ROOM_WAIT_S`
  the agent answers 429, as the Datadog Agent does when it cannot keep up (the tracer sends
  again). A full disk keeps what is queued, retried every :data:`RETRY_S` seconds, and the agent
  answers 429 to new payloads until there is space. At the stop, what is queued is written
  first.
- **Seen soon.** A payload is in the store a few milliseconds after the answer; wait for a
  trace (poll), as for any trace sent by a tracer, rather than reading the store at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from ..store import StoreFull, TraceStore
from .batches import Batches

logger = logging.getLogger(__name__)

# Spans queued at most before a payload waits for room: a few seconds of writing.
MAX_QUEUED_SPANS = 50_000
# How long a payload waits for room before the agent answers 429.
ROOM_WAIT_S = 10.0
# How often what is queued is tried again while the disk is full.
RETRY_S = 1.0
# A transaction is written as soon as one payload waits (what queued meanwhile joins it).
_WAKE_AT = 1
_IDLE_S = 1.0

Chunks = Sequence[Sequence[Any]]


class SpanWriter:
    """Decoded payloads queued by the agent's handlers, written to ``store`` in batches."""

    def __init__(self, store: TraceStore, *, max_queued_spans: int = MAX_QUEUED_SPANS) -> None:
        self._store = store
        self._max_queued = max_queued_spans
        self._room = threading.Condition()
        self._queued = 0
        self._closing = False
        self.full = False
        self._batches = Batches[Chunks](
            self._write, name="span-writer", interval_s=_IDLE_S, max_batch=_WAKE_AT
        )

    def put(self, chunks: Chunks, timeout: float = ROOM_WAIT_S) -> bool:
        """Queue a payload's chunks, waiting up to ``timeout`` for room (blocking: call it
        from a thread); ``False`` if there was none."""
        spans = sum(map(len, chunks))
        with self._room:
            # An empty queue takes any payload, however large.
            if not self._room.wait_for(
                lambda: self._queued == 0 or self._queued + spans <= self._max_queued, timeout
            ):
                return False
            self._queued += spans
        self._batches.put(chunks)
        return True

    def close(self) -> None:
        """Write what is queued, then stop; while the disk is full, what is left is said lost."""
        self._closing = True
        self._batches.close()

    def _write(self, payloads: list[Chunks]) -> None:
        spans = sum(len(chunk) for payload in payloads for chunk in payload)
        try:
            self._store_all(payloads, spans)
        finally:
            with self._room:
                self._queued -= spans
                self._room.notify_all()

    def _store_all(self, payloads: list[Chunks], spans: int) -> None:
        """Store the payloads in one transaction; one that cannot be stored (a bug, or values
        SQLite refuses) costs only itself: the others are then stored one by one."""
        try:
            self._write_once(payloads, spans)
        except Exception as error:
            if len(payloads) == 1:
                logger.warning("could not store a payload of %d spans: %r", spans, error)
                return
            for payload in payloads:
                self._store_all([payload], sum(map(len, payload)))

    def _write_once(self, payloads: list[Chunks], spans: int) -> None:
        """Store the payloads, trying again while the disk is full (until the close)."""
        chunks = [chunk for payload in payloads for chunk in payload]
        while True:
            try:
                self._store.add_chunks(chunks)
                self.full = False
                return
            except StoreFull:
                self.full = True
                if self._closing:
                    logger.warning("the disk is full: %d spans received were not stored", spans)
                    return
            time.sleep(RETRY_S)
