"""One Lambda execution environment: a process running the function with awslambdaric.

The process gets what Lambda gives a python3.12 function: the template's environment variables,
Lambda's reserved ones (function name, memory, log group and stream, region, the function's role
credentials from a :class:`CredentialsSource`, ``AWS_LAMBDA_RUNTIME_API``, ...), the function's
code directory as ``LAMBDA_TASK_ROOT`` and on
``PYTHONPATH`` (the source directory itself, so edits are picked up by a new environment), and
the handler from the template. awslambdaric runs the handler on the process's main thread, as
ddtrace's Lambda integration needs.

Like Lambda, an environment runs one invocation at a time, enforces the function's timeout by
killing itself ("Task timed out after N.NN seconds"), and reports each invocation with START,
END and REPORT lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import secrets
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from .account import Credentials, LocalAccount
from .output import Output
from .process import spawn, terminate
from .runtime import Invocation, InvocationResult, RuntimeApi
from .template import Function

# Lambda's limit on the init phase of an on-demand environment.
INIT_TIMEOUT_S = 10.0


class CredentialsSource(Protocol):
    """Where an environment gets its function's role credentials (see :mod:`thinker_local.iam`)."""

    async def credentials(self, function: Function) -> Credentials: ...

    def expiring(self, credentials: Credentials) -> bool: ...


