"""A trace's spans as a tree: display order, depth, and the time each service spent.

Shared by the trace page's JSON and the terminal's ``trace`` command.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..store import Span

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


def self_times(spans: Sequence[Span]) -> dict[str, int]:
    """Nanoseconds each span spends outside its children, within the trace's extent.

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
        covered = _union(
            [(max(c.start, start), min(c.start + c.duration, end)) for c in by_parent[span.span_id]]
        )
        result[span.span_id] = max(0, end - start - covered)
    return result


def service_times(spans: Sequence[Span]) -> list[dict[str, object]]:
    """Each service's own time in the trace and its share of the total, largest first."""
    own = self_times(spans)
    per_service: dict[str, int] = defaultdict(int)
    for span in spans:
        per_service[span.service] += own[span.span_id]
    total = sum(per_service.values()) or 1
    return [
        {"service": service, "time": time, "share": time / total}
        for service, time in sorted(per_service.items(), key=lambda item: -item[1])
        if time > 0
    ]


def _union(intervals: Iterator[tuple[int, int]] | Sequence[tuple[int, int]]) -> int:
    total = 0
    current_start = current_end = None
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None and current_start is not None:
        total += current_end - current_start
    return total
