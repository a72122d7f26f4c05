"""A stack of the throwaway template (template/), its Lambda Invoke API and APM on free ports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from thinker_local.harness.stack import StackProcess, local_stack
from thinker_local.lambda_service.client import lambda_client

TEMPLATE = Path(__file__).parent / "template" / "template.yaml"


@dataclass(frozen=True)
class LambdaStack:
    process: StackProcess
    lambda_api: str
    apm: str
    state: Path

    def client(self) -> Any:
        """boto3's Lambda client on the stack's Invoke API, with the developer's keys."""
        return lambda_client(self.lambda_api, self.state)


@pytest.fixture(scope="package")
def lambda_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LambdaStack]:
    directory = tmp_path_factory.mktemp("lambda-api")
    with local_stack(directory, "--template", str(TEMPLATE), "--max-environments", "2") as stack:
        info = stack.info
        assert info.lambda_api is not None
        assert info.apm is not None
        yield LambdaStack(stack, info.lambda_api, info.apm, directory / "state")
