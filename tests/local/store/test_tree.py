"""A trace's time: each span's own time, and each service's share, with concurrent spans."""

from __future__ import annotations

from thinker_local.store import Span
from thinker_local.store.tree import self_times, service_times

MS = 1_000_000


def span(span_id: str, parent: str | None, service: str, start_ms: int, end_ms: int) -> Span:
    return Span(
        trace_id="t", span_id=span_id, parent_id=parent, service=service, name=span_id,
        resource=span_id, type="", start=start_ms * MS, duration=(end_ms - start_ms) * MS,
        error=False,
    )  # fmt: skip


# The seed's shape: thinker-api waits on the microservice, whose handler runs think() twice at once.
SEED_SHAPED = [
    span("lambda", None, "thinker-api", 0, 100),
    span("handler", "lambda", "thinker-microservice", 10, 90),
    span("think-1", "handler", "thinker-microservice", 20, 70),
    span("think-2", "handler", "thinker-microservice", 20, 80),
]


def test_a_spans_own_time_leaves_out_its_overlapping_children() -> None:
    own = self_times(SEED_SHAPED)

    assert own == {"lambda": 20 * MS, "handler": 20 * MS, "think-1": 50 * MS, "think-2": 60 * MS}


def test_concurrent_spans_of_one_service_count_once_in_its_share() -> None:
    times = {s["service"]: (s["time"], s["share"]) for s in service_times(SEED_SHAPED)}

    # handler's 20 ms, then think-1 and think-2 together for 60 ms: 80 ms, not 130.
    assert times["thinker-microservice"] == (80 * MS, 0.8)
    assert times["thinker-api"] == (20 * MS, 0.2)
