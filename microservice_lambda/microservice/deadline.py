"""Shortly before Lambda's deadline, finish and send the spans an invocation holds open.

ddtrace's aws_lambda integration does this for a synchronous handler: SIGALRM,
``DD_APM_FLUSH_DEADLINE_MILLISECONDS`` (100 by default) before the deadline, marks the local
root span with the error "Impending Timeout" and finishes the current span with its ancestors.
Under the aiohttp adapter the request's spans (``aiohttp.request``, ``think``) are current only
inside the asyncio tasks serving it, where that handler does not look: they stay open, the trace
is never complete, and nothing of the invocation is sent. :func:`finish_open_spans` looks in
every task of the adapter's loop, does the same, and sends the trace before Lambda stops the
invocation.
"""

from __future__ import annotations

import asyncio
import os

from ddtrace.constants import ERROR_MSG, ERROR_TYPE
from ddtrace.trace import Span, tracer

DEFAULT_FLUSH_DEADLINE_MS = 100


def flush_deadline_ms() -> int:
    """``DD_APM_FLUSH_DEADLINE_MILLISECONDS`` as ddtrace reads it (negative: the default)."""
    try:
        value = int(os.environ.get("DD_APM_FLUSH_DEADLINE_MILLISECONDS", DEFAULT_FLUSH_DEADLINE_MS))
    except ValueError:
        return DEFAULT_FLUSH_DEADLINE_MS
    return DEFAULT_FLUSH_DEADLINE_MS if value < 0 else value


def finish_open_spans(loop: asyncio.AbstractEventLoop) -> None:
    """Mark the invocation's local root "Impending Timeout", finish the span current in each
    of ``loop``'s tasks (and outside them) with its ancestors, and send the trace now."""
    contexts = [task.get_context() for task in asyncio.all_tasks(loop)]
    current: list[Span] = [
        span
        for span in (
            tracer.current_span(),
            *(context.run(tracer.current_span) for context in contexts),
        )
        if span is not None
    ]
    roots = {
        root
        for root in (
            tracer.current_root_span(),
            *(context.run(tracer.current_root_span) for context in contexts),
        )
        if root is not None
    }
    for root in roots:
        root.error = 1
        root.set_tag(ERROR_MSG, "Datadog detected an Impending Timeout")
        root.set_tag(ERROR_TYPE, "Impending Timeout")
    # Innermost first, so each span ends before its parent, as it would have.
    for span in sorted(current, key=lambda span: span.start_ns, reverse=True):
        span._finish_with_ancestors()
    tracer.flush()  # type: ignore[no-untyped-call]
