"""The agent and the APM answer only loopback names (DNS rebinding), the agent no web page, and
the APM grants no cross-origin access: every route of both, over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from aiohttp import web

from tests.support.tracer import one_span_payload, send
from thinker_local.agent.intake import create_agent_app
from thinker_local.apm import create_apm_app
from thinker_local.harness.servers import serve
from thinker_local.hosts import host_name, is_loopback
from thinker_local.store import TraceStore
from thinker_local.waiting import until

REBINDING = "rebind.example"
FOREIGN_ORIGIN = "http://rebind.example"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]", "LocalHost")
_PARAMETER = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def every_route(app: web.Application) -> list[tuple[str, str]]:
    """(method, a concrete path) for each route of ``app``; HEAD is GET's twin."""
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        if "directory" in info:
            path = f"{info['prefix']}/app.js"
        else:
            path = _PARAMETER.sub(lambda m: "x" + m.group(1), info.get("formatter", "/"))
        if route.method != "HEAD":
            found.append(("GET" if route.method == "*" else route.method, path))
    return found


def apps(store: TraceStore) -> dict[str, web.Application]:
    return {"agent": create_agent_app(store), "apm": create_apm_app(store)}


@pytest.fixture(params=["agent", "apm"])
def server(request: pytest.FixtureRequest, seeded_store: TraceStore) -> Iterator[tuple[str, str]]:
    """(base URL, name) of a running agent or APM over the seeded store."""
    with serve(apps(seeded_store)[request.param]) as url:
        yield url, request.param


def call(url: str, method: str, path: str, host: str, **headers: str) -> requests.Response:
    """One request with ``host`` as its Host; a stream is closed after its headers."""
    response = requests.request(
        method, url + path, headers={"Host": host, **headers}, timeout=10, stream=True
    )
    response.close()
    return response


def test_a_rebinding_host_is_refused_on_every_route(
    server: tuple[str, str], seeded_store: TraceStore
) -> None:
    url, name = server
    routes = every_route(apps(seeded_store)[name])
    assert len(routes) >= (6 if name == "agent" else 20)
    port = url.rsplit(":", 1)[1]
    for method, path in routes:
        for host in (f"{REBINDING}:{port}", REBINDING, f"127.0.0.1.{REBINDING}:{port}"):
            response = requests.request(
                method, url + path, headers={"Host": host}, data=b"{}", timeout=10
            )
            assert response.status_code == 403, (method, path, host)
            assert response.headers["Content-Type"].startswith("text/plain")
            # The reason and nothing else: no byte of the server's data.
            assert response.text.startswith(f"Host {host_name(host)!r} is not allowed")
            assert len(response.text) < 200


def test_loopback_names_are_answered_on_every_route(
    server: tuple[str, str], seeded_store: TraceStore
) -> None:
    url, name = server
    port = url.rsplit(":", 1)[1]
    for method, path in every_route(apps(seeded_store)[name]):
        if method != "GET":
            continue
        for host in (*LOOPBACK_HOSTS, *(f"{h}:{port}" for h in LOOPBACK_HOSTS)):
            assert call(url, method, path, host).status_code != 403, (path, host)
    assert call(url, "GET", "/" if name == "apm" else "/info", "localhost").status_code == 200


def test_an_allowed_host_is_answered_and_only_it(seeded_store: TraceStore) -> None:
    app = create_apm_app(seeded_store, allow_hosts=["devbox.lan", "10.0.0.5:8080"])
    with serve(app) as url:
        assert call(url, "GET", "/api/services", "devbox.lan:8080").status_code == 200
        assert call(url, "GET", "/api/services", "10.0.0.5").status_code == 200
        assert call(url, "GET", "/api/services", "other.lan").status_code == 403


def test_a_web_page_cannot_send_spans_to_the_agent(store: TraceStore) -> None:
    """A browser's cross-site POST carries Origin, and a "simple" one needs no preflight."""
    with serve(create_agent_app(store)) as url:
        for origin in (FOREIGN_ORIGIN, "null", "http://127.0.0.1:8080"):
            for version in ("v0.4", "v0.5"):
                response = requests.post(
                    f"{url}/{version}/traces",
                    data=one_span_payload("injected", 7),
                    headers={"Origin": origin, "Content-Type": "text/plain"},
                    timeout=10,
                )
                assert response.status_code == 403, (origin, version)
                assert "Access-Control-Allow-Origin" not in response.headers
        for browser in ({"Origin": FOREIGN_ORIGIN}, {"Sec-Fetch-Site": "cross-site"}):
            assert requests.get(f"{url}/info", headers=browser, timeout=10).status_code == 403
        assert store.span_count() == 0
        # The same payload from a tracer (no Origin) is stored: the refusal was the Origin's.
        assert send(url, one_span_payload("injected", 7)).status_code == 200
        assert until(lambda: store.span_count() == 1, 30)


def test_the_apm_grants_no_cross_origin_access(seeded_store: TraceStore) -> None:
    with serve(create_apm_app(seeded_store)) as url:
        for path in ("/api/services", "/api/traces", "/api/logs", "/api/traces/stream", "/"):
            response = call(url, "GET", path, "127.0.0.1", Origin=FOREIGN_ORIGIN)
            assert response.status_code == 200, path
            assert not [h for h in response.headers if h.lower().startswith("access-control-")]
        preflight = requests.options(
            url + "/api/services",
            headers={"Origin": FOREIGN_ORIGIN, "Access-Control-Request-Method": "GET"},
            timeout=10,
        )
        assert preflight.status_code == 405
        assert "Access-Control-Allow-Origin" not in preflight.headers


def test_the_apm_changes_nothing_on_any_request(seeded_store: TraceStore) -> None:
    """Every route is a GET (or its HEAD): no form or fetch of another site can write."""
    methods = {route.method for route in create_apm_app(seeded_store).router.routes()}
    assert methods == {"GET", "HEAD"}


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("localhost:8080", "localhost"),
        ("[::1]:8126", "::1"),
        ("[::1]", "::1"),
        ("127.0.0.1", "127.0.0.1"),
        ("Host.Docker.Internal:8126", "host.docker.internal"),
    ],
)
def test_host_name_drops_the_port(host: str, name: str) -> None:
    assert host_name(host) == name


def test_only_loopback_names_and_addresses_are_loopback() -> None:
    assert all(is_loopback(n) for n in ("localhost", "localhost.", "127.0.0.1", "127.1.2.3", "::1"))
    assert not any(
        is_loopback(n)
        for n in ("rebind.example", "localhost.rebind.example", "0.0.0.0", "10.0.0.1")
    )


def test_the_containers_names_for_the_agent_are_allowed_where_given(store: TraceStore) -> None:
    """What ``make sam-local`` gives the agent on the Docker bridge, and only the agent."""
    bridge = ("host.docker.internal", "172.17.0.1")
    with (
        serve(create_agent_app(store, allow_hosts=bridge)) as agent,
        serve(create_apm_app(store)) as apm,
    ):
        for host in ("host.docker.internal:8126", "172.17.0.1:8126"):
            assert call(agent, "GET", "/info", host).status_code == 200
            assert call(apm, "GET", "/api/services", host).status_code == 403
        assert call(agent, "GET", "/info", "172.17.0.2:8126").status_code == 403
