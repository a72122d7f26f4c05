"""``up``: run the whole system locally, from template.yaml (what ``make up`` runs)."""

from __future__ import annotations

import argparse

from thinker_local.commands.serving import (
    add_lambda_options,
    add_run_options,
    lambda_options,
    pairs,
    run_options,
    serve_until_stopped,
)
from thinker_local.run.stack import Stack, StackConfig


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "up",
        help="run the whole system locally (gateway, Lambda, DynamoDB, agent, APM)",
        description=__doc__,
    )
    add_run_options(
        parser,
        builds="the functions' dependencies, layers and runtime, kept by content",
        apm_port=None,
        overrides="template parameters, as `sam deploy --parameter-overrides`",
    )
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
        "--no-reload", dest="reload", action="store_false", help="do not watch the code"
    )
    parser.add_argument(
        "--max-environments", type=int, default=10, help="environments per function at most (10)"
    )
    add_lambda_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return serve_until_stopped(
        lambda: Stack(
            StackConfig(
                **run_options(args),
                first_port=args.port,
                other_ports=args.other_ports,
                api_ports=pairs(args.api_port, "--api-port", int),
                apm=args.apm,
                trace_agent_url=args.trace_agent_url,
                reload=args.reload,
                max_environments=args.max_environments,
                **lambda_options(args),
            )
        )
    )