class ExecutionEnvironment:
    """A process running one function, and the Runtime API it polls."""

    def __init__(
        self,
        function: Function,
        *,
        account: LocalAccount,
        output: Output,
        credentials: CredentialsSource,
    ) -> None:
        self.function = function
        self._account = account
        self._output = output
        self._credentials_source = credentials
        self._credentials: Credentials | None = None
        self._runtime: RuntimeApi | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._exited: asyncio.Future[int] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._spawned_at = 0.0
        self._invocations = 0
        # The invocation under way, from START to REPORT: the request id of the lines in between.
        self._request_id: str | None = None
        self.log_stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{secrets.token_hex(16)}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def alive(self) -> bool:
        return self._exited is not None and not self._exited.done()

    @property
    def credentials_expiring(self) -> bool:
        """The role credentials it started with are about to expire: time for a new one."""
        credentials = self._credentials
        return credentials is not None and self._credentials_source.expiring(credentials)

    def environment_variables(
        self, runtime_address: str, credentials: Credentials
    ) -> dict[str, str]:
        """The process's environment: the template's variables, then Lambda's reserved ones."""
        function, account = self.function, self._account
        code_dir = str(function.code_dir)
        reserved = {
            "_HANDLER": function.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream,
            "AWS_LAMBDA_RUNTIME_API": runtime_address,
            "AWS_REGION": account.region,
            "AWS_DEFAULT_REGION": account.region,
            "AWS_ACCESS_KEY_ID": credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
            "AWS_SESSION_TOKEN": credentials.session_token or "",
            "LAMBDA_TASK_ROOT": code_dir,
            "LAMBDA_RUNTIME_DIR": str(Path(sys.executable).parent),
            "PYTHONPATH": code_dir,
            "PYTHONUNBUFFERED": "1",
            "PATH": os.pathsep.join(
                [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
            ),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
        }
        return {**function.environment, **reserved}

    async def start(self) -> None:
        """Start the Runtime API and the process; its init phase runs in the background."""
        credentials = await self._credentials_source.credentials(self.function)
        self._credentials = credentials
        self._runtime = RuntimeApi()
        address = await self._runtime.start()
        self._spawned_at = time.monotonic()
        self._process = await spawn(
            sys.executable,
            "-m",
            "awslambdaric",
            self.function.handler,
            cwd=self.function.code_dir,
            env=self.environment_variables(address, credentials),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._exited = asyncio.get_running_loop().create_future()
        self._tasks = [
            asyncio.create_task(self._forward_output()),
            asyncio.create_task(self._watch_exit()),
        ]

    async def invoke(self, payload: bytes, request_id: str) -> InvocationResult:
        """Run one invocation to its end: a result, an error, a crash or a timeout."""
        runtime, exited = self._runtime, self._exited
        assert runtime is not None, "start() first"
        assert exited is not None, "start() first"
        first = self._invocations == 0
        self._invocations += 1
        failure = await self._wait_until_ready(request_id)
        if failure is not None:
            return failure

        timeout = self.function.timeout_s
        invocation = Invocation(
            request_id=request_id,
            payload=payload,
            function_arn=self._function_arn(),
            deadline_ms=int((time.time() + timeout) * 1000),
            trace_id=_xray_trace_header(),
        )
        self._request_id = request_id
        self._log(f"START RequestId: {request_id} Version: $LATEST")
        await runtime.submit(invocation)
        submitted = time.monotonic()
        memory_mb: int | None = None
        waiting: set[asyncio.Future[Any]] = {invocation.result, exited}
        done, _ = await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if invocation.result in done:
            result = invocation.result.result()
            status = ""
        elif exited in done:
            message = _exit_message(request_id, exited.result())
            self._log(message)
            self._log("Runtime.ExitError")
            result = InvocationResult.error("Runtime.ExitError", message)
            status = "\tStatus: error\tError Type: Runtime.ExitError"
        else:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            message = f"{stamp} {request_id} Task timed out after {timeout:.2f} seconds"
            self._log(message)
            memory_mb = self._max_memory_mb()
            await self.stop()
            result = InvocationResult.error("Sandbox.Timedout", message)
            status = "\tStatus: timeout"

        if memory_mb is None:
            memory_mb = self._max_memory_mb()
        started = invocation.started_at or submitted
        duration_ms = (time.monotonic() - started) * 1000
        init = ""
        init_ms = 0.0
        if first and runtime.ready_at is not None:
            init_ms = (runtime.ready_at - self._spawned_at) * 1000
            init = f"\tInit Duration: {init_ms:.2f} ms"
        self._log(f"END RequestId: {request_id}")
        # Lambda bills a cold start's init phase too (on-demand functions, since August 2025).
        self._log(
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms"
            f"\tBilled Duration: {max(1, math.ceil(duration_ms + init_ms))} ms"
            f"\tMemory Size: {self.function.memory_mb} MB"
            f"\tMax Memory Used: {memory_mb} MB{init}{status}"
        )
        self._request_id = None
        return result

    async def stop(self) -> None:
        """End the process (TERM, then KILL) and the Runtime API."""
        if self._process is not None:
            await terminate(self._process)
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._runtime is not None:
            await self._runtime.stop()

    async def _wait_until_ready(self, request_id: str) -> InvocationResult | None:
        """Wait for the init phase; an error result if it failed."""
        runtime, exited = self._runtime, self._exited
        assert runtime is not None
        assert exited is not None
        if runtime.ready.is_set():
            return None
        ready = asyncio.ensure_future(runtime.ready.wait())
        waiting: set[asyncio.Future[Any]] = {ready, runtime.init_error, exited}
        try:
            await asyncio.wait(
                waiting,
                timeout=INIT_TIMEOUT_S,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            ready.cancel()
        if runtime.ready.is_set() and not runtime.init_error.done():
            return None
        init_ms = (time.monotonic() - self._spawned_at) * 1000
        if runtime.init_error.done():
            result = runtime.init_error.result()
            status = f"Status: error\tError Type: {result.error_type}"
        elif exited.done():
            message = _exit_message(request_id, exited.result())
            self._log(message)
            result = InvocationResult.error("Runtime.ExitError", message)
            status = "Status: error\tError Type: Runtime.ExitError"
        else:
            result = InvocationResult.error(
                "Sandbox.Timedout", f"INIT phase timed out after {INIT_TIMEOUT_S:.2f} seconds"
            )
            status = "Status: timeout"
        self._log(f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\t{status}")
        await self.stop()
        return result

    async def _forward_output(self) -> None:
        process = self._process
        assert process is not None
        assert process.stdout is not None
        source = self.function.logical_id
        while line := await process.stdout.readline():
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            self._output.line(source, text, request_id=self._request_id)

    async def _watch_exit(self) -> None:
        process, exited = self._process, self._exited
        assert process is not None
        assert exited is not None
        code = await process.wait()
        exited.set_result(code)

    def _function_arn(self) -> str:
        a = self._account
        return f"arn:{a.partition}:lambda:{a.region}:{a.account_id}:function:{self.function.name}"

    def _max_memory_mb(self) -> int:
        """The process's peak resident memory (VmHWM), as Lambda's Max Memory Used."""
        if self._process is None:
            return 0
        try:
            status = Path(f"/proc/{self._process.pid}/status").read_text()
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return math.ceil(int(line.split()[1]) / 1024)
        return 0

    def _log(self, text: str) -> None:
        self._output.line(self.function.logical_id, text, request_id=self._request_id)


def _xray_trace_header() -> str:
    """The X-Ray trace header Lambda passes to each invocation (``_X_AMZN_TRACE_ID``)."""
    root = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    return f"Root={root};Parent={secrets.token_hex(8)};Sampled=0"


def _exit_message(request_id: str, code: int) -> str:
    """Lambda's words for a runtime process that ended during an invocation."""
    if code < 0:
        status = f"signal: {signal.Signals(-code).name.removeprefix('SIG').lower()}"
    else:
        status = f"exit status {code}"
    return f"RequestId: {request_id} Error: Runtime exited with error: {status}"


def error_message(result: InvocationResult) -> str:
    """The errorMessage of an error result, for logs."""
    try:
        return str(json.loads(result.payload).get("errorMessage", ""))
    except (ValueError, AttributeError):
        return result.payload.decode("utf-8", "replace")
