"""Answers what it was given: the event, its request id and the ClientContext's ``custom``.

It prints ``callee got <marker>`` for the event's ``marker``, and fails when the event has
``"fail": true`` (every attempt of it, for the retries of an Event invocation).
"""


def handler(event, context):
    print(f"callee got {event.get('marker')}")
    if event.get("fail"):
        raise RuntimeError(f"told to fail: {event.get('marker')}")
    client_context = context.client_context
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "custom": client_context.custom if client_context else None,
    }
