"""The service map: who calls whom, how often, how well, and where each box goes on the page.

- An **edge** joins two services when a span of one has a child span in the other (the HTTP
  client span of one function and the API Gateway span of the API it calls), or when a client span
  calls an inferred service (DynamoDB, by ``peer.service``). Its figures are those of the
  callee's side of each call: the child span, or the client span for an inferred service.
- The **layout** is layered by call depth, left to right: a service sits one column right of its
  deepest caller; back edges of a cycle are drawn but do not push columns. Every edge label sits in
  the gap between two columns, and labels sharing a gap are stacked so that none overlaps another
  label or a box. The page only draws what this module places, so the layout is tested here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..stats import RequestStats
from ..store.spans import Call, Calls

# Sizes in SVG pixels; the page draws node text at 12 px and edge labels at 11 px.
NODE_CHAR_PX = 7.4
LABEL_CHAR_PX = 6.6
NODE_PADDING_PX = 14
NODE_HEIGHT_PX = 48
NODE_MIN_WIDTH_PX = 150
LABEL_LINE_PX = 14
LABEL_PADDING_PX = 6
ROW_PITCH_PX = 96
MIN_GAP_PX = 80
GAP_MARGIN_PX = 18
LABEL_SPACING_PX = 6
MARGIN_PX = 20
# Error rates at which a node turns amber, then red.
WARN_ERROR_RATE = 0.0
BAD_ERROR_RATE = 0.05


@dataclass
class Edge(Calls):
    """Every call from one service to another in the window."""

    def figures(self, window_s: float) -> dict[str, Any]:
        """Calls, calls per second, error rate and latency percentiles (ns), as in the API."""
        stats = RequestStats.of(self.durations, self.errors)
        return {
            "caller": self.caller,
            "callee": self.callee,
            "requests": stats.requests,
            "rate": stats.requests / window_s if window_s > 0 else 0.0,
            "errors": stats.errors,
            "error_rate": stats.error_rate,
            "p50": stats.p50,
            "p95": stats.p95,
            "p99": stats.p99,
        }


def aggregate(calls: Iterable[Call]) -> list[Edge]:
    """The edges of a set of calls, in a stable order (caller, then callee)."""
    edges: dict[tuple[str, str], Edge] = {}
    for call in calls:
        if call.caller == call.callee:
            continue
        edge = edges.get((call.caller, call.callee))
        if edge is None:
            edge = edges[call.caller, call.callee] = Edge(call.caller, call.callee)
        edge.durations.append(call.duration)
        edge.errors += int(call.error)
    return [edges[key] for key in sorted(edges)]


def edges(calls: Iterable[Calls]) -> list[Edge]:
    """The edges of the store's calls (one :class:`Calls` a caller and callee), in their order."""
    found = [Edge(c.caller, c.callee, c.durations, c.errors) for c in calls if c.caller != c.callee]
    return sorted(found, key=lambda edge: (edge.caller, edge.callee))


def health(error_rate: float) -> str:
    """A node's colour class: ``ok``, ``warn`` (some errors) or ``bad`` (5 % or more)."""
    if error_rate >= BAD_ERROR_RATE:
        return "bad"
    if error_rate > WARN_ERROR_RATE:
        return "warn"
    return "ok"


def format_duration(ns: float) -> str:
    """A latency as the pages write it (``850 µs``, ``31.2 ms``, ``1.25 s``)."""
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.0f} ms" if ns >= 1e8 else f"{ns / 1e6:.1f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.0f} µs"
    return f"{ns:.0f} ns"


def format_rate(per_second: float) -> str:
    """Requests per second with the digits that matter at that size."""
    if per_second >= 10:
        return f"{per_second:.0f}/s"
    if per_second >= 0.1:
        return f"{per_second:.2f}/s"
    return f"{per_second:.4f}/s"


def format_share(rate: float) -> str:
    """An error rate as a percentage."""
    return f"{rate * 100:.1f}%" if 0 < rate < 0.1 else f"{rate * 100:.0f}%"


def edge_label(figures: Mapping[str, Any]) -> list[str]:
    """An edge's two lines of text: calls and rate; error rate and p95."""
    return [
        f"{figures['requests']} req · {format_rate(figures['rate'])}",
        f"{format_share(figures['error_rate'])} err · p95 {format_duration(figures['p95'])}",
    ]


