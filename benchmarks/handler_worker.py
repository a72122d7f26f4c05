"""One process that invokes one Lambda handler in a loop and writes each invocation's duration.

Run by :mod:`benchmarks.handlers` with the function's Lambda environment (``_HANDLER`` names the
handler, as for awslambdaric), it does what the Lambda runtime does around the handler (a
context with a deadline, on the main thread) and nothing else: no Runtime API, no HTTP in front.

- ``--table FILE``: DynamoDB is moto, in this process (``mock_aws``), with that table, seeded.
- ``--answer FILE``: thinker-api's call to thinker-microservice is answered in this process
  with that body (through a requests transport adapter, so the signing and ddtrace's requests
  span still happen).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]


def load_handler(name: str) -> Handler:
    """``module.attribute``, imported as the Lambda runtime does."""
    module, _, attribute = name.rpartition(".")
    handler: Handler = getattr(importlib.import_module(module), attribute)
    return handler


def context(timeout_s: float = 15.0) -> Any:
    """The Lambda context awslambdaric would pass (its own class)."""
    from awslambdaric.lambda_context import LambdaContext

    return LambdaContext(
        str(uuid.uuid4()),
        None,
        None,
        int((time.time() + timeout_s) * 1000),
        f"arn:aws:lambda:us-east-1:123456789012:function:{os.environ['AWS_LAMBDA_FUNCTION_NAME']}",
    )


@contextlib.contextmanager
def dynamodb_on_moto(create_table_arguments: dict[str, Any]) -> Iterator[None]:
    import boto3
    from moto import mock_aws

    from microservice.db import DynamoDBThoughts
    from microservice.thoughts import seed_thoughts

    with mock_aws():
        boto3.client("dynamodb").create_table(**create_table_arguments)
        DynamoDBThoughts(create_table_arguments["TableName"]).put_all(seed_thoughts())
        yield


@contextlib.contextmanager
def microservice_in_process(body: bytes) -> Iterator[None]:
    import requests
    from requests.adapters import BaseAdapter

    from chalicelib import microservice

    class Answer(BaseAdapter):
        def send(
            self,
            request: requests.PreparedRequest,
            stream: bool = False,
            timeout: float | tuple[float | None, float | None] | None = None,
            verify: bool | str = True,
            cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
            proxies: Mapping[str, str] | None = None,
        ) -> requests.Response:
            response = requests.Response()
            response.status_code = 200
            response.headers["Content-Type"] = "application/json"
            response._content = body
            response.url = str(request.url)
            response.request = request
            return response

        def close(self) -> None:
            pass

    session = requests.Session()
    session.mount("http://", Answer())
    base_url = os.environ[microservice.URL_VARIABLE]
    # The module's client, built as get_microservice() builds it, with only its transport swapped.
    microservice._client = microservice.MicroserviceClient(base_url, http=session)
    try:
        yield
    finally:
        microservice.reset_microservice()


def measure(handler: Handler, event: dict[str, Any], count: int) -> list[float]:
    """Each invocation's duration in microseconds; a non-200 answer stops the run."""
    durations = []
    for _ in range(count):
        lambda_context = context()
        started = time.perf_counter_ns()
        result = handler(event, lambda_context)
        durations.append((time.perf_counter_ns() - started) / 1000)
        if not isinstance(result, dict) or result.get("statusCode") != 200:
            raise RuntimeError(f"the handler answered {result!r:.300}")
    return durations


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--event", type=Path, required=True)
    parser.add_argument("--invocations", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--table", type=Path, help="CreateTable arguments (JSON): moto DynamoDB")
    parser.add_argument("--answer", type=Path, help="thinker-microservice's answer, in process")
    args = parser.parse_args(argv)

    handler = load_handler(os.environ["_HANDLER"])
    event = json.loads(args.event.read_text())
    with contextlib.ExitStack() as stack:
        if args.table:
            stack.enter_context(dynamodb_on_moto(json.loads(args.table.read_text())))
        if args.answer:
            stack.enter_context(microservice_in_process(args.answer.read_bytes()))
        measure(handler, event, args.warmup)
        durations = measure(handler, event, args.invocations)
    args.out.write_text(json.dumps({"durations_us": durations}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
