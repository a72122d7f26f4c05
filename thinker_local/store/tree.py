"""A trace's spans as a tree: display order, depth, and the time each service spent.

Shared by the trace page's JSON and the terminal's ``trace`` command.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from .spans import Span

# Cold-start tracing adds an aws.lambda.load span and one aws.lambda.import span per imported
# module: the views fold the imports unless asked for them.
LOAD_SPAN = "aws.lambda.load"
IMPORT_SPAN = "aws.lambda.import"


@dataclass(frozen=True)
class Node:
    """A span in display order: depth in the tree, and how many descendants it has."""

    span: Span
    depth: int
    descendants: int


def walk(spans: Sequence[Span]) -> list[Node]:
    """Depth-first, children by start time; spans whose parent is missing count as roots."""
    ids = {span.span_id for span in spans}
    children: dict[str | None, list[Span]] = defaultdict(list)
    for span in spans:
        parent = span.parent_id if span.parent_id in ids else None
        children[parent].append(span)
    for siblings in children.values():
        siblings.sort(key=lambda s: (s.start, s.span_id))

    nodes: list[Node] = []

    def visit(span: Span, depth: int) -> int:
        index = len(nodes)
        nodes.append(Node(span, depth, 0))
        count = sum(visit(child, depth + 1) for child in children[span.span_id])
        nodes[index] = Node(span, depth, count)
        return count + 1

    # Iterative depth would be safer for pathological traces; ddtrace's trees are shallow.
    for root in children[None]:
        visit(root, 0)
    return nodes


def bounds(spans: Sequence[Span]) -> tuple[int, int]:
    """The trace's start and duration (ns): the extent of its request spans.

    Cold-start spans are left out: an ``aws.lambda.load`` span begins when the execution
    environment started, which can be long before the request (a pre-warmed environment).
    """
    request = [s for s in spans if s.name not in (LOAD_SPAN, IMPORT_SPAN)] or list(spans)
    if not request:
        return 0, 0
    start = min(span.start for span in request)
    return start, max(span.start + span.duration for span in request) - start


def self_intervals(spans: Sequence[Span]) -> dict[str, list[tuple[int, int]]]:
    """The stretches (ns) each span spends outside its children, within the trace's extent.

    Children may overlap each other (the two ``think`` spans run concurrently).
    """
    first, length = bounds(spans)
    last = first + length
    by_parent: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        if span.parent_id:
            by_parent[span.parent_id].append(span)
    result = {}
    for span in spans:
        start, end = max(span.start, first), min(span.start + span.duration, last)
        children = _merged(
            [(max(c.start, start), min(c.start + c.duration, end)) for c in by_parent[span.span_id]]
        )
        own, cursor = [], start
        for child_start, child_end in children:
            if child_start > cursor:
                own.append((cursor, child_start))
            cursor = max(cursor, child_end)
        if end > cursor:
            own.append((cursor, end))
        result[span.span_id] = own
    return result


def self_times(spans: Sequence[Span]) -> dict[str, int]:
    """Nanoseconds each span spends outside its children, within the trace's extent."""
    return {span_id: _length(own) for span_id, own in self_intervals(spans).items()}


def service_times(spans: Sequence[Span]) -> list[dict[str, object]]:
    """Each service's own time in the trace and its share of the total, largest first.

    A service's time is the union of its spans' own stretches: two of its spans running at once
    (the concurrent ``think`` calls) count once, as wall-clock time, so the shares add up to the
    trace's duration rather than to more than it.
    """
    own = self_intervals(spans)
    stretches: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for span in spans:
        stretches[span.service].extend(own[span.span_id])
    per_service = {service: _length(_merged(found)) for service, found in stretches.items()}
    total = sum(per_service.values()) or 1
    return [
        {"service": service, "time": time, "share": time / total}
        for service, time in sorted(per_service.items(), key=lambda item: -item[1])
        if time > 0
    ]


def _merged(intervals: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Non-empty intervals merged where they overlap, in order."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _length(intervals: Sequence[tuple[int, int]]) -> int:
    return sum(end - start for start, end in intervals)
