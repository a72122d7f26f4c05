"""The local agent takes what ddtrace sends, stores traces whole, and never answers 404."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.apm_stack import Stack
from tests.support.expected import SEED_RESPONSE
from thinker_local.agent.intake import create_agent_app, forward_url_from_env
from thinker_local.harness.servers import serve
from thinker_local.store import TraceStore
from thinker_local.waiting import until

TRACED_PROGRAM = Path(__file__).with_name("tracer_script.py")


@pytest.fixture
def agent(store: TraceStore) -> Iterator[str]:
    with serve(create_agent_app(store)) as url:
        yield url


def run_traced_program(agent: str, api_version: str) -> tuple[str, str]:
    """Run a program traced by ddtrace against the agent; its trace id and its stderr."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DD_TRACE_AGENT_URL": agent,
        "DD_TRACE_API_VERSION": api_version,
        "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
        "DD_REMOTE_CONFIGURATION_ENABLED": "false",
    }
    completed = subprocess.run(
        [sys.executable, str(TRACED_PROGRAM)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return completed.stdout.strip().splitlines()[-1], completed.stderr


@pytest.mark.parametrize("api_version", ["v0.4", "v0.5"])
def test_a_real_tracer_payload_is_stored_whole(
    agent: str, store: TraceStore, api_version: str
) -> None:
    trace_id, stderr = run_traced_program(agent, api_version)
    assert len(trace_id) == 32
    assert int(trace_id[:16], 16), "ddtrace makes 128-bit ids: the high half is not zero"
    # Stored right after the agent's answer (thinker_local.agent.writer).
    assert until(lambda: len(store.trace(trace_id)) == 2, 30)
    spans = {span.name: span for span in store.trace(trace_id)}
    assert set(spans) == {"web.request", "cart.load"}
    root, child = spans["web.request"], spans["cart.load"]
    assert child.parent_id == root.span_id
    assert root.parent_id is None
    assert (root.service, root.resource, root.type) == ("shop", "GET /cart", "web")
    assert root.meta["http.status_code"] == "500"
    assert child.error
    assert child.meta["error.type"] == "builtins.KeyError"
    assert child.meta["subject"] == "foo_bar"
    assert "raise KeyError" in child.meta["error.stack"]
    assert f"endpoint '{api_version}/traces'" not in stderr  # no downgrade


def test_info_advertises_the_trace_endpoints(agent: str) -> None:
    info = requests.get(f"{agent}/info", timeout=5).json()
    assert {"/v0.4/traces", "/v0.5/traces", "/v0.6/stats"} <= set(info["endpoints"])
    assert "/v0.7/config" not in info["endpoints"]  # remote configuration is off
    assert info["client_drop_p0s"] is False  # the tracer must send every trace


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/v0.6/stats"),
        ("POST", "/v0.7/config"),
        ("POST", "/telemetry/proxy/api/v2/apmtelemetry"),
        ("POST", "/evp_proxy/v2/api/v2/llmobs"),
        ("POST", "/evp_proxy/v4/api/v2/errorsintake"),
        ("POST", "/dogstatsd/v2/proxy"),
        ("POST", "/profiling/v1/input"),
        ("POST", "/tracer_flare/v1"),
        ("POST", "/v0.7/traces"),
    ],
)
def test_everything_else_a_tracer_sends_is_accepted(agent: str, method: str, path: str) -> None:
    response = requests.request(method, f"{agent}{path}", data=b"\x80payload", timeout=5)
    assert 200 <= response.status_code < 300


def test_remote_configuration_answers_with_nothing_to_apply(agent: str) -> None:
    response = requests.post(f"{agent}/v0.7/config", json={"client": {}}, timeout=5)
    assert response.json() == {}


def test_a_malformed_payload_is_refused_and_nothing_stored(agent: str, store: TraceStore) -> None:
    response = requests.put(
        f"{agent}/v0.5/traces",
        data=b"\x92\x91\xa3abc\x91\x91\x01",
        headers={"Content-Type": "application/msgpack"},
        timeout=5,
    )
    assert response.status_code == 400
    assert store.span_count() == 0


