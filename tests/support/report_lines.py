"""A function's REPORT lines and request ids, as the serverless and logs tests feed them."""

from __future__ import annotations

from typing import Any

from thinker_local.store.invocations import FunctionInfo

API = FunctionInfo(
    name="ThinkerApiFunction",
    logical_id="ThinkerApiFunction",
    memory_mb=512,
    timeout_s=15.0,
    architecture="x86_64",
    runtime="python3.12",
    api="REST",
    service="thinker-api",
)


def report(request_id: str, duration: float = 12.5, extra: str = "") -> str:
    return (
        f"REPORT RequestId: {request_id}\tDuration: {duration} ms\tBilled Duration: 13 ms"
        f"\tMemory Size: 512 MB\tMax Memory Used: 80 MB{extra}"
    )


def with_request_ids(ids: dict[str, str], error_for: str | None = None) -> Any:
    """Give each function's aws.lambda span a request id (and an error, to one of them)."""

    def mutate(span: dict[str, Any]) -> None:
        if span["name"] == "aws.lambda":
            span["meta"]["request_id"] = ids[span["service"]]
            if span["service"] == error_for:
                span["error"] = 1

    return mutate
