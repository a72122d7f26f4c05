"""A program traced by ddtrace, as an application would be: prints its trace id (32 hex digits).

Run with ``DD_TRACE_AGENT_URL`` and ``DD_TRACE_API_VERSION`` (v0.4 or v0.5) set.
"""

from __future__ import annotations

from ddtrace.trace import tracer

with tracer.trace("web.request", service="shop", resource="GET /cart", span_type="web") as root:
    root.set_tag("http.method", "GET")
    root.set_tag("http.status_code", "500")
    with tracer.trace("cart.load", resource="load_cart") as child:
        child.set_tag("subject", "foo_bar")
        try:
            raise KeyError("foo_bar")
        except KeyError as error:
            child.set_exc_info(type(error), error, error.__traceback__)
    trace_id = root.trace_id
tracer.flush()
tracer.shutdown()
print(f"{trace_id:032x}")