def node_label(node: Mapping[str, Any]) -> list[str]:
    """A node's two lines of text: its name, then what it is and its error rate."""
    detail = f"{node.get('kind') or 'service'} · {format_share(node.get('error_rate', 0.0))} err"
    return [str(node.get("label") or node["service"]), detail]


@dataclass(frozen=True)
class Box:
    """A rectangle: left, top, width, height."""

    x: float
    y: float
    width: float
    height: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )

    def to_json(self) -> dict[str, float]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}


@dataclass(frozen=True)
class Layout:
    """Where every node and every edge label goes, and the drawing's size."""

    width: float
    height: float
    nodes: dict[str, Box]
    labels: dict[tuple[str, str], Box]
    columns: dict[str, int]
    back_edges: frozenset[tuple[str, str]]


def _text_width(lines: Sequence[str], char_px: float) -> float:
    return max((len(line) for line in lines), default=0) * char_px


def _columns(
    names: Sequence[str], links: Sequence[tuple[str, str]]
) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Call depth of each node (longest path from a node nobody calls) and the back edges."""
    callees: dict[str, list[str]] = defaultdict(list)
    called = set()
    for caller, callee in links:
        callees[caller].append(callee)
        called.add(callee)
    # Depth-first from the entry points (then from whatever a cycle hides) finds back edges.
    state: dict[str, int] = {}
    back: set[tuple[str, str]] = set()
    order: list[str] = []
    for start in [n for n in names if n not in called] + list(names):
        if start in state:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        state[start] = 1
        while stack:
            node, index = stack.pop()
            if index < len(callees[node]):
                stack.append((node, index + 1))
                nxt = callees[node][index]
                if state.get(nxt) == 1:
                    back.add((node, nxt))
                elif nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                order.append(node)
    column = dict.fromkeys(names, 0)
    for node in reversed(order):  # a topological order of the edges that are not back edges
        for nxt in callees[node]:
            if (node, nxt) not in back:
                column[nxt] = max(column[nxt], column[node] + 1)
    return column, back


def _rows(
    names: Sequence[str], column: Mapping[str, int], links: Sequence[tuple[str, str]]
) -> dict[str, float]:
    """Each node's row within its column: callers' mean row, so edges run as flat as they can."""
    by_column: dict[int, list[str]] = defaultdict(list)
    for name in names:
        by_column[column[name]].append(name)
    callers: dict[str, list[str]] = defaultdict(list)
    for caller, callee in links:
        if column[caller] < column[callee]:
            callers[callee].append(caller)
    row: dict[str, float] = {}
    for index in sorted(by_column):
        first_seen = {name: position for position, name in enumerate(by_column[index])}

        def barycentre(name: str, first_seen: dict[str, int] = first_seen) -> tuple[float, int]:
            placed = [row[c] for c in callers[name] if c in row]
            mean = sum(placed) / len(placed) if placed else float(first_seen[name])
            return mean, first_seen[name]

        for position, name in enumerate(sorted(by_column[index], key=barycentre)):
            row[name] = float(position)
    return row


def _anchor(caller: Box, callee: Box, x: float, *, forward: bool) -> float:
    """Where an edge crosses the vertical line at ``x``; a cycle's edge runs below its ends."""
    ya, yb = caller.y + caller.height / 2, callee.y + callee.height / 2
    if not forward:
        return max(ya, yb) + ROW_PITCH_PX / 2
    xa, xb = caller.x + caller.width, callee.x
    share = (x - xa) / (xb - xa) if xb > xa else 0.5
    return ya + (yb - ya) * share


