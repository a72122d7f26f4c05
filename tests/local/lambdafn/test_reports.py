"""REPORT and INIT_REPORT lines, as the local stack and Lambda write them, read back."""

from __future__ import annotations

import pytest

from thinker_local.lambdafn.reports import ERROR, SUCCESS, TIMEOUT, Report, parse_report

WARM = (
    "REPORT RequestId: 0f6b7c3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b\tDuration: 12.03 ms"
    "\tBilled Duration: 13 ms\tMemory Size: 512 MB\tMax Memory Used: 88 MB"
)
COLD = (
    "REPORT RequestId: 1a\tDuration: 16.38 ms\tBilled Duration: 608 ms\tMemory Size: 512 MB"
    "\tMax Memory Used: 120 MB\tInit Duration: 590.12 ms"
)


def test_a_warm_report_gives_every_figure() -> None:
    assert parse_report(WARM) == Report(
        request_id="0f6b7c3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
        duration_ms=12.03,
        billed_ms=13,
        memory_size_mb=512,
        max_memory_used_mb=88,
        init_ms=None,
        status=SUCCESS,
    )


def test_init_duration_makes_a_cold_start() -> None:
    report = parse_report(COLD)
    assert report is not None
    assert report.cold
    assert report.init_ms == 590.12
    assert report.billed_ms == 608
    assert not parse_report(WARM).cold  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("tail", "status", "error_type"),
    [
        ("\tStatus: timeout", TIMEOUT, None),
        ("\tStatus: error\tError Type: Runtime.ExitError", ERROR, "Runtime.ExitError"),
        ("", SUCCESS, None),
    ],
)
def test_the_status_field_says_how_an_invocation_ended(
    tail: str, status: str, error_type: str | None
) -> None:
    report = parse_report(WARM + tail)
    assert report is not None
    assert (report.status, report.error_type) == (status, error_type)


def test_a_prefixed_line_from_a_terminal_or_sam_local_parses_the_same() -> None:
    assert parse_report(f"ThinkerApiFunction    | {WARM}") == parse_report(WARM)
    # sam local writes the runtime's lines as they come, sometimes after its own text.
    assert parse_report(f"2026-12-01 11:00:00 {COLD}\n") == parse_report(COLD)


def test_a_failed_init_is_a_failed_cold_invocation_with_its_init_billed() -> None:
    report = parse_report(
        "INIT_REPORT Init Duration: 250.51 ms\tPhase: init"
        "\tStatus: error\tError Type: Runtime.Unknown"
    )
    assert report == Report(
        request_id=None,
        duration_ms=0.0,
        billed_ms=251,
        memory_size_mb=None,
        max_memory_used_mb=None,
        init_ms=250.51,
        status=ERROR,
        error_type="Runtime.Unknown",
    )
    timed_out = parse_report("INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout")
    assert timed_out is not None
    assert timed_out.status == TIMEOUT


@pytest.mark.parametrize(
    "line",
    [
        "START RequestId: 1a Version: $LATEST",
        "END RequestId: 1a",
        "[INFO] REPORT generated for subject technology",
        "REPORT RequestId: 1a\tBilled Duration: 2 ms",  # no Duration: not a report
        "",
    ],
)
def test_other_lines_are_not_reports(line: str) -> None:
    assert parse_report(line) is None


def test_a_report_without_billed_duration_bills_the_duration_rounded_up() -> None:
    report = parse_report("REPORT RequestId: 2b\tDuration: 3.01 ms\tMemory Size: 128 MB")
    assert report is not None
    assert report.billed_ms == 4
    assert report.max_memory_used_mb is None