def test_the_seed_request_is_one_trace_across_both_functions(
    stack: Stack, seed_trace: tuple[requests.Response, str]
) -> None:
    response, trace_id = seed_trace
    assert response.status_code == 200
    assert response.json() == SEED_RESPONSE
    spans = stack.store.trace(trace_id)
    by_id = {span.span_id: span for span in spans}
    path = [
        (s.service, s.name)
        for s in spans
        if s.name in ("aws.apigateway", "aws.lambda", "requests.request", "aiohttp.request")
    ]
    assert path == [
        ("thinker-api-gateway", "aws.apigateway"),
        ("thinker-api", "aws.lambda"),
        ("thinker-api", "requests.request"),
        ("thinker-microservice-gateway", "aws.apigateway"),
        ("thinker-microservice", "aws.lambda"),
        ("thinker-microservice", "aiohttp.request"),
    ]
    thinks = sorted((s for s in spans if s.name == "think"), key=lambda s: s.meta["subject"])
    assert [t.meta["subject"] for t in thinks] == ["foo_bar", "technology"]
    foo_bar, technology = thinks
    assert by_id[foo_bar.parent_id or ""].name == "aiohttp.request"
    assert foo_bar.error
    assert not technology.error
    assert foo_bar.meta["error.type"] == "builtins.KeyError"
    assert foo_bar.meta["error.message"] == "'foo_bar'"
    dynamodb = [s for s in spans if s.name == "dynamodb.command"]
    assert {by_id[s.parent_id or ""].meta["subject"] for s in dynamodb} == {"technology", "foo_bar"}


def test_payloads_are_relayed_unchanged_to_a_real_agent_when_asked(
    store: TraceStore, tmp_path: Path
) -> None:
    with TraceStore(tmp_path / "datadog.sqlite3") as datadog:
        # Another agent stands in for the real Datadog Agent at the other end.
        with (
            serve(create_agent_app(datadog)) as real_agent,
            serve(create_agent_app(store, forward_url=real_agent)) as agent,
        ):
            trace_id, _ = run_traced_program(agent, "v0.5")
            assert until(lambda: len(store.trace(trace_id)) == 2, 30)
            assert until(lambda: len(datadog.trace(trace_id)) == 2, 30)
        assert datadog.trace(trace_id) == store.trace(trace_id)


def test_forwarding_needs_both_the_url_and_an_api_key() -> None:
    url = "http://127.0.0.1:18126"
    assert forward_url_from_env({"THINKER_FORWARD_AGENT_URL": url, "DD_API_KEY": "k"}) == url
    assert forward_url_from_env({"THINKER_FORWARD_AGENT_URL": url}) is None
    assert forward_url_from_env({"DD_API_KEY": "k"}) is None


def test_half_a_surrogate_pair_in_a_json_payload_is_stored_as_a_replacement_character(
    agent: str, store: TraceStore
) -> None:
    # json.loads keeps "\ud800" as a lone surrogate, which SQLite's UTF-8 text cannot hold.
    span = (
        '{"trace_id": 7, "span_id": 8, "parent_id": 0, "service": "svc\\ud800",'
        ' "name": "op", "resource": "res", "start": 1, "duration": 2, "error": 0,'
        ' "meta": {"subject": "a\\udfffb", "pair": "\\ud83d\\ude00"}, "metrics": {}, "type": ""}'
    )
    response = requests.put(
        f"{agent}/v0.4/traces",
        data=f"[[{span}]]".encode(),
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    assert until(lambda: store.span_count() == 1, timeout=10)
    [stored] = store.trace(store.latest_trace_id() or "")
    assert stored.service == "svc\ufffd"
    assert stored.meta["subject"] == "a\ufffdb"
    assert stored.meta["pair"] == "\U0001f600"
