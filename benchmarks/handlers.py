"""Both Lambda handlers called in-process, traced and untraced: the cost of the code alone.

Each (function, mode) runs in its own process (:mod:`benchmarks.handler_worker`), because
importing datadog_lambda patches libraries for the whole process. Traced is what the template
deploys (Datadog's wrapper, ddtrace, spans sent to an agent on loopback); untraced calls the
function's own handler with ``DD_TRACE_ENABLED=false``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from . import lambda_env

# What thinker-microservice answers to the seed request (the quick-start's JSON).
SEED_ANSWER = {
    "technology": {
        "error": False,
        "quote": "For a successful technology, reality must take precedence over public "
        "relations, for Nature cannot be fooled.",
        "author": "Richard Feynman",
    },
    "foo_bar": {"error": True, "reason": "Subject unknown"},
}
MODES = ("traced", "untraced")


async def measure(
    logical_id: str, mode: str, *, agent_url: str, scratch: Path, invocations: int, warmup: int
) -> list[float]:
    """Durations (µs) of ``invocations`` warm invocations of one function in one mode."""
    template = lambda_env.load(agent_url)
    function = template.functions[logical_id]
    if mode == "untraced":
        function = lambda_env.untraced(function)
    _, event = lambda_env.FUNCTIONS[logical_id]
    scratch.mkdir(parents=True, exist_ok=True)
    out = scratch / f"{logical_id}-{mode}.json"
    options = [f"--event={event}", f"--invocations={invocations}", f"--warmup={warmup}"]
    if logical_id == "MicroserviceFunction":
        (table,) = template.tables.values()
        table_file = scratch / "table.json"
        table_file.write_text(json.dumps(table.create_table_arguments))
        options.append(f"--table={table_file}")
    else:
        answer = scratch / "answer.json"
        answer.write_text(json.dumps(SEED_ANSWER))
        options.append(f"--answer={answer}")
    environment = lambda_env.process_environment(function, await lambda_env.image(function))
    # In process, with moto and this package: the project's virtualenv, after the function's code.
    environment["PYTHONPATH"] = f"{function.code_dir}:{lambda_env.REPO}"
    # moto answers in process: boto3 must not be sent to the stack's DynamoDB URL.
    environment.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    log = scratch / f"{logical_id}-{mode}.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.handler_worker",
            *options,
            f"--out={out}",
            cwd=function.code_dir,
            env=environment,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            code = await process.wait()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    if code != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{logical_id} ({mode}) in-process run failed ({code}):\n{tail}")
    durations: list[float] = json.loads(out.read_text())["durations_us"]
    return durations
