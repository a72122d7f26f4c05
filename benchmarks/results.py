"""Everything one benchmark run measured, as plain data for the report and the plot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from thinker_local.stats import Summary

from .artifacts import Artifact
from .coldstart import ImportProfile

if TYPE_CHECKING:
    from .cpu import CpuUse
    from .reload import Edits
    from .sam_local import SideBySide
    from .store import StoreFigures

FUNCTION_NAMES = ("thinker-api", "thinker-microservice")


@dataclass(frozen=True)
class Throughput:
    concurrency: int
    requests: int
    errors: int
    requests_per_s: float
    latency: Summary


@dataclass
class StepRun:
    """A step that may run alone (``--only``) and needs Docker: when it ran, the 1-minute load
    average as it started, and why it measured nothing when Docker was not there."""

    run: str = ""
    load: float = 0.0
    note: str = ""


@dataclass
class Results:
    """Filled section by section; a section that failed leaves its note in ``failures``."""

    date: str
    machine: str
    cores: int
    load_before: tuple[float, float, float]
    quick: bool
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    elapsed_s: float = 0.0
    # Seed request with delays at 0, by layer: "local stack, tracing on", ...
    seed: dict[str, Summary] = field(default_factory=dict)
    # Warm invocation of each function in process, by (function, "traced" | "untraced"), in ms.
    in_process: dict[tuple[str, str], Summary] = field(default_factory=dict)
    # Lambda REPORT Duration of each function in the stack, by (function, mode), in ms.
    stack_duration: dict[tuple[str, str], Summary] = field(default_factory=dict)
    # Init Duration by (function, mode), in ms.
    init: dict[tuple[str, str], Summary] = field(default_factory=dict)
    imports: dict[str, ImportProfile] = field(default_factory=dict)
    # Seed delays (0.2 s / 0.5 s): latency by number of subjects.
    subjects: dict[int, Summary] = field(default_factory=dict)
    throughput: list[Throughput] = field(default_factory=list)
    # CPU time of each of the stack's processes over a load at concurrency 8.
    cpu: CpuUse | None = None
    artifacts: list[Artifact] = field(default_factory=list)
    # Section 7: make up and sam local start-api.
    side_by_side: list[SideBySide] = field(default_factory=list)
    side_by_side_step: StepRun = field(default_factory=StepRun)
    # Section 8: one lambda.invoke's latency, by Lambda API ("make up", "sam local start-lambda").
    lambda_invoke: dict[str, Summary] = field(default_factory=dict)
    lambda_invoke_step: StepRun = field(default_factory=StepRun)
    # Section 9: editing a handler, save → first answer with the new code.
    edits: Edits | None = None
    # Section 10: the trace store filled through the agent's intake, then the APM read.
    store: StoreFigures | None = None
    failures: list[str] = field(default_factory=list)
