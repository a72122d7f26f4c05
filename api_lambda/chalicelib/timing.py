"""How long thinker-api may wait for thinker-microservice: what is left of its own time."""

from __future__ import annotations

from typing import Protocol

# Kept back from the remaining time to build and return the error response before Lambda's
# own timeout cuts the invocation off.
RESPONSE_MARGIN_S = 0.5
MINIMUM_S = 0.1
# Without a Lambda context (a plain unit test), the API function's timeout in template.yaml.
DEFAULT_S = 15.0


class LambdaContext(Protocol):
    def get_remaining_time_in_millis(self) -> float: ...


def call_budget(context: LambdaContext | None) -> float:
    """Seconds the outgoing call may take."""
    if context is None:
        return DEFAULT_S - RESPONSE_MARGIN_S
    remaining = context.get_remaining_time_in_millis() / 1000
    return max(MINIMUM_S, remaining - RESPONSE_MARGIN_S)
