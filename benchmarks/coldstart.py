"""Cold starts: each function's Init Duration with and without the Datadog library, and where
the import time goes (``python -X importtime``).

Init Duration comes from the local stack's own execution environment
(:class:`thinker_local.lambdafn.environment.ExecutionEnvironment`, awslambdaric against a
Runtime API, on the function's Lambda-shaped image): from the process's spawn to its first
``GET /invocation/next``, as its REPORT line gives it. The import profiles run on the same image.
"With" runs the template's handler (Datadog's redirection, ``datadog_lambda.handler.handler``),
also with ``DD_COLD_START_TRACING=false`` (no ``aws.lambda.import`` spans); "without" runs the
function's own handler with ``DD_TRACE_ENABLED=false``.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import re
import subprocess
import uuid
from collections import defaultdict
from dataclasses import dataclass

from thinker_local.aws.account import LOCAL_ACCOUNT, FixedCredentials
from thinker_local.build import FunctionImage
from thinker_local.harness.reports import parse_reports
from thinker_local.lambdafn.environment import ExecutionEnvironment
from thinker_local.output import Output
from thinker_local.template import Function

from . import lambda_env

# Cold-start measurements, by mode: the template as is, without cold-start tracing, without Datadog.
MODES = ("traced", "traced, no cold-start tracing", "untraced")
# "import time: <self us> | <cumulative us> | <indentation><module>"
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


class _Captured(Output):
    """An Output that keeps the lines instead of printing them."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def line(self, source: str, text: str, *, request_id: str | None = None) -> None:
        self.lines.append(f"{source} | {text}")


def _event_without_subjects(logical_id: str) -> bytes:
    """The function's sample event without a query: an answer that needs no other service."""
    _, path = lambda_env.FUNCTIONS[logical_id]
    event = copy.deepcopy(json.loads(path.read_text()))
    event["queryStringParameters"] = None
    event["multiValueQueryStringParameters"] = None
    return json.dumps(event).encode()


async def init_duration_ms(function: Function, image: FunctionImage, payload: bytes) -> float:
    """Spawn one execution environment, invoke it once, and read its Init Duration."""
    output = _Captured()
    environment = ExecutionEnvironment(
        function,
        account=LOCAL_ACCOUNT,
        output=output,
        credentials=FixedCredentials(LOCAL_ACCOUNT.credentials),
        image=image,
    )
    try:
        await environment.start()
        result = await environment.invoke(payload, str(uuid.uuid4()))
    finally:
        await environment.stop()
    if not result.ok:
        raise RuntimeError(f"{function.logical_id}: {result.payload[:500]!r}")
    inits = [report.init_ms for report in parse_reports("\n".join(output.lines)) if report.init_ms]
    if not inits:
        raise RuntimeError(f"{function.logical_id}: no Init Duration in {output.lines}")
    return inits[0]


def _function(logical_id: str, mode: str, agent_url: str) -> Function:
    function = lambda_env.load(agent_url).functions[logical_id]
    if mode == "untraced":
        return lambda_env.untraced(function)
    if mode == "traced, no cold-start tracing":
        environment = {**function.environment, "DD_COLD_START_TRACING": "false"}
        return dataclasses.replace(function, environment=environment)
    return function


async def init_durations(
    logical_id: str, *, agent_url: str, samples: int
) -> dict[str, list[float]]:
    """``samples`` cold starts of one function in each of :data:`MODES`, by mode.

    The modes take turns, one cold start each, so a burst of load on the machine falls on all
    of them alike rather than on one.
    """
    payload = _event_without_subjects(logical_id)
    functions = {mode: _function(logical_id, mode, agent_url) for mode in MODES}
    image = await lambda_env.image(functions["traced"])
    inits: dict[str, list[float]] = {mode: [] for mode in MODES}
    for _ in range(samples):
        for mode, function in functions.items():
            inits[mode].append(await init_duration_ms(function, image, payload))
    return inits


@dataclass(frozen=True)
class ImportProfile:
    """One ``python -X importtime`` run: the total, and the packages that cost the most."""

    module: str
    total_ms: float
    by_package_ms: dict[str, float]

    def top(self, count: int) -> list[tuple[str, float]]:
        ordered = sorted(self.by_package_ms.items(), key=lambda item: item[1], reverse=True)
        return ordered[:count]


def parse_importtime(module: str, stderr: str) -> ImportProfile:
    """Import times summed by top-level package (each module's own time, once).

    The total is what ``import module`` costs: the cumulative times of the top-level lines of
    its package (``a`` and ``a.b`` for ``import a.b``), not the interpreter's start-up imports.
    """
    by_package: dict[str, float] = defaultdict(float)
    total_us = 0
    for line in stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if not match:
            continue
        own, cumulative, indent, name = match.groups()
        by_package[name.split(".")[0]] += int(own) / 1000
        if not indent.removeprefix(" ") and name.split(".")[0] == module.split(".")[0]:
            total_us += int(cumulative)
    return ImportProfile(module, total_us / 1000, dict(by_package))


def import_profile(function: Function, module: str, *, runs: int) -> ImportProfile:
    """The median (by total) of ``runs`` fresh imports of ``module`` in the function's env."""
    image = asyncio.run(lambda_env.image(function))
    environment = lambda_env.process_environment(function, image)
    profiles = []
    for _ in range(runs):
        completed = subprocess.run(  # noqa: S603 (the image's interpreter, our module names)
            image.command("-X", "importtime", "-c", f"import {module}"),
            cwd=function.code_dir,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"import {module} failed:\n{completed.stderr[-3000:]}")
        profiles.append(parse_importtime(module, completed.stderr))
    profiles.sort(key=lambda profile: profile.total_ms)
    return profiles[len(profiles) // 2]


def import_profiles(runs: int) -> dict[str, ImportProfile]:
    """Each handler module traced and not, and the Datadog library alone, by label."""
    template = lambda_env.load()
    profiles: dict[str, ImportProfile] = {}
    for logical_id, (name, _) in lambda_env.FUNCTIONS.items():
        function = template.functions[logical_id]
        own_module = lambda_env.real_handler(function).rpartition(".")[0]
        profiles[f"{name}: {own_module}"] = import_profile(
            lambda_env.untraced(function), own_module, runs=runs
        )
        traced_module = function.handler.rpartition(".")[0]
        profiles[f"{name}: {traced_module} → {own_module}"] = import_profile(
            function, traced_module, runs=runs
        )
    api = template.functions["ThinkerApiFunction"]
    profiles["datadog_lambda.wrapper alone"] = import_profile(
        api, "datadog_lambda.wrapper", runs=runs
    )
    return profiles
