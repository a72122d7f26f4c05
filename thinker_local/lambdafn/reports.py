"""Lambda's REPORT and INIT_REPORT log lines, read back into numbers.

Lambda ends every invocation's logs with one line, tab-separated, e.g.::

    REPORT RequestId: 8f5…	Duration: 12.03 ms	Billed Duration: 13 ms	Memory Size: 512 MB
    Max Memory Used: 88 MB	Init Duration: 590.12 ms	Status: timeout

``Init Duration`` is there only for the first invocation of an execution environment (a cold
start); ``Status`` only when the invocation did not succeed (``error`` with an ``Error Type``, or
``timeout``). An environment whose init phase fails writes an INIT_REPORT line instead, and no
REPORT. The local stack writes these lines as Lambda does, and ``sam local`` prints them too, so
one parser serves both.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

SUCCESS = "success"
ERROR = "error"
TIMEOUT = "timeout"

_FIELD = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z ]*?):\s*(?P<value>.*?)\s*$")
_NUMBER = re.compile(r"^(?P<number>\d+(?:\.\d+)?)\s*(?:ms|MB)?$")


@dataclass(frozen=True)
class Report:
    """One invocation's figures, as its REPORT (or a failed init's INIT_REPORT) line gives them."""

    request_id: str | None
    duration_ms: float
    billed_ms: int
    memory_size_mb: int | None
    max_memory_used_mb: int | None
    # Set on a cold start: the environment's init phase, before this invocation.
    init_ms: float | None
    status: str = SUCCESS
    error_type: str | None = None

    @property
    def cold(self) -> bool:
        return self.init_ms is not None


def parse_report(text: str) -> Report | None:
    """The figures of a REPORT or INIT_REPORT line; ``None`` for any other line.

    The line may carry a prefix (``sam local`` and terminals add some): parsing starts at the
    first ``REPORT RequestId:`` or ``INIT_REPORT``.

    >>> parse_report("REPORT RequestId: 1a\\tDuration: 1.5 ms\\tBilled Duration: 2 ms"
    ...              "\\tMemory Size: 512 MB\\tMax Memory Used: 80 MB").billed_ms
    2
    """
    start = text.find("REPORT RequestId:")
    if start >= 0 and not text[:start].endswith("INIT_"):
        return _report(text[start:])
    start = text.find("INIT_REPORT ")
    if start >= 0:
        return _init_report(text[start + len("INIT_REPORT ") :])
    return None


def _fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in text.split("\t"):
        match = _FIELD.match(part)
        if match:
            fields[match.group("key").strip()] = match.group("value")
    return fields


def _number(fields: dict[str, str], key: str) -> float | None:
    match = _NUMBER.match(fields.get(key, ""))
    return float(match.group("number")) if match else None


def _status(fields: dict[str, str]) -> tuple[str, str | None]:
    status = fields.get("Status", "").strip().lower()
    if status in (ERROR, TIMEOUT):
        return status, fields.get("Error Type") or None
    return SUCCESS, None


def _report(text: str) -> Report | None:
    fields = _fields(text.removeprefix("REPORT "))
    duration = _number(fields, "Duration")
    request_id = fields.get("RequestId", "").strip()
    if duration is None or not request_id:
        return None
    billed = _number(fields, "Billed Duration")
    memory = _number(fields, "Memory Size")
    used = _number(fields, "Max Memory Used")
    status, error_type = _status(fields)
    return Report(
        request_id=request_id,
        duration_ms=duration,
        billed_ms=int(billed) if billed is not None else max(1, math.ceil(duration)),
        memory_size_mb=int(memory) if memory is not None else None,
        max_memory_used_mb=int(used) if used is not None else None,
        init_ms=_number(fields, "Init Duration"),
        status=status,
        error_type=error_type,
    )


def _init_report(text: str) -> Report | None:
    """A failed init phase: no invocation ran, but its init was billed and it counts as failed."""
    fields = _fields(text)
    init = _number(fields, "Init Duration")
    if init is None:
        return None
    status, error_type = _status(fields)
    return Report(
        request_id=None,
        duration_ms=0.0,
        billed_ms=max(1, math.ceil(init)),
        memory_size_mb=None,
        max_memory_used_mb=None,
        init_ms=init,
        status=status if status != SUCCESS else ERROR,
        error_type=error_type,
    )