def layout(
    nodes: Mapping[str, Sequence[str]], edges: Mapping[tuple[str, str], Sequence[str]]
) -> Layout:
    """Place nodes (name → text lines) and edge labels ((caller, callee) → text lines)."""
    names = list(nodes)
    links = [link for link in edges if link[0] in nodes and link[1] in nodes]
    column, back = _columns(names, links)
    row = _rows(names, column, links)
    count = max(column.values(), default=-1) + 1
    sizes = {
        name: (
            max(NODE_MIN_WIDTH_PX, _text_width(lines, NODE_CHAR_PX) + 2 * NODE_PADDING_PX),
            float(NODE_HEIGHT_PX),
        )
        for name, lines in nodes.items()
    }
    label_sizes = {
        link: (
            _text_width(edges[link], LABEL_CHAR_PX) + 2 * LABEL_PADDING_PX,
            len(edges[link]) * LABEL_LINE_PX + LABEL_PADDING_PX,
        )
        for link in links
    }

    # Which gap between columns each label sits in: right of its caller, or for an edge that
    # runs backwards, left of its caller (right of the first column if the caller is there).
    def gap_of(link: tuple[str, str]) -> int:
        caller = column[link[0]]
        if link in back or column[link[1]] <= caller:
            return caller - 1 if caller > 0 else caller
        return caller

    gaps: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for link in links:
        gaps[gap_of(link)].append(link)
    column_width = [0.0] * count
    for name in names:
        column_width[column[name]] = max(column_width[column[name]], sizes[name][0])
    gap_width = [
        max([MIN_GAP_PX, *(label_sizes[link][0] + 2 * GAP_MARGIN_PX for link in gaps[i])])
        for i in range(max(count, 1))
    ]
    left = []
    x = float(MARGIN_PX)
    for index in range(count):
        left.append(x)
        x += column_width[index] + gap_width[index]
    width = x - gap_width[count - 1] + MARGIN_PX if count else 2.0 * MARGIN_PX
    if any(gap_of(link) == count - 1 for link in links):
        width += gap_width[count - 1]  # a back edge from the only column sits right of it

    rows_per_column: dict[int, int] = defaultdict(int)
    for name in names:
        rows_per_column[column[name]] += 1
    tallest = max(rows_per_column.values(), default=0)
    boxes: dict[str, Box] = {}
    for name in names:
        offset = (tallest - rows_per_column[column[name]]) / 2
        centre_y = MARGIN_PX + NODE_HEIGHT_PX / 2 + (row[name] + offset) * ROW_PITCH_PX
        node_width, node_height = sizes[name]
        centre_x = left[column[name]] + column_width[column[name]] / 2
        boxes[name] = Box(
            centre_x - node_width / 2, centre_y - node_height / 2, node_width, node_height
        )

    labels: dict[tuple[str, str], Box] = {}
    bottom = max((box.y + box.height for box in boxes.values()), default=0.0)
    for gap, members in gaps.items():
        gap_left = left[gap] + column_width[gap]
        centre_x = gap_left + gap_width[gap] / 2

        def anchor(link: tuple[str, str], centre_x: float = centre_x) -> float:
            forward = gap_of(link) == column[link[0]] < column[link[1]]
            return _anchor(boxes[link[0]], boxes[link[1]], centre_x, forward=forward)

        previous_bottom = float("-inf")
        for link in sorted(members, key=lambda link: (anchor(link), link)):
            label_width, label_height = label_sizes[link]
            top = max(anchor(link) - label_height / 2, previous_bottom + LABEL_SPACING_PX)
            labels[link] = Box(centre_x - label_width / 2, top, label_width, label_height)
            previous_bottom = top + label_height
            bottom = max(bottom, previous_bottom)
    return Layout(
        width=width,
        height=bottom + MARGIN_PX,
        nodes=boxes,
        labels=labels,
        columns=column,
        back_edges=frozenset(back),
    )


def service_map(
    services: Sequence[Mapping[str, Any]], edges: Sequence[Edge], window_s: float
) -> dict[str, Any]:
    """The map as the API returns it: nodes and edges with their figures, text and places."""
    figures = [edge.figures(window_s) for edge in edges]
    known = {str(node["service"]) for node in services}
    named = {f["caller"] for f in figures} | {f["callee"] for f in figures}
    # A service seen only as a caller or callee still gets a node (with no figures of its own).
    nodes = [dict(node) for node in services] + [
        {"service": name, "label": name, "kind": "", "requests": 0, "errors": 0, "error_rate": 0.0}
        for name in sorted(named - known)
    ]
    node_text = {str(node["service"]): node_label(node) for node in nodes}
    edge_text = {(f["caller"], f["callee"]): edge_label(f) for f in figures}
    placed = layout(node_text, edge_text)
    return {
        "window": window_s,
        "width": placed.width,
        "height": placed.height,
        "nodes": [
            {
                **node,
                "lines": node_text[str(node["service"])],
                "health": health(float(node.get("error_rate", 0.0))),
                "column": placed.columns[str(node["service"])],
                "box": placed.nodes[str(node["service"])].to_json(),
            }
            for node in nodes
        ],
        "edges": [
            {
                **f,
                "lines": edge_text[f["caller"], f["callee"]],
                "back": (f["caller"], f["callee"]) in placed.back_edges,
                "label_box": placed.labels[f["caller"], f["callee"]].to_json(),
            }
            for f in figures
        ],
    }
