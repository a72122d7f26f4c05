"""The Lambda service's throwaway template (a caller allowed to invoke, a callee, a caller that
is not) and a stack of it, for the Invoke API's tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thinker_local.harness.stack import StackProcess
from thinker_local.lambda_service.client import lambda_client

TEMPLATE = Path(__file__).parents[1] / "stack" / "lambda_service" / "template" / "template.yaml"


@dataclass(frozen=True)
class LambdaStack:
    """A running stack of the throwaway template: its process, Invoke API, APM and state."""

    process: StackProcess
    lambda_api: str
    apm: str
    state: Path

    def client(self) -> Any:
        """boto3's Lambda client on the stack's Invoke API, with the developer's keys."""
        return lambda_client(self.lambda_api, self.state)
