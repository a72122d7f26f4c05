"""What ``up`` and ``sam`` share: the options of the state and services both start, and a
:class:`~thinker_local.run.lifecycle.LocalRun` run until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from thinker_local.build import BuildError
from thinker_local.errors import StackError
from thinker_local.lambda_service.debug import DebugSettings
from thinker_local.run.lifecycle import AlreadyRunning, LocalRun, stop_on_signals
from thinker_local.store.retention import DEFAULT_MAX_AGE_S, DEFAULT_MAX_BYTES, Retention
from thinker_local.template import TemplateError, read_env_vars


def add_run_options(
    parser: argparse.ArgumentParser, *, builds: str, apm_port: str | None, overrides: str
) -> None:
    """What :func:`run_options` reads: --template, --state-dir, --build-dir (``builds`` says
    what is built there), --dynamodb-port, --agent-port, --apm-port (``apm_port``: its help),
    --parameter-overrides (``overrides``: its help), --allow-host."""
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument(
        "--state-dir", type=Path, default=Path(".thinker"), help="traces, logs, lock (.thinker)"
    )
    parser.add_argument(
        "--build-dir",
        type=Path,
        default=Path(os.environ.get("THINKER_BUILD_DIR", ".thinker/build")),
        help=f"{builds} ($THINKER_BUILD_DIR, or .thinker/build)",
    )
    parser.add_argument("--dynamodb-port", type=int, default=5005)
    parser.add_argument("--agent-port", type=int, default=8126)
    parser.add_argument("--apm-port", type=int, default=8080, help=apm_port)
    parser.add_argument(
        "--parameter-overrides", nargs="*", default=[], metavar="KEY=VALUE", help=overrides
    )
    parser.add_argument(
        "--trace-retention-days",
        type=float,
        default=DEFAULT_MAX_AGE_S / 86400,
        help=f"traces older than this are deleted ({DEFAULT_MAX_AGE_S / 86400:.0f})",
    )
    parser.add_argument(
        "--trace-retention-mb",
        type=float,
        default=DEFAULT_MAX_BYTES / 2**20,
        help="the oldest traces are deleted while the store holds more than this"
        f" ({DEFAULT_MAX_BYTES / 2**20:.0f})",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name the agent and the APM answer besides localhost, 127.0.0.1 and [::1]"
        " (repeatable; see docs/security.md)",
    )


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """What :func:`add_run_options` adds, read as
    :class:`~thinker_local.run.lifecycle.RunConfig`'s fields (ValueError for a bad KEY=VALUE)."""
    return {
        "template_path": args.template,
        "state_dir": args.state_dir,
        "build_dir": args.build_dir.resolve(),
        "dynamodb_port": args.dynamodb_port,
        "agent_port": args.agent_port,
        "apm_port": args.apm_port,
        "parameter_overrides": pairs(args.parameter_overrides, "--parameter-overrides", str),
        "trace_retention": Retention(
            max_age_s=args.trace_retention_days * 86400,
            max_bytes=int(args.trace_retention_mb * 2**20),
        ),
        "allow_hosts": tuple(args.allow_host),
    }


def add_lambda_options(parser: argparse.ArgumentParser) -> None:
    """What :func:`lambda_options` reads: --lambda-port, --env-vars, --debug-function and
    --debug-port (``up`` and ``invoke``)."""
    parser.add_argument(
        "--lambda-port",
        type=int,
        default=3001,
        help="port of the Lambda Invoke API (3001, as `sam local start-lambda`)",
    )
    parser.add_argument(
        "--env-vars",
        type=Path,
        metavar="FILE",
        help='the functions\' variables, as `sam local --env-vars`: {"Fn": {"VAR": "value"},'
        ' "Parameters": {...}}',
    )
    parser.add_argument(
        "--debug-function",
        metavar="FUNCTION",
        help="run this function (logical id) under debugpy, waiting for a debugger",
    )
    parser.add_argument(
        "-d", "--debug-port", type=int, metavar="PORT", help="where debugpy listens (127.0.0.1)"
    )


def lambda_options(args: argparse.Namespace) -> dict[str, Any]:
    """What :func:`add_lambda_options` adds, as :class:`~thinker_local.stack.StackConfig`'s
    fields (ValueError for an unreadable --env-vars file, or a debug option without the other)."""
    if (args.debug_function is None) != (args.debug_port is None):
        raise ValueError("--debug-function and --debug-port go together")
    debug = DebugSettings(args.debug_function, args.debug_port) if args.debug_function else None
    return {
        "lambda_port": args.lambda_port,
        "env_vars": read_env_vars(args.env_vars) if args.env_vars else {},
        "debug": debug,
    }


def serve_until_stopped(create: Callable[[], LocalRun[Any]]) -> int:
    """Run what ``create`` makes until Ctrl-C or SIGTERM; 0, 2 if ``create`` finds an option
    wrong (ValueError), or 1 after saying why it could not start or went on."""
    try:
        local_run = create()
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    async def serve() -> None:
        async with stop_on_signals() as stop:
            await local_run.run(stop)

    try:
        asyncio.run(serve())
    except AlreadyRunning as error:
        print(str(error), file=sys.stderr)
        return 1
    except (StackError, TemplateError, BuildError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # the start-up failed: say why, once, without a traceback
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


def pairs[T](items: list[str], option: str, convert: type[T]) -> dict[str, T]:
    """``KEY=VALUE`` items as a dict of ``convert``-ed values (ValueError for one without ``=``)."""
    found: dict[str, T] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"{option} takes KEY=VALUE, got {item!r}")
        found[key] = convert(value)  # type: ignore[call-arg]
    return found
