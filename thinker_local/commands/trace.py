"""``python -m thinker_local trace [TRACE_ID]``: a trace as an indented tree in the terminal.

The latest trace by default, or the one given (32 hex digits, or the decimal ``x-datadog-trace-id``
form). Read from the local trace store, or with ``--api`` from a running APM's JSON API.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from ..store import TraceStore
from ..store.presentation import trace_document
from ..store.tree import IMPORT_SPAN, LOAD_SPAN

# Where ``python -m thinker_local up`` keeps the traces (its default --state-dir).
DEFAULT_STORE = Path(".thinker") / "traces.sqlite3"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "trace", help="print the latest (or a given) trace as a tree", description=__doc__
    )
    parser.add_argument("trace_id", nargs="?", help="a trace id; the latest trace if omitted")
    parser.add_argument(
        "--store", type=Path, default=DEFAULT_STORE, help=f"the trace store ({DEFAULT_STORE})"
    )
    parser.add_argument("--api", help="read from this APM instead, e.g. http://127.0.0.1:8080")
    parser.add_argument(
        "--all", action="store_true", help="show every cold-start import span (folded by default)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        document = _from_api(args.api, args.trace_id) if args.api else _from_store(args)
    except LookupError as error:
        print(error, file=sys.stderr)
        return 1
    print_tree(document, sys.stdout, fold_cold_start=not args.all)
    return 0


def _from_store(args: argparse.Namespace) -> dict[str, Any]:
    if not args.store.exists():
        raise LookupError(f"no trace store at {args.store}: start the stack (make up) first")
    with TraceStore(args.store) as store:
        trace_id = store.find_trace(args.trace_id) if args.trace_id else store.latest_trace_id()
        if trace_id is None:
            raise LookupError(
                f"no trace {args.trace_id} in {args.store}" if args.trace_id else "no trace yet"
            )
        return trace_document(trace_id, store.trace(trace_id))


def _from_api(base: str, trace_id: str | None) -> dict[str, Any]:
    base = base.rstrip("/")
    try:
        if trace_id is None:
            latest = _get_json(f"{base}/api/traces?limit=1")["traces"]
            if not latest:
                raise LookupError("no trace yet")
            trace_id = str(latest[0]["trace_id"])
        return _get_json(f"{base}/api/traces/{trace_id}")
    except urllib.error.HTTPError as error:
        raise LookupError(f"{base} answered {error.code} for trace {trace_id}") from None
    except urllib.error.URLError as error:
        raise LookupError(f"cannot reach the APM at {base}: {error.reason}") from None


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (http URL given by the user)
        result: dict[str, Any] = json.load(response)
        return result


def _ms(ns: float) -> str:
    return f"{ns / 1e6:,.1f} ms"


def _visible(spans: list[dict[str, Any]], fold_cold_start: bool) -> list[dict[str, Any]]:
    """The spans to print: all, or all but the cold-start import spans (one per module)."""
    if not fold_cold_start:
        return spans
    return [span for span in spans if span["name"] != IMPORT_SPAN]


def _prefix(rows: list[dict[str, Any]], index: int) -> str:
    """Tree drawing before a span: a line for each ancestor that has more children below."""
    depth = rows[index]["depth"]
    if depth == 0:
        return ""

    def has_next_sibling(at: int, level: int) -> bool:
        for later in rows[at + 1 :]:
            if later["depth"] < level:
                return False
            if later["depth"] == level:
                return True
        return False

    # The nearest row above at each ancestor depth is that ancestor.
    ancestors: dict[int, int] = {}
    for i in range(index - 1, -1, -1):
        level = rows[i]["depth"]
        if level < depth and level not in ancestors:
            ancestors[level] = i
    parts = [
        "│  " if has_next_sibling(ancestors[level], level) else "   " for level in range(1, depth)
    ]
    parts.append("├─ " if has_next_sibling(index, depth) else "└─ ")
    return "".join(parts)


def print_tree(document: dict[str, Any], out: TextIO, *, fold_cold_start: bool = True) -> None:
    """The trace's header, its spans as a tree, and the time each service spent."""
    spans = document["spans"]
    errors = sum(1 for span in spans if span["error"])
    when = datetime.fromtimestamp(document["start"] / 1e9).strftime("%Y-%m-%d %H:%M:%S")
    out.write(
        f"trace {document['trace_id']}  {when}  {_ms(document['duration'])}  "
        f"{len(spans)} spans  {errors} error{'s' if errors != 1 else ''}\n\n"
    )
    total = document["duration"] or 1
    rows = _visible(spans, fold_cold_start)
    labels = [
        _prefix(rows, i) + f"{span['service']}  {span['name']}  {span['resource']}"
        for i, span in enumerate(rows)
    ]
    width = max(map(len, labels), default=0)
    for label, span in zip(labels, rows, strict=True):
        line = f"{label:<{width}}  {_ms(span['duration']):>10}  {span['duration'] / total:>4.0%}"
        for key, value in span["own_tags"].items():
            line += f"  {key}={value}"
        if span["error"]:
            line += (
                f"  ERROR {span['meta'].get('error.type', '')}: "
                f"{span['meta'].get('error.message', '')}"
            )
        if fold_cold_start and span["name"] == LOAD_SPAN and span["descendants"]:
            line += f"  (+{span['descendants']} import spans: --all)"
        out.write(line.rstrip() + "\n")
    out.write("\ntime per service:\n")
    for share in document["services"]:
        out.write(f"  {share['service']}  {_ms(share['time'])}  {share['share']:.0%}\n")
