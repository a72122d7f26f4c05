"""One Lambda execution environment: a process running the function with awslambdaric.

The process gets what Lambda gives a python3.12 function: the template's environment variables,
Lambda's reserved ones (function name, memory, log group and stream, region, the function's role
credentials from a :class:`CredentialsSource`, ``AWS_LAMBDA_RUNTIME_API``, ...), the function's
code directory as ``LAMBDA_TASK_ROOT``, and the handler from the template. It runs on the
function's image (:mod:`thinker_local.build`): an interpreter that sees the function's code (the
source directory itself, so edits are picked up by a new environment), its dependencies, its
layers and the runtime, and nothing else. awslambdaric runs the handler on the process's main
thread, as ddtrace's Lambda integration needs.

Like Lambda, an environment runs one invocation at a time, enforces the function's timeout
("Task timed out after N.NN seconds") and its memory size (the process is killed, "Runtime
exited with error: signal: killed"), and reports each invocation with START, END and REPORT
lines. A timed-out environment is not reused; its process lives on for a moment
(:data:`FLUSH_GRACE_S`) so that what the Datadog tracer flushes on an impending timeout still
reaches the agent, as it reaches the Datadog Extension on AWS, then it is stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import secrets
import signal
import time
from datetime import UTC, datetime
from typing import Any, Protocol

from ..aws.account import Credentials, LocalAccount
from ..build import FunctionImage
from ..lambda_service.debug import DebugSettings, kill_holders, output_of
from ..output import Output
from ..process import spawn, terminate
from ..template import Function
from .runtime import Invocation, InvocationResult, RuntimeApi

# Lambda's limit on the init phase of an on-demand environment.
INIT_TIMEOUT_S = 10.0
# How long a timed-out environment's process may still run before it is stopped: ddtrace marks
# the invocation "Impending Timeout" DD_APM_FLUSH_DEADLINE_MILLISECONDS before the deadline, and
# its writer sends the spans within its one-second flush interval.
FLUSH_GRACE_S = 2.5
# How often the process's memory is compared with the function's MemorySize while it works
# (init or an invocation); waiting for an invocation, it does not grow.
MEMORY_POLL_S = 0.02


class CredentialsSource(Protocol):
    """Where an environment gets its function's role credentials (:mod:`thinker_local.aws.iam`)."""

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
        image: FunctionImage,
        debug: DebugSettings | None = None,
    ) -> None:
        self.function = function
        self.image = image
        # Under a debugger: debugpy runs the runtime, and no time limit fires.
        self._debug = debug
        self._account = account
        self._output = output
        self._credentials_source = credentials
        self._credentials: Credentials | None = None
        self._runtime: RuntimeApi | None = None
        self._process: asyncio.subprocess.Process | None = None
        # The process's /proc status file, kept open: read at every look at its memory.
        self._status: int | None = None
        self._exited: asyncio.Future[int] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._spawned_at = 0.0
        self._invocations = 0
        # The invocation under way, from START to REPORT: the request id of the lines in between.
        self._request_id: str | None = None
        self._timed_out_at: float | None = None
        self._out_of_memory = False
        # Set while an invocation runs, or the process has ended: the memory watch then looks.
        self._working = asyncio.Event()
        self.log_stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{secrets.token_hex(16)}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def alive(self) -> bool:
        return self._exited is not None and not self._exited.done() and self._timed_out_at is None

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
        image = self.image
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
            "LAMBDA_RUNTIME_DIR": str(image.runtime_dir),
            "PYTHONPATH": os.pathsep.join(str(entry) for entry in image.path),
            "PYTHONUNBUFFERED": "1",
            "PATH": os.pathsep.join(
                [str(image.python.parent), "/usr/local/bin", "/usr/bin", "/bin"]
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
            *self.image.command(
                *(self._debug.launcher() if self._debug else ()),
                "-m",
                "awslambdaric",
                self.function.handler,
            ),
            cwd=self.function.code_dir,
            env=self.environment_variables(address, credentials),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        with contextlib.suppress(OSError):
            self._status = os.open(f"/proc/{self._process.pid}/status", os.O_RDONLY)
        self._exited = asyncio.get_running_loop().create_future()
        self._tasks = [
            asyncio.create_task(self._forward_output()),
            asyncio.create_task(self._watch_exit()),
            asyncio.create_task(self._watch_memory()),
        ]

    async def invoke(
        self, payload: bytes, request_id: str, client_context: str | None = None
    ) -> InvocationResult:
        """Run one invocation to its end: a result, an error, a crash or a timeout."""
        runtime, exited = self._runtime, self._exited
        assert runtime is not None, "start() first"
        assert exited is not None, "start() first"
        first = self._invocations == 0
        self._invocations += 1
        self._working.set()
        try:
            return await self._invoke(payload, request_id, first, client_context)
        finally:
            if not exited.done():
                self._working.clear()

    async def _invoke(
        self, payload: bytes, request_id: str, first: bool, client_context: str | None
    ) -> InvocationResult:
        runtime, exited = self._runtime, self._exited
        assert runtime is not None
        assert exited is not None
        failure = await self._wait_until_ready(request_id)
        if failure is not None:
            return failure

        timeout = self.function.timeout_s
        limit = None if self._debug else timeout
        invocation = Invocation(
            request_id=request_id,
            payload=payload,
            function_arn=self._function_arn(),
            deadline_ms=int((time.time() + timeout) * 1000),
            trace_id=_xray_trace_header(),
            client_context=client_context,
        )
        self._request_id = request_id
        self._log(f"START RequestId: {request_id} Version: $LATEST")
        await runtime.submit(invocation)
        submitted = time.monotonic()
        memory_mb: int | None = None
        waiting: set[asyncio.Future[Any]] = {invocation.result, exited}
        done, _ = await asyncio.wait(waiting, timeout=limit, return_when=asyncio.FIRST_COMPLETED)
        if invocation.result in done:
            memory_mb = self._peak_mb()
            if memory_mb > self.function.memory_mb:
                # It finished between two looks at its memory, past its size: Lambda killed it.
                await self._kill_out_of_memory()
                done, memory_mb = {exited}, None
        if invocation.result in done:
            result = invocation.result.result()
            status = ""
        elif exited in done:
            message = _exit_message(request_id, exited.result())
            self._log(message)
            self._log("Runtime.ExitError")
            result = InvocationResult.error("Runtime.ExitError", message)
            error_type = "Runtime.OutOfMemory" if self._out_of_memory else "Runtime.ExitError"
            status = f"\tStatus: error\tError Type: {error_type}"
        else:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            message = f"{stamp} {request_id} Task timed out after {timeout:.2f} seconds"
            self._log(message)
            memory_mb = self._max_memory_mb()
            # Not reused; stopped by stop(), after what remains of the flush grace.
            self._timed_out_at = time.monotonic()
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
        """End the process (TERM, then KILL) and the Runtime API.

        A timed-out environment's process first gets the rest of its flush grace.
        """
        if self._timed_out_at is not None and self._exited is not None:
            remaining = self._timed_out_at + FLUSH_GRACE_S - time.monotonic()
            if remaining > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._exited), remaining)
        if self._process is not None:
            output = output_of(self._process.pid) if self._debug else None
            await terminate(self._process)
            if output is not None:
                kill_holders(output)
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._status is not None:
            os.close(self._status)
            self._status = None
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
                timeout=None if self._debug else INIT_TIMEOUT_S,
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

    async def _watch_memory(self) -> None:
        """Kill the process, as Lambda does, once it uses more memory than the function has."""
        exited = self._exited
        assert exited is not None
        runtime = self._runtime
        assert runtime is not None
        while not exited.done():
            if self._resident_mb() > self.function.memory_mb:
                await self._kill_out_of_memory()
                return
            if runtime.ready.is_set() and not self._working.is_set():
                await self._working.wait()
            else:
                await asyncio.sleep(MEMORY_POLL_S)

    async def _kill_out_of_memory(self) -> None:
        process, exited = self._process, self._exited
        assert process is not None
        assert exited is not None
        self._out_of_memory = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await asyncio.shield(exited)

    async def _watch_exit(self) -> None:
        process, exited = self._process, self._exited
        assert process is not None
        assert exited is not None
        code = await process.wait()
        exited.set_result(code)
        self._working.set()

    def _function_arn(self) -> str:
        a = self._account
        return f"arn:{a.partition}:lambda:{a.region}:{a.account_id}:function:{self.function.name}"

    def _max_memory_mb(self) -> int:
        """Lambda's Max Memory Used: the process's peak, or all of it when it ran out."""
        if self._out_of_memory:
            return self.function.memory_mb
        return self._peak_mb()

    def _peak_mb(self) -> int:
        """The process's peak resident memory (VmHWM)."""
        return self._status_mb(b"VmHWM:")

    def _resident_mb(self) -> int:
        """The process's resident memory now (VmRSS)."""
        return self._status_mb(b"VmRSS:")

    def _status_mb(self, field: bytes) -> int:
        """A ``kB`` figure of the process's status; 0 once the process is gone."""
        if self._status is None:
            return 0
        try:
            status = os.pread(self._status, 8192, 0)
        except OSError:
            return 0
        start = status.find(b"\n" + field)
        if start < 0:
            return 0
        end = status.find(b"\n", start + 1)
        return math.ceil(int(status[start + 1 + len(field) : end].split()[0]) / 1024)

    def _log(self, text: str) -> None:
        self._output.line(self.function.logical_id, text, request_id=self._request_id)


def _xray_trace_header() -> str:
    """The X-Ray trace header Lambda passes to each invocation (``_X_AMZN_TRACE_ID``)."""
    root = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    return f"Root={root};Parent={secrets.token_hex(8)};Sampled=0"


def _exit_message(request_id: str, code: int) -> str:
    """Lambda's words for a runtime process that ended during an invocation."""
    if code < 0:
        # The runtime's words for a signal are the C library's, lower case ("signal: killed").
        status = f"signal: {(signal.strsignal(-code) or str(-code)).lower()}"
    else:
        status = f"exit status {code}"
    return f"RequestId: {request_id} Error: Runtime exited with error: {status}"
