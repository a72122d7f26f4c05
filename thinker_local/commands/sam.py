"""``sam``: ``sam build`` and ``sam local start-api``, with DynamoDB, the agent and the APM around
them (what ``make sam-local`` runs; see docs/sam-local.md)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from thinker_local.build import BuildError
from thinker_local.commands.up import parameter_pairs
from thinker_local.sam.cli import SamError
from thinker_local.sam.engine import EngineError
from thinker_local.sam.image import ImageError
from thinker_local.sam.runner import START_TIMEOUT_S, SamConfig, SamLocal
from thinker_local.stack import AlreadyRunning, StackError, stop_on_signals
from thinker_local.template import TemplateError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sam",
        help="sam build + sam local start-api in Docker, with DynamoDB, the agent and the APM",
        description=__doc__,
    )
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument(
        "--state-dir", type=Path, default=Path(".thinker"), help="traces, logs, lock (.thinker)"
    )
    parser.add_argument(
        "--build-dir",
        type=Path,
        default=Path(os.environ.get("THINKER_BUILD_DIR", ".thinker/build")),
        help="the seed function's dependencies ($THINKER_BUILD_DIR, or .thinker/build)",
    )
    parser.add_argument(
        "--host",
        help="where sam, DynamoDB and the agent listen (default: the Docker bridge's address,"
        " which the containers reach as host.docker.internal)",
    )
    parser.add_argument("--port", type=int, default=5000, help="sam local start-api's port (5000)")
    parser.add_argument("--dynamodb-port", type=int, default=5005)
    parser.add_argument("--agent-port", type=int, default=8126)
    parser.add_argument("--apm-port", type=int, default=8080, help="the APM, on 127.0.0.1 (8080)")
    parser.add_argument(
        "--parameter-overrides",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="template parameters besides Mode=local, e.g. ThinkDelaySeconds=0",
    )
    parser.add_argument(
        "--start-timeout",
        type=float,
        default=START_TIMEOUT_S,
        help=f"seconds sam local start-api may take to serve ({START_TIMEOUT_S:.0f})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = SamConfig(
            template_path=args.template,
            state_dir=args.state_dir,
            build_dir=args.build_dir.resolve(),
            host=args.host,
            port=args.port,
            dynamodb_port=args.dynamodb_port,
            agent_port=args.agent_port,
            apm_port=args.apm_port,
            parameter_overrides=parameter_pairs(args.parameter_overrides, "--parameter-overrides"),
            start_timeout=args.start_timeout,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(config))
    except AlreadyRunning as error:
        print(str(error), file=sys.stderr)
        return 1
    except (
        EngineError, ImageError, SamError, StackError, TemplateError, BuildError
    ) as error:  # fmt: skip
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # the start-up failed: say why, once, without a traceback
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


async def _serve(config: SamConfig) -> None:
    async with stop_on_signals() as stop:
        await SamLocal(config).run(stop)
