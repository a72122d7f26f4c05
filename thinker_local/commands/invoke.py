"""``invoke FUNCTION [-e FILE|-]``: run one function once with an event, as ``sam local invoke``.

FUNCTION is the template's logical id. The event is a JSON file, ``-`` for standard input, or
``{}`` without ``-e``. The function runs in a Lambda-shaped environment with its role's
credentials, the local DynamoDB and the agent, as under ``make up``:

- when ``make up`` runs on the same state directory, through its Lambda Invoke API: its
  environments, and the trace and log lines in its APM;
- otherwise in a stack of its own, started on free ports and stopped afterwards (the trace and
  lines still land in the state directory's store, for the next ``make up``'s APM).

The result goes to standard output; the function's lines and its REPORT line to standard error.
The exit status is 1 when the function failed (its errorType and errorMessage are the result)
or could not be invoked, 2 for a wrong option.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from thinker_local.build import BuildError
from thinker_local.commands.serving import (
    add_lambda_options,
    add_run_options,
    lambda_options,
    run_options,
)
from thinker_local.errors import StackError
from thinker_local.harness.ports import free_ports
from thinker_local.lambda_service.client import lambda_client
from thinker_local.output import Output
from thinker_local.run.lifecycle import INFO_FILE, stop_on_signals
from thinker_local.run.stack import Stack, StackConfig
from thinker_local.template import TemplateError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "invoke",
        help="run one function once with an event (as `sam local invoke`)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("function", metavar="FUNCTION", help="the function's logical id")
    parser.add_argument(
        "-e", "--event", metavar="FILE", help="the event: a JSON file, or - for stdin ({})"
    )
    add_run_options(
        parser,
        builds="the functions' dependencies, layers and runtime, kept by content",
        apm_port="the APM's port when no stack runs (default: a free one)",
        overrides="template parameters, as `sam local invoke --parameter-overrides`",
    )
    add_lambda_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        event = _event(args.event)
        options = {**run_options(args), **lambda_options(args)}
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    running = _running_stack(options["state_dir"])
    if running is not None and running.get("command") == "sam":
        print(
            f"error: `make sam-local` runs on {options['state_dir']}: run SAM's own"
            " `sam local invoke` as its banner prints it (docs/sam-local.md), or stop it",
            file=sys.stderr,
        )
        return 2
    if running is not None:
        if running.get("template") != str(Path(options["template_path"]).resolve()):
            print(
                f"error: the stack running on {options['state_dir']} runs"
                f" {running.get('template')}: stop it, or give another --state-dir",
                file=sys.stderr,
            )
            return 2
        if options["env_vars"] or options["parameter_overrides"] or options["debug"]:
            print(
                f"error: a stack runs on {options['state_dir']} with its own variables,"
                " parameters and environments: stop it to invoke with --env-vars,"
                " --parameter-overrides or --debug-function",
                file=sys.stderr,
            )
            return 2
        return _invoke(
            str(running["lambda"]), options["state_dir"], args.function, event, tail=True
        )
    return _invoke_in_own_stack(options, args, event)


def _event(source: str | None) -> bytes:
    if source is None:
        return b"{}"
    if source == "-":
        return sys.stdin.buffer.read()
    return Path(source).read_bytes()


def _running_stack(state_dir: Path) -> dict[str, Any] | None:
    """The ``up.json`` of a ``make up`` serving on ``state_dir`` (with a Lambda API), if any."""
    try:
        info: dict[str, Any] = json.loads((state_dir / INFO_FILE).read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info if info.get("ready") is True and info.get("lambda") else None


def _invoke(endpoint: str, state_dir: Path, function: str, event: bytes, *, tail: bool) -> int:
    """One RequestResponse invocation through the Lambda API; the exit status."""
    client = lambda_client(endpoint, state_dir)
    try:
        answer = client.invoke(
            FunctionName=function, Payload=event, LogType="Tail" if tail else "None"
        )
    except ClientError as error:
        print(f"error: {error.response['Error'].get('Message') or error}", file=sys.stderr)
        return 1
    except BotoCoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if tail:
        sys.stderr.write(base64.b64decode(answer.get("LogResult", "")).decode(errors="replace"))
    sys.stdout.write(answer["Payload"].read().decode(errors="replace") + "\n")
    return 1 if answer.get("FunctionError") else 0


def _invoke_in_own_stack(options: dict[str, Any], args: argparse.Namespace, event: bytes) -> int:
    first, other, dynamodb, agent, apm, lambda_port = free_ports(6)
    config = StackConfig(
        **{
            **options,
            "dynamodb_port": dynamodb,
            "agent_port": agent,
            "apm_port": apm,
            "lambda_port": lambda_port,
        },
        first_port=first,
        other_ports=other,
        reload=False,
        banner=False,
    )
    stack = Stack(config, Output(sys.stderr))

    async def once() -> int:
        async with stop_on_signals() as stop:
            stopped = asyncio.ensure_future(stop.wait())
            started = asyncio.ensure_future(stack.start())
            try:
                await asyncio.wait({started, stopped}, return_when=asyncio.FIRST_COMPLETED)
                if stopped.done():
                    return 130
                started.result()
                invoked = asyncio.ensure_future(
                    asyncio.to_thread(
                        _invoke,
                        f"http://127.0.0.1:{lambda_port}",
                        config.state_dir,
                        args.function,
                        event,
                        tail=False,
                    )
                )
                await asyncio.wait({invoked, stopped}, return_when=asyncio.FIRST_COMPLETED)
                return invoked.result() if invoked.done() else 130
            finally:
                for task in (started, stopped):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
                await stack.close()

    try:
        return asyncio.run(once())
    except (StackError, TemplateError, BuildError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
