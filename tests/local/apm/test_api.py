"""The JSON API's contract: the names and shapes scripts and other tests rely on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from thinker_local.apm import create_apm_app
from thinker_local.harness.servers import serve
from thinker_local.store import TraceStore

SPAN_KEYS = {
    "trace_id",
    "span_id",
    "parent_id",
    "service",
    "name",
    "resource",
    "start",
    "duration",
    "error",
    "meta",
    "metrics",
}


@pytest.fixture
def apm(seeded_store: TraceStore) -> Iterator[str]:
    with serve(create_apm_app(seeded_store)) as url:
        yield url


def get(url: str, **params: str) -> requests.Response:
    return requests.get(url, params=params, timeout=10)


def test_services_lists_every_service_with_its_numbers(apm: str) -> None:
    body = get(f"{apm}/api/services", window="15m").json()
    assert body["window"] == 900
    services = {s["service"]: s for s in body["services"]}
    assert {"thinker-api", "thinker-microservice", "thinker-api-gateway"} <= set(services)
    api = services["thinker-api"]
    assert {"requests", "errors", "error_rate", "p50", "p95", "p99", "kind", "label"} <= set(api)
    assert api["requests"] == 1


def test_resources_of_a_service(apm: str) -> None:
    body = get(f"{apm}/api/services/thinker-api/resources").json()
    rows = {(r["name"], r["resource"]): r for r in body["resources"]}
    assert rows[("aws.lambda", "thinker-api")]["requests"] == 1
    assert ("requests.request", "GET /") in rows  # the measured outgoing call
    assert {"requests", "errors", "p50", "p95", "p99", "total_time"} <= set(
        rows[("aws.lambda", "thinker-api")]
    )


def test_traces_newest_first_with_filters(apm: str) -> None:
    (trace,) = get(f"{apm}/api/traces", service="thinker-api", resource="thinker-api").json()[
        "traces"
    ]
    assert trace["status"] == "200"
    assert trace["error"] is True
    assert (
        get(f"{apm}/api/traces", tag="subject:foo_bar").json()["traces"][0]["trace_id"]
        == (trace["trace_id"])
    )
    assert get(f"{apm}/api/traces", tag="subject:nope").json()["traces"] == []
    assert get(f"{apm}/api/traces", error="false").json()["traces"] == []


def test_one_trace_by_id_has_every_span_in_the_documented_shape(apm: str) -> None:
    (summary,) = get(f"{apm}/api/traces").json()["traces"]
    body = get(f"{apm}/api/traces/{summary['trace_id']}").json()
    assert body["trace_id"] == summary["trace_id"]
    assert all(set(span) >= SPAN_KEYS for span in body["spans"])
    ids = {span["span_id"] for span in body["spans"]}
    roots = [span for span in body["spans"] if span["parent_id"] is None]
    assert [(r["service"], r["name"]) for r in roots] == [("thinker-api-gateway", "aws.apigateway")]
    assert all(s["parent_id"] in ids for s in body["spans"] if s["parent_id"] is not None)
    assert all(isinstance(s["span_id"], str) for s in body["spans"])  # 64-bit safe in JS
    shares = {s["service"]: s["share"] for s in body["services"]}
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["thinker-microservice"] > 0


def test_a_trace_is_found_by_its_decimal_datadog_id(apm: str) -> None:
    (summary,) = get(f"{apm}/api/traces").json()["traces"]
    low_bits = str(int(summary["trace_id"][16:], 16))
    assert get(f"{apm}/api/traces/{low_bits}").json()["trace_id"] == summary["trace_id"]


def test_unknown_trace_is_404_and_bad_parameters_are_400(apm: str) -> None:
    assert get(f"{apm}/api/traces/{'f' * 32}").status_code == 404
    assert get(f"{apm}/api/services", window="forever").status_code == 400
    assert get(f"{apm}/api/traces", tag="no-colon").status_code == 400
    assert get(f"{apm}/api/traces", error="maybe").status_code == 400


def test_timeseries_for_a_resource(apm: str) -> None:
    body = get(
        f"{apm}/api/timeseries",
        service="thinker-api",
        resource="thinker-api",
        window="1h",
        buckets="12",
    ).json()
    assert body["interval"] == 300
    assert len(body["points"]) == 12
    assert sum(p["requests"] for p in body["points"]) == 1
    assert {"time", "requests", "errors", "p50", "p95", "p99"} <= set(body["points"][0])


def test_pages_are_served_for_every_view(apm: str) -> None:
    for path in (
        "/",
        "/services/thinker-api",
        "/resource?service=a&resource=b",
        "/live",
        f"/traces/{'a' * 32}",
    ):
        response = get(apm + path)
        assert response.status_code == 200
        assert "text/html" in response.headers["Content-Type"]
