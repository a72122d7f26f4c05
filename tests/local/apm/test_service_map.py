"""The service map's arithmetic and layout: edges from calls, and boxes that never overlap."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thinker_local.apm.service_map import (
    Box,
    Layout,
    aggregate,
    edge_label,
    health,
    layout,
    node_label,
    service_map,
)
from thinker_local.store.spans import Call

SEED_CHAIN = [
    "thinker-api-gateway",
    "thinker-api",
    "thinker-microservice-gateway",
    "thinker-microservice",
    "dynamodb.us-east-1.amazonaws.com",
]


def _boxes(placed: Layout) -> list[tuple[str, Box]]:
    return [(f"node {n}", b) for n, b in placed.nodes.items()] + [
        (f"label {a}→{b}", box) for (a, b), box in placed.labels.items()
    ]


def assert_readable(placed: Layout) -> None:
    """No two boxes overlap, and every box lies inside the drawing."""
    boxes = _boxes(placed)
    for (name_a, a), (name_b, b) in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), f"{name_a} {a} overlaps {name_b} {b}"
    for name, box in boxes:
        assert box.x >= 0, f"{name} starts left of the drawing: {box}"
        assert box.y >= 0, f"{name} starts above the drawing: {box}"
        assert box.x + box.width <= placed.width, f"{name} ends right of the drawing"
        assert box.y + box.height <= placed.height, f"{name} ends below the drawing"


def _text(
    names: list[str], links: list[tuple[str, str]]
) -> tuple[dict[str, list[str]], dict[tuple[str, str], list[str]]]:
    nodes = {
        name: node_label({"service": name, "kind": "Lambda", "error_rate": 0.0}) for name in names
    }
    edges = {
        link: edge_label({"requests": 1200, "rate": 0.333, "error_rate": 0.0125, "p95": 31_200_000})
        for link in links
    }
    return nodes, edges


def test_calls_between_two_services_make_one_edge_with_their_figures() -> None:
    calls = [
        Call("thinker-api", "thinker-microservice-gateway", duration, error)
        for duration, error in [(10, False), (20, False), (30, True), (40, False)]
    ] + [Call("thinker-microservice", "dynamodb", 5, False)] * 2
    edges = aggregate(calls)
    assert [(e.caller, e.callee, e.count, e.errors) for e in edges] == [
        ("thinker-api", "thinker-microservice-gateway", 4, 1),
        ("thinker-microservice", "dynamodb", 2, 0),
    ]
    figures = edges[0].figures(window_s=8.0)
    assert figures["rate"] == 0.5
    assert figures["error_rate"] == 0.25
    # Linear interpolation between closest ranks: 30 + 0.85 * (40 - 30).
    assert figures["p95"] == pytest.approx(38.5)
    assert figures["p50"] == pytest.approx(25.0)


def test_a_call_within_one_service_is_no_edge() -> None:
    assert aggregate([Call("a", "a", 1, False)]) == []


def test_nodes_turn_amber_on_any_error_and_red_from_five_percent() -> None:
    assert [health(rate) for rate in (0.0, 0.01, 0.0499, 0.05, 1.0)] == [
        "ok",
        "warn",
        "warn",
        "bad",
        "bad",
    ]


def test_edge_labels_say_calls_rate_errors_and_p95() -> None:
    figures = {"requests": 12, "rate": 0.2, "error_rate": 0.0, "p95": 31_250_000}
    assert edge_label(figures) == ["12 req · 0.20/s", "0% err · p95 31.2 ms"]


def test_the_seed_chain_is_one_row_left_to_right() -> None:
    links = list(itertools.pairwise(SEED_CHAIN))
    placed = layout(*_text(SEED_CHAIN, links))
    assert [placed.columns[name] for name in SEED_CHAIN] == [0, 1, 2, 3, 4]
    centres = {placed.nodes[name].y + placed.nodes[name].height / 2 for name in SEED_CHAIN}
    assert len(centres) == 1
    lefts = [placed.nodes[name].x for name in SEED_CHAIN]
    assert lefts == sorted(lefts)
    # Each label sits between the two boxes it joins.
    for caller, callee in links:
        label = placed.labels[caller, callee]
        assert placed.nodes[caller].x + placed.nodes[caller].width < label.x
        assert label.x + label.width < placed.nodes[callee].x
    assert_readable(placed)


def ten_services(seed: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Ten services: gateways fanning out to functions that share callees, a cycle, a skip."""
    names = [f"service-{i}-{'x' * (seed % 3 * 6)}" for i in range(10)]
    rng = random.Random(seed)
    links = {(names[0], names[1]), (names[0], names[2]), (names[1], names[3])}
    links |= {(names[2], names[3]), (names[3], names[9]), (names[1], names[9])}
    for _ in range(10):
        a, b = rng.sample(names, 2)
        links.add((a, b))
    links.add((names[9], names[0]))  # a call back to the entry: a cycle
    return names, sorted(links)


@pytest.mark.parametrize("seed", range(6))
def test_ten_services_are_laid_out_with_no_overlap(seed: int) -> None:
    names, links = ten_services(seed)
    placed = layout(*_text(names, links))
    assert set(placed.nodes) == set(names)
    assert set(placed.labels) == set(links)
    assert_readable(placed)
    # Forward edges go right; only the edges closing a cycle may go back.
    for caller, callee in links:
        if (caller, callee) not in placed.back_edges:
            assert placed.columns[caller] < placed.columns[callee]
    assert placed.back_edges


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=10).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(
                st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(
                    lambda e: e[0] != e[1]
                ),
                max_size=25,
                unique=True,
            ),
        )
    )
)
def test_any_graph_of_up_to_ten_services_has_no_overlap(
    graph: tuple[int, list[tuple[int, int]]],
) -> None:
    count, pairs = graph
    names = [f"svc{i}" for i in range(count)]
    links = [(names[a], names[b]) for a, b in pairs]
    assert_readable(layout(*_text(names, links)))


def test_the_map_document_gives_each_node_and_edge_its_text_and_place() -> None:
    services = [
        {
            "service": "thinker-api",
            "label": "thinker-api",
            "kind": "Lambda",
            "requests": 4,
            "errors": 1,
            "error_rate": 0.25,
        },
        {
            "service": "dynamodb.us-east-1.amazonaws.com",
            "label": "DynamoDB",
            "kind": "DynamoDB",
            "requests": 8,
            "errors": 0,
            "error_rate": 0.0,
        },
    ]
    edges = aggregate(
        [Call("thinker-api", "dynamodb.us-east-1.amazonaws.com", 1_000_000, False)] * 8
        + [Call("caller-only", "thinker-api", 5_000_000, False)]
    )
    document = service_map(services, edges, window_s=60.0)
    nodes = {node["service"]: node for node in document["nodes"]}
    assert set(nodes) == {"thinker-api", "dynamodb.us-east-1.amazonaws.com", "caller-only"}
    assert nodes["thinker-api"]["health"] == "bad"
    assert nodes["dynamodb.us-east-1.amazonaws.com"]["lines"][0] == "DynamoDB"
    assert [node["column"] for node in document["nodes"]] == [1, 2, 0]
    edge = next(e for e in document["edges"] if e["callee"].startswith("dynamodb"))
    assert edge["requests"] == 8
    assert edge["rate"] == pytest.approx(8 / 60)
    assert edge["lines"][0] == "8 req · 0.13/s"
