"""The quick-start's ``handle`` and its traced ``think``, with subjects answered concurrently."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from ddtrace.trace import tracer

from .keys import SETTINGS, THOUGHTS
from .thoughts import Thought, ThoughtStore, ThoughtsUnavailable, answer

logger = logging.getLogger(__name__)


@tracer.wrap(name="think")
async def think(store: ThoughtStore, subject: str, delay: float) -> Thought:
    """Look a subject up; ``KeyError`` for an unknown one marks this span as an error."""
    span = tracer.current_span()
    if span is not None:
        span.set_tag("subject", subject)
    await asyncio.sleep(delay)
    try:
        # boto3 blocks: run it in a thread so subjects overlap (to_thread keeps the trace context).
        return await asyncio.to_thread(store.get, subject)
    except KeyError:
        # Logged inside the span: datadog-lambda ties the line to it (dd.trace_id, dd.span_id).
        logger.warning("unknown subject %r", subject)
        # Raised afresh here, so the span's error.stack is think()'s own frame (as in the
        # quick-start) rather than the store's, asyncio's and the executor's: ddtrace formats
        # every frame of the stack on the request's path, which was most of its overhead.
        raise KeyError(subject) from None


async def _answer(app: web.Application, subject: str) -> dict[str, object]:
    settings = app[SETTINGS]
    await asyncio.sleep(settings.subject_delay)
    try:
        thought = await think(app[THOUGHTS], subject, settings.think_delay)
    except KeyError:
        return answer(subject, None)
    return answer(subject, thought)


async def handle(request: web.Request) -> web.Response:
    """``GET /?subject=a&subject=b``: one answer per subject, in the request's order."""
    subjects = request.query.getall("subject", [])
    try:
        answers = await asyncio.gather(*(_answer(request.app, subject) for subject in subjects))
    except ThoughtsUnavailable:
        logger.exception("the thoughts store is unavailable")
        return web.json_response({"error": "thoughts are unavailable, try again later"}, status=503)
    return web.json_response(dict(zip(subjects, answers, strict=True)))
