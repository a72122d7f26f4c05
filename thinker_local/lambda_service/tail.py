"""The log of an invocation, for ``X-Amz-Log-Type: Tail``: its last 4 KB, base64-encoded.

Every line an environment writes during an invocation reaches the stack's output with the
invocation's request id (START, the function's lines, END, REPORT); this keeps the lines of the
invocations whose caller asked for them, until the answer takes them.
"""

from __future__ import annotations

import base64

from ..output import LogLine, Output

# Lambda returns the last 4 KB of the execution log.
TAIL_BYTES = 4 * 1024


class LogTails:
    """The lines of the invocations being watched, by request id."""

    def __init__(self, output: Output) -> None:
        self._lines: dict[str, list[str]] = {}
        output.subscribe(self._listener)

    def watch(self, request_id: str) -> None:
        """Keep the invocation's lines from now on, until :meth:`take`."""
        self._lines[request_id] = []

    def take(self, request_id: str) -> str:
        """The invocation's log's last 4 KB, base64 (``X-Amz-Log-Result``); no longer watched."""
        log = "".join(f"{line}\n" for line in self._lines.pop(request_id, []))
        return base64.b64encode(log.encode()[-TAIL_BYTES:]).decode()

    def _listener(self, line: LogLine) -> None:
        if line.request_id is not None and line.request_id in self._lines:
            self._lines[line.request_id].append(line.text)
