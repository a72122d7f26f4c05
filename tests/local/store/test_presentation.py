"""Which tags a trace view prints beside a span: those the function's own code recorded."""

from __future__ import annotations

import json

from tests.support.seed_chunks import FIXTURE
from thinker_local.store import Span
from thinker_local.store.presentation import own_tags


def span(name: str, **meta: str) -> Span:
    return Span(
        trace_id="t", span_id="1", parent_id=None, service="s", name=name, resource=name,
        type="", start=0, duration=1, error=False, meta=meta,
    )  # fmt: skip


def test_a_span_the_code_opened_shows_its_tags_but_not_the_common_or_error_ones() -> None:
    opened = span(
        "checkout", env="dev", language="python", **{"_dd.base_service": "s"},
        **{"error.type": "KeyError", "error.message": "x"}, cart="42", user="ada",
    )  # fmt: skip

    assert own_tags(opened) == {"cart": "42", "user": "ada"}


def test_integration_and_lambda_spans_show_none() -> None:
    assert own_tags(span("requests.request", component="requests", cart="42")) == {}
    assert own_tags(span("aws.lambda", cold_start="true", functionname="f")) == {}
    assert own_tags(span("aws.apigateway", apiid="abc")) == {}


def test_in_the_seed_trace_only_think_spans_show_a_tag_their_subject() -> None:
    def spans(node: object) -> list[dict[str, object]]:
        if isinstance(node, dict):
            found = [node] if isinstance(node.get("meta"), dict) else []
            return found + [s for value in node.values() for s in spans(value)]
        if isinstance(node, list):
            return [s for value in node for s in spans(value)]
        return []

    shown = {}
    for raw in spans(json.loads(FIXTURE.read_text())):
        tags = own_tags(
            span(str(raw["name"]), **{str(k): str(v) for k, v in raw["meta"].items()})  # type: ignore[union-attr]
        )
        if tags:
            shown.setdefault(raw["name"], []).append(tags)

    assert shown == {"think": [{"subject": "technology"}, {"subject": "foo_bar"}]}
