"""``python -m loadtest``: see :mod:`loadtest`; ``--help`` for the options."""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from thinker_local.harness.stack import NO_DELAYS, local_stack

from . import report, traffic
from .run import run_against

REPO = Path(__file__).resolve().parents[1]
DEFAULT_REPORT = REPO / "docs" / "load-test.md"
MAX_REQUESTS = 100_000
MAX_CONCURRENCY = 64


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__)
    parser.add_argument("-n", "--requests", type=int, default=5000, help="how many (5000)")
    parser.add_argument("-c", "--concurrency", type=int, default=16, help="in flight at once (16)")
    parser.add_argument("--seed", type=int, default=6, help="seed of the subjects' mix (6)")
    parser.add_argument(
        "--url",
        help="thinker-api's /think/ URL on a running stack (default: start a stack, delays 0)",
    )
    parser.add_argument(
        "--apm-url", help="that stack's APM (default with --url: http://127.0.0.1:8080)"
    )
    parser.add_argument(
        "--settle", type=float, default=60.0, help="seconds to wait for traces to arrive (60)"
    )
    parser.add_argument(
        "--report",
        type=Path,
        default=DEFAULT_REPORT,
        help="where the Markdown report goes (docs/load-test.md)",
    )
    parser.add_argument("--no-report", dest="report", action="store_const", const=None)
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= MAX_REQUESTS:
        parser.error(f"--requests must be between 1 and {MAX_REQUESTS}")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        parser.error(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")
    if args.url:
        try:
            traffic.check_loopback(args.url)
            traffic.check_loopback(args.apm_url or "http://127.0.0.1")
        except ValueError as error:
            parser.error(str(error))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.url:
        target = f"the running stack at {args.url}"
        apm_url = args.apm_url or "http://127.0.0.1:8080"
        figures = run_against(
            args.url, apm_url, args.requests, args.concurrency, args.seed, args.settle
        )
    else:
        target = "a local stack of its own (free loopback ports, delays 0, tracing on)"
        with tempfile.TemporaryDirectory(prefix="thinker-load-") as tmp:
            print("starting a local stack on free ports…", file=sys.stderr)
            with local_stack(Path(tmp), parameter_overrides=NO_DELAYS) as stack:
                assert stack.info.apm is not None, "the stack runs its APM"
                figures = run_against(
                    f"{stack.info.api}/think/",
                    stack.info.apm,
                    args.requests,
                    args.concurrency,
                    args.seed,
                    args.settle,
                )
    sys.stdout.write(report.summary(figures))
    if args.report is not None:
        command = shlex.join(["python", "-m", "loadtest", *(argv or sys.argv[1:])])
        args.report.write_text(report.markdown(figures, command, target))
        print(f"report written to {args.report}", file=sys.stderr)
    return 0 if figures.passed else 1


if __name__ == "__main__":
    sys.exit(main())
