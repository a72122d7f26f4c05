"""Editing a handler: from the save to the first answer with the new code.

``python -m benchmarks.reload`` (under a minute; also step 9 of ``make bench``). A copy of the
project's functions and template runs in a stack of its own, with the code watched as ``make up``
watches it. Each round changes one line of thinker-api (the message of its 400 for a request
without a subject), while a client keeps asking ``GET /think/`` in a loop, as a developer's
browser or curl would, until the answer carries the new message. Measured: the time from the save
to that answer, and how many environments thinker-api started for it (1: the one prepared at the
save; 2 would mean the request paid a cold start of its own). Alone, the figures go to their
section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from thinker_local.harness.stack import NO_DELAYS, REPO, local_stack
from thinker_local.stats import Summary

from . import sections

DOCS = REPO / "docs"
SECTION = "reload"
ROUNDS = 10
TARGET_S = 1.0
COPIED = ("template.yaml", "api_lambda", "microservice_lambda", "datadog_layer")
EDITED = Path("api_lambda") / "chalicelib" / "query.py"
MESSAGE = "the 'subject' query parameter is required"
FUNCTION = "ThinkerApiFunction"


@dataclass(frozen=True)
class Edits:
    """Seconds from each save to the first new answer, and the environments each edit started."""

    seconds: Summary
    started: list[int]

    @property
    def no_cold_start(self) -> bool:
        """No first new answer waited for an environment of its own."""
        return max(self.started, default=0) <= 1


def _inits(output: str) -> int:
    """How many of thinker-api's environments have finished their init so far (REPORT lines
    with an Init Duration, under the function's logical id)."""
    return sum(1 for line in output.splitlines() if FUNCTION in line and "Init Duration" in line)


def measure(rounds: int, say: Callable[[str], None] = print) -> Edits:
    """Edit → first new answer, ``rounds`` times."""
    with tempfile.TemporaryDirectory(prefix="thinker-reload-") as scratch:
        project = Path(scratch) / "project"
        for name in COPIED:
            source = REPO / name
            if source.is_dir():
                shutil.copytree(source, project / name, ignore=shutil.ignore_patterns(".aws-sam"))
            else:
                project.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, project / name)
        edited = project / EDITED
        original = edited.read_text()
        assert MESSAGE in original, f"{EDITED} no longer says {MESSAGE!r}"
        with local_stack(
            Path(scratch) / "stack",
            "--template", str(project / "template.yaml"),
            parameter_overrides=NO_DELAYS,
            reload=True,
        ) as stack:  # fmt: skip
            url = f"{stack.info.api.rstrip('/')}/think/"
            session = requests.Session()
            session.get(url, timeout=60)
            seconds: list[float] = []
            started: list[int] = []
            for number in range(1, rounds + 1):
                marker = f"edit {number}"
                inits_before = _inits(stack.output())
                saved = time.monotonic()
                edited.write_text(original.replace(MESSAGE, f"{MESSAGE} ({marker})"))
                while marker not in session.get(url, timeout=60).text:
                    pass
                seconds.append(time.monotonic() - saved)
                # The prepared environment's REPORT comes with the answer's; give it a moment.
                time.sleep(0.5)
                started.append(_inits(stack.output()) - inits_before)
                say(f"edit {number}: {seconds[-1] * 1000:.0f} ms, {started[-1]} started")
            return Edits(Summary.of(seconds), started)


def section(edits: Edits, heading: str = "## Editing a handler") -> str:
    summary, started = edits.seconds, edits.started
    met = "met" if summary.p50 <= TARGET_S and edits.no_cold_start else "missed"
    row = f"{summary.p50:.2f} s | {summary.p95:.2f} s | {summary.maximum:.2f} s"
    return f"""{heading}

`python -m benchmarks.reload` (step 9 of `make bench`): a line of thinker-api changed
{summary.count} times in a stack of its own with the code watched, a client asking in a loop;
seconds from the save to the first answer with the new code. Target: at most {TARGET_S:.0f} s,
with no cold start seen by that request.

| figure | p50 | p95 | max |
| --- | --: | --: | --: |
| save → first answer with the new code | {row} |

Environments thinker-api started per edit: {", ".join(map(str, started))} (one: the environment
prepared at the save served the first new request; two would mean that request started one of
its own). Target {met} at p50.
"""


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reload", description=__doc__)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--output", type=Path, default=DOCS / "benchmarks.md")
    args = parser.parse_args()
    sections.put(args.output, SECTION, section(measure(args.rounds)))
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
