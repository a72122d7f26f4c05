"""A function's log lines read as Lambda and datadog-lambda write them: level, request, trace.

What each execution environment prints reaches the stack's output one line at a time. Lambda's
own lines name their invocation (``START RequestId: …``, ``END``, ``REPORT``); the runtime's
``logging`` handler writes ``[LEVEL]\\t<time>\\t<request id>\\t<message>``, and datadog-lambda puts
``[dd.trace_id=… dd.span_id=…]`` before the message. Anything else (``print``, a traceback, the
runtime's ``[ERROR] Runtime.ImportModuleError: …``) belongs to the invocation running when it was
printed, if the caller knows it. :class:`LineReader` keeps what a traceback needs across lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEBUG, INFO, WARNING, ERROR = "DEBUG", "INFO", "WARNING", "ERROR"
LEVELS = (DEBUG, INFO, WARNING, ERROR)
# Python's level names as the runtime prints them, and their place in LEVELS.
_LEVEL_NAMES = {"DEBUG": DEBUG, "INFO": INFO, "WARNING": WARNING, "WARN": WARNING}
_LEVEL_NAMES |= {"ERROR": ERROR, "CRITICAL": ERROR, "FATAL": ERROR}

_REQUEST = r"(?P<request>\S+)"
# START / END / REPORT RequestId: …, anywhere in the line (sam local adds prefixes).
_PLATFORM = re.compile(rf"\b(?P<kind>START|END|REPORT) RequestId: {_REQUEST}")
_INIT_REPORT = re.compile(r"\bINIT_REPORT\b")
# [LEVEL]\t2026-12-02T03:00:00.123Z\t<request id>\t<message> (the request id may be empty).
_LAMBDA_LOGGING = re.compile(
    r"^\[(?P<level>[A-Z]+)\]\t(?P<stamp>\d{4}-\d\d-\d\dT[\d:.]+Z?)\t(?P<request>[^\t]*)\t"
)
# [ERROR] Runtime.ImportModuleError: … (the runtime's own errors), and other [LEVEL] lines.
_LEVEL_PREFIX = re.compile(r"^\[(?P<level>[A-Z]+)\][ \t]")
# Lambda's timeout line and a runtime that exited.
_TIMED_OUT = re.compile(rf"^\S+Z {_REQUEST} Task timed out after ")
_EXITED = re.compile(rf"^RequestId: {_REQUEST} Error: ")
_TRACE = re.compile(r"\bdd\.trace_id=(?P<trace>[0-9a-fA-F]+)")
_SPAN = re.compile(r"\bdd\.span_id=(?P<span>\d+)")
# The logging format's prefix, datadog-lambda's ids included: what the other fields already say.
_LOGGING_PREFIX = re.compile(r"^\[[A-Z]+\]\t[^\t]*\t[^\t]*\t(?:\[dd\.trace_id=[^\]]*\]\t)?")
_TRACEBACK = "Traceback (most recent call last):"
# What Python prints between the tracebacks of chained exceptions.
_CHAINED = ("During handling of the above exception", "The above exception was the direct cause")


@dataclass(frozen=True)
class LogRecord:
    """One printed line, read: who wrote it, when, at what level, in which invocation and span."""

    function: str | None
    time_ns: int
    level: str
    message: str
    request_id: str | None = None
    # 32 hex digits when the line says all 128 bits; the low 64 bits as 16 hex digits always.
    trace_id: str | None = None
    trace_low: str | None = None
    span_id: str | None = None


@dataclass(frozen=True)
class _Parsed:
    level: str
    request_id: str | None
    starts_traceback: bool = False
    # START, END or REPORT: where an invocation's lines begin and end.
    kind: str | None = None


def trace_ids(text: str) -> tuple[str | None, str | None, str | None]:
    """``(trace_id, trace_low, span_id)`` from ``dd.trace_id=… dd.span_id=…`` in ``text``.

    ddtrace writes the trace id as 32 hex digits when its high 64 bits are set, and as the
    decimal low 64 bits otherwise; 0 means no trace.
    """
    trace = _TRACE.search(text)
    span = _SPAN.search(text)
    span_id = span.group("span") if span and span.group("span") != "0" else None
    if trace is None:
        return None, None, span_id
    raw = trace.group("trace").lower()
    if len(raw) == 32:
        return raw, raw[16:], span_id
    if raw.isdigit() and 0 < int(raw) <= 0xFFFF_FFFF_FFFF_FFFF:
        return None, f"{int(raw):016x}", span_id
    return None, None, span_id


def message_text(message: str) -> str:
    """What the function said: the line without the runtime's logging prefix, if it has one."""
    return _LOGGING_PREFIX.sub("", message, count=1)


