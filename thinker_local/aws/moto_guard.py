"""moto's server refuses what a web page could send it: a foreign ``Host``, or any browser.

moto serves DynamoDB, IAM and STS for the stack, and also ``/moto-api/``: a dump of every model
it holds (every user's secret key, every session, every item) and switches such as
``reset-auth``, which turns IAM off, with no authentication at all. Its server also answers every
``Origin`` with ``Access-Control-Allow-Origin`` (flask-cors), so any site open in the developer's
browser could read all of it from ``127.0.0.1``. AWS SDKs and the CLI send no ``Origin`` and no
``Sec-Fetch-Site``; a browser always does. So, before moto sees a request, a ``Host`` that is not
loopback or allowed (:mod:`thinker_local.hosts`), and any request a browser sends, get ``403``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..hosts import from_browser, host_refusal

BROWSER_REFUSED = "this local AWS endpoint takes SDK and CLI calls, not calls from web pages"


def why_refused(environ: dict[str, Any], allowed: Iterable[str]) -> str | None:
    """Why moto must not answer this WSGI request, or None."""
    headers = {
        name: str(environ[key])
        for name, key in (("Origin", "HTTP_ORIGIN"), ("Sec-Fetch-Site", "HTTP_SEC_FETCH_SITE"))
        if key in environ
    }
    if from_browser(headers):
        return BROWSER_REFUSED
    return host_refusal(str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")), allowed)


def install(allowed: Iterable[str]) -> None:
    """In moto's process, before it serves: every request goes through :func:`why_refused`."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    extra = tuple(allowed)
    answer = DomainDispatcherApplication.__call__

    def guarded(app: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        reason = why_refused(environ, extra)
        if reason is None:
            return answer(app, environ, start_response)
        start_response(
            "403 FORBIDDEN",
            [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")],
        )
        return [(reason + "\n").encode()]

    DomainDispatcherApplication.__call__ = guarded  # type: ignore[method-assign,assignment]
