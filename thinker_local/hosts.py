"""Which ``Host`` a local server answers: loopback names, and those the user allows.

The stack listens on loopback, which keeps other machines out but not the pages open in the
developer's own browser: a site whose name re-resolves to 127.0.0.1 (DNS rebinding) reaches the
local servers with its own name in ``Host`` and reads what they answer. Every server that is not
an emulated API Gateway (those keep API Gateway's behaviour) therefore answers only a ``Host``
that names this machine by a loopback name or address, or one allowed with ``--allow-host``::

    app = web.Application(middlewares=[allowed_hosts_middleware(config.allow_hosts)])

Anything else gets ``403`` with a short plain-text reason and nothing of the server's data.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

LOOPBACK_NAMES = frozenset({"localhost"})


def host_name(host: str) -> str:
    """The name or address in a ``Host`` value, without its port, lower-cased (IPv6 unbracketed)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def is_loopback(name: str) -> bool:
    """Whether ``name`` (as :func:`host_name` gives it) can only mean this machine."""
    if name.rstrip(".") in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_refusal(host: str, allowed: Iterable[str] = ()) -> str | None:
    """Why a request with this ``Host`` is refused, or None if it is loopback or ``allowed``
    (names or addresses, with or without a port)."""
    name = host_name(host)
    if is_loopback(name) or name in {host_name(other) for other in allowed}:
        return None
    return (
        f"Host {name!r} is not allowed: this local server answers localhost, 127.0.0.1 and"
        " [::1] (start it with --allow-host NAME to allow another name)"
    )


def from_browser(headers: Mapping[str, str]) -> bool:
    """Whether a browser sent the request: tools and SDKs send neither header, a browser sends
    Sec-Fetch-Site with every request and Origin with every cross-site write."""
    return "Origin" in headers or "Sec-Fetch-Site" in headers


def allowed_hosts_middleware(allowed: Iterable[str] = ()) -> Middleware:
    """A middleware refusing (403) any request whose ``Host`` is neither a loopback name or
    address nor one of ``allowed`` (names or addresses, with or without a port)."""
    extra = tuple(allowed)

    @web.middleware
    async def check_host(request: web.Request, handler: Handler) -> web.StreamResponse:
        # Without a Host header aiohttp names the socket's own address, which is allowed here.
        reason = host_refusal(request.host, extra)
        if reason is None:
            return await handler(request)
        return refuse(reason)

    return check_host


def browsers_refused_middleware(reason: str) -> Middleware:
    """A middleware refusing (403, ``reason``) any request a browser sent (:func:`from_browser`):
    for servers whose clients are tools and SDKs, never web pages."""

    @web.middleware
    async def refuse_browsers(request: web.Request, handler: Handler) -> web.StreamResponse:
        if from_browser(request.headers):
            return refuse(reason)
        return await handler(request)

    return refuse_browsers


def refuse(reason: str) -> web.Response:
    """A ``403`` with ``reason`` as plain text, which no browser renders as a page."""
    return web.Response(
        status=403, text=reason + "\n", headers={"X-Content-Type-Options": "nosniff"}
    )
