"""A stored span, as the store hands it out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """One stored span; ``start`` and ``duration`` in nanoseconds.

    Ids as stored: the trace id as 32 hex digits, span and parent ids as decimal strings (64-bit
    integers do not survive JavaScript's ``JSON.parse``); a root's parent is ``None``.
    """

    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    name: str
    resource: str
    type: str
    start: int
    duration: int
    error: bool
    meta: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One call from a service to another: the callee side's duration (ns) and whether it failed."""

    caller: str
    callee: str
    duration: int
    error: bool


@dataclass
class Calls:
    """Every call from one service to another in a window: the callee side's durations (ns, in
    no order) and how many failed."""

    caller: str
    callee: str
    durations: list[int] = field(default_factory=list)
    errors: int = 0

    @property
    def count(self) -> int:
        return len(self.durations)