def _platform(text: str) -> _Parsed | None:
    """Lambda's own lines: START, END, REPORT, INIT_REPORT, a timeout, a runtime exit."""
    match = _PLATFORM.search(text)
    if match:
        failed = match.group("kind") == "REPORT" and "\tStatus: " in text
        return _Parsed(ERROR if failed else INFO, match.group("request"), kind=match.group("kind"))
    if _INIT_REPORT.search(text):
        return _Parsed(ERROR if "Status: " in text else INFO, None)
    for pattern in (_TIMED_OUT, _EXITED):
        match = pattern.match(text)
        if match:
            return _Parsed(ERROR, match.group("request"))
    return None


def _function_output(text: str) -> _Parsed | None:
    """What the function's runtime writes: its logging lines and its errors."""
    match = _LAMBDA_LOGGING.match(text)
    if match:
        level = _LEVEL_NAMES.get(match.group("level"), INFO)
        return _Parsed(level, match.group("request") or None, _TRACEBACK in text)
    match = _LEVEL_PREFIX.match(text)
    if match:
        level = _LEVEL_NAMES.get(match.group("level"), INFO)
        return _Parsed(level, None, _TRACEBACK in text)
    if text.startswith(_TRACEBACK):
        return _Parsed(ERROR, None, True)
    return None


class LineReader:
    """Reads one writer's lines in order; a traceback's lines after its first stay ERROR."""

    def __init__(self) -> None:
        # Whether the writer is in the middle of a traceback: its frames are indented, and
        # its last line (``KeyError: 'x'``) is not; and whether a traceback just ended (a
        # chained exception's traceback may follow).
        self._in_traceback = False
        self._after_traceback = False
        # The invocation between the last START and its END, for lines whose caller cannot
        # say (``sam local``'s output).
        self._invocation: str | None = None

    def read(
        self,
        text: str,
        *,
        function: str | None,
        time_ns: int,
        request_id: str | None = None,
    ) -> LogRecord:
        """The line ``text`` written at ``time_ns`` by ``function`` during ``request_id``."""
        # The runtime joins an error's lines with "\r" so that CloudWatch keeps them together.
        message = text.replace("\r", "\n").rstrip("\n")
        parsed = _platform(message) or _function_output(message)
        if parsed is None:
            parsed = self._continuation(message)
        else:
            self._in_traceback = parsed.starts_traceback and "\n" not in message
            self._after_traceback = False
        trace_id, trace_low, span_id = trace_ids(message)
        if parsed.kind == "START":
            self._invocation = parsed.request_id
        request = parsed.request_id or request_id or self._invocation
        if parsed.kind in ("END", "REPORT"):
            self._invocation = None
        return LogRecord(
            function=function,
            time_ns=time_ns,
            level=parsed.level,
            message=message,
            request_id=request,
            trace_id=trace_id,
            trace_low=trace_low,
            span_id=span_id,
        )

    def _continuation(self, message: str) -> _Parsed:
        if self._after_traceback and (not message.strip() or message.startswith(_CHAINED)):
            self._in_traceback = True
        if not self._in_traceback:
            self._after_traceback = False
            return _Parsed(INFO, None)
        if message and not message[0].isspace() and not message.startswith(_CHAINED):
            # The exception's own line closes the traceback (a chained one may follow).
            self._in_traceback = False
            self._after_traceback = True
        return _Parsed(ERROR, None)
