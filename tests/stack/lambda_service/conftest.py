"""A stack of the throwaway template (template/), its Lambda Invoke API and APM on free ports
(helpers: :mod:`tests.support.lambda_stack`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.lambda_stack import TEMPLATE, LambdaStack
from thinker_local.harness.stack import local_stack


@pytest.fixture(scope="package")
def lambda_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LambdaStack]:
    directory = tmp_path_factory.mktemp("lambda-api")
    with local_stack(directory, "--template", str(TEMPLATE), "--max-environments", "2") as stack:
        info = stack.info
        assert info.lambda_api is not None
        assert info.apm is not None
        yield LambdaStack(stack, info.lambda_api, info.apm, directory / "state")
