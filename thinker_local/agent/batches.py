"""Items queued by whatever thread produces them, written in batches from a thread of its own.

The recorders that follow the stack's output (:mod:`.log_recorder`, :mod:`.report_recorder`)
hand each line to a :class:`Batches`: the thread that prints only appends to a list, and the
store's transactions (one a batch) never run on the event loop's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

FLUSH_S = 0.2
MAX_BATCH = 500


class Batches[T]:
    """Hands what is queued, in order, to ``write`` every ``interval_s`` seconds (sooner once
    ``max_batch`` items wait), from a thread named ``name``."""

    def __init__(
        self,
        write: Callable[[list[T]], object],
        *,
        name: str,
        interval_s: float = FLUSH_S,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._write = write
        self._interval_s = interval_s
        self._max_batch = max_batch
        self._pending: list[T] = []
        self._lock = threading.Lock()
        # Batches are written in the order queued: one flush at a time.
        self._writing = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, item: T) -> None:
        """Queue one item (from any thread)."""
        with self._lock:
            self._pending.append(item)
            if len(self._pending) >= self._max_batch:
                self._wake.set()

    def flush(self) -> None:
        """Write what is queued now (on the writing thread, or after it stopped)."""
        with self._writing:
            with self._lock:
                batch, self._pending = self._pending, []
            if batch:
                self._write(batch)

    def close(self) -> None:
        """Write what is queued and stop the writing thread."""
        self._closed.set()
        self._wake.set()
        self._thread.join()
        self.flush()

    def _run(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(self._interval_s)
            self._wake.clear()
            self.flush()
