"""``up``: run the whole system locally, from template.yaml (what ``make up`` runs)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from thinker_local.build import BuildError
from thinker_local.lifecycle import AlreadyRunning, StackError, stop_on_signals
from thinker_local.stack import Stack, StackConfig
from thinker_local.template import TemplateError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "up",
        help="run the whole system locally (gateway, Lambda, DynamoDB, agent, APM)",
        description=__doc__,
    )
    add_state_options(parser, "the functions' dependencies, layers and runtime, kept by content")
    parser.add_argument(
        "--port", type=int, default=5000, help="port of the template's first API (5000)"
    )
    parser.add_argument(
        "--other-ports", type=int, default=8000, help="first port of the other APIs (8000)"
    )
    parser.add_argument(
        "--api-port",
        action="append",
        default=[],
        metavar="API=PORT",
        help="port of one API by logical id, e.g. MicroserviceApi=8000 (repeatable)",
    )
    parser.add_argument("--dynamodb-port", type=int, default=5005)
    parser.add_argument("--agent-port", type=int, default=8126)
    parser.add_argument("--apm-port", type=int, default=8080)
    parser.add_argument(
        "--no-apm",
        dest="apm",
        action="store_false",
        help="start no local agent nor APM views (traces go to --trace-agent-url)",
    )
    parser.add_argument(
        "--trace-agent-url",
        help="where the functions send traces (default: the local agent on --agent-port)",
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="template parameters, as `sam deploy --parameter-overrides`",
    )
    parser.add_argument(
        "--no-reload", dest="reload", action="store_false", help="do not watch the code"
    )
    parser.add_argument(
        "--max-environments", type=int, default=10, help="environments per function at most (10)"
    )
    parser.set_defaults(func=run)


def add_state_options(parser: argparse.ArgumentParser, builds: str) -> None:
    """--template, --state-dir, --build-dir (``builds`` says what is built there)."""
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


def run(args: argparse.Namespace) -> int:
    try:
        config = StackConfig(
            template_path=args.template,
            state_dir=args.state_dir,
            build_dir=args.build_dir.resolve(),
            first_port=args.port,
            other_ports=args.other_ports,
            api_ports=_pairs(args.api_port, "--api-port", int),
            dynamodb_port=args.dynamodb_port,
            agent_port=args.agent_port,
            apm_port=args.apm_port,
            apm=args.apm,
            trace_agent_url=args.trace_agent_url,
            parameter_overrides=parameter_pairs(args.parameter_overrides, "--parameter-overrides"),
            reload=args.reload,
            max_environments=args.max_environments,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return serve_until_stopped(Stack(config).run)


def serve_until_stopped(run: Callable[[asyncio.Event], Awaitable[None]]) -> int:
    """``run`` until Ctrl-C or SIGTERM; 0, or 1 after saying why it could not start or went on."""

    async def serve() -> None:
        async with stop_on_signals() as stop:
            await run(stop)

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


def parameter_pairs(items: list[str], option: str) -> dict[str, str]:
    """``KEY=VALUE`` items as a dict (ValueError for one without ``=``)."""
    return _pairs(items, option, str)


def _pairs[T](items: list[str], option: str, convert: type[T]) -> dict[str, T]:
    pairs: dict[str, T] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"{option} takes KEY=VALUE, got {item!r}")
        pairs[key] = convert(value)  # type: ignore[call-arg]
    return pairs
