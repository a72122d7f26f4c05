"""``python -m thinker_local logs``: the functions' log lines from the local trace store.

The newest lines by default (``-n``), filtered by text, function, level or request id; or every
line of one trace (``--trace``: its own lines and its invocations'). ``--follow`` keeps printing
lines as the stack writes them, until Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from ..lambdafn.log_lines import LEVELS
from ..store import TraceStore
from ..store.logs import MAX_PAGE, LogQuery
from .trace import DEFAULT_STORE

FOLLOW_EVERY_S = 0.5


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "logs", help="print the functions' log lines (of a trace, or filtered)", description=__doc__
    )
    parser.add_argument("--trace", metavar="TRACE_ID", help="every line of this trace")
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    parser.add_argument("-q", "--grep", metavar="TEXT", help="lines containing TEXT (any case)")
    parser.add_argument("--function", help="lines of this function (logical id or name)")
    parser.add_argument(
        "--level", type=str.upper, choices=LEVELS, help="lines at this level or above"
    )
    parser.add_argument("--request-id", help="lines of this invocation")
    parser.add_argument(
        "-n", "--lines", type=int, default=50, help="how many of the newest lines (50)"
    )
    parser.add_argument(
        "--store", type=Path, default=DEFAULT_STORE, help=f"the trace store ({DEFAULT_STORE})"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.store.exists():
        print(f"no trace store at {args.store}: start the stack (make up) first", file=sys.stderr)
        return 1
    with TraceStore(args.store) as store:
        read = _trace_reader(store, args.trace) if args.trace else _search_reader(store, args)
        if read is None:
            print(f"no trace {args.trace} in {args.store}", file=sys.stderr)
            return 1
        try:
            print_lines(read(), sys.stdout)
            while args.follow:
                time.sleep(FOLLOW_EVERY_S)
                print_lines(read(), sys.stdout)
        except KeyboardInterrupt:
            pass
    return 0


Reader = Callable[[], list[dict[str, Any]]]


def _search_reader(store: TraceStore, args: argparse.Namespace) -> Reader:
    """The newest ``args.lines`` lines first, then each call those written since."""
    filters = {
        "text": args.grep,
        "function": args.function,
        "level": args.level,
        "request_id": args.request_id,
    }
    cursor: int | None = None

    def read() -> list[dict[str, Any]]:
        nonlocal cursor
        if cursor is None:
            cursor = store.logs.latest_id()
            newest = store.logs.search(
                LogQuery(**filters, before_id=cursor + 1, limit=min(args.lines, MAX_PAGE))
            )
            return newest[::-1]
        lines = store.logs.search(LogQuery(**filters, after_id=cursor, limit=MAX_PAGE))
        if lines:
            cursor = lines[-1]["id"]
        return lines

    return read


def _trace_reader(store: TraceStore, trace: str) -> Reader | None:
    """Each call: the trace's lines not printed yet (its other function's may come later)."""
    trace_id = store.find_trace(trace)
    if trace_id is None:
        return None
    printed: set[int] = set()

    def read() -> list[dict[str, Any]]:
        fresh = [line for line in store.logs.of_trace(trace_id) if line["id"] not in printed]
        printed.update(line["id"] for line in fresh)
        return fresh

    return read


def print_lines(lines: list[dict[str, Any]], out: TextIO) -> None:
    """One line each: time, function, level, the invocation's request id, what the function
    said, and the trace (its id, for ``python -m thinker_local trace``)."""
    for line in lines:
        when = datetime.fromtimestamp(line["time"] / 1e9).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        request = (line["request_id"] or "-")[:8]
        function = line["function"] or "-"
        text = line["text"].replace("\t", "  ")
        trace = f"  [trace {line['trace_id']}]" if line["trace_id"] else ""
        out.write(f"{when}  {function}  {line['level']:<7}  {request}  {text}{trace}\n")
    out.flush()
