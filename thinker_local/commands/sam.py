"""``sam``: ``sam build``, ``sam local start-api`` and ``sam local start-lambda``, with DynamoDB,
the agent and the APM around them (what ``make sam-local`` runs; see docs/sam-local.md)."""

from __future__ import annotations

import argparse

from thinker_local.commands.serving import (
    add_run_options,
    run_options,
    serve_until_stopped,
)
from thinker_local.sam.runner import START_TIMEOUT_S, SamConfig, SamLocal


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sam",
        help="sam build + sam local start-api and start-lambda in Docker, with DynamoDB, the"
        " agent and the APM",
        description=__doc__,
    )
    add_run_options(
        parser,
        builds="the seed function's dependencies, kept by content",
        apm_port="the APM, on 127.0.0.1 (8080)",
        overrides="template parameters besides Mode=local, e.g. ThinkDelaySeconds=0",
    )
    parser.add_argument(
        "--host",
        help="where sam, DynamoDB and the agent listen (default: the Docker bridge's address,"
        " which the containers reach as host.docker.internal)",
    )
    parser.add_argument("--port", type=int, default=5000, help="sam local start-api's port (5000)")
    parser.add_argument(
        "--lambda-port",
        type=int,
        default=3001,
        help="sam local start-lambda's port (3001), on the same host as start-api",
    )
    parser.add_argument(
        "--start-timeout",
        type=float,
        default=START_TIMEOUT_S,
        help=f"seconds sam local start-api, then start-lambda, may take to serve"
        f" ({START_TIMEOUT_S:.0f})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return serve_until_stopped(
        lambda: SamLocal(
            SamConfig(
                **run_options(args),
                host=args.host,
                port=args.port,
                lambda_port=args.lambda_port,
                start_timeout=args.start_timeout,
            )
        )
    )
