"""What the benchmark reads from other programs: Lambda REPORT lines and ``-X importtime``."""

from __future__ import annotations

import pytest

from benchmarks.coldstart import parse_importtime
from benchmarks.report import merge_sections, sections_measured
from thinker_local.harness.reports import parse_reports

STACK_OUTPUT = (
    "MicroserviceFunction  | START RequestId: 66 Version: $LATEST\n"
    "MicroserviceFunction  | REPORT RequestId: 66\tDuration: 12.03 ms\tBilled Duration: 13 ms"
    "\tMemory Size: 512 MB\tMax Memory Used: 110 MB\n"
    "ThinkerApi            | GET /think/ 200 16.8 ms (RequestId: b7)\n"
    "ThinkerApiFunction    | REPORT RequestId: 1a\tDuration: 16.38 ms\tBilled Duration: 17 ms"
    "\tMemory Size: 512 MB\tMax Memory Used: 76 MB\tInit Duration: 590.12 ms\n"
)

IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |   _io
import time:        50 |        150 | site
import time:      2000 |       2500 |     ddtrace.internal
import time:       500 |       3000 |   ddtrace
import time:      1000 |       1000 |   aiohttp
import time:       300 |       4300 | microservice.main
"""


def test_report_lines_give_each_functions_duration_and_init_duration() -> None:
    found = parse_reports(STACK_OUTPUT)
    assert [(r.function, r.duration_ms, r.init_ms) for r in found] == [
        ("MicroserviceFunction", 12.03, None),
        ("ThinkerApiFunction", 16.38, 590.12),
    ]
    assert [(r.figures.billed_ms, r.figures.max_memory_used_mb) for r in found] == [
        (13, 110),
        (17, 76),
    ]


def test_importtime_sums_own_times_by_top_level_package() -> None:
    profile = parse_importtime("microservice.main", IMPORTTIME)

    assert profile.by_package_ms == pytest.approx(
        {"_io": 0.1, "site": 0.05, "ddtrace": 2.5, "aiohttp": 1.0, "microservice": 0.3}
    )
    assert profile.top(2) == [("ddtrace", pytest.approx(2.5)), ("aiohttp", pytest.approx(1.0))]


def test_importtime_total_is_the_modules_own_import_not_the_interpreters_start_up() -> None:
    assert parse_importtime("microservice.main", IMPORTTIME).total_ms == pytest.approx(4.3)


def test_a_step_run_alone_replaces_only_its_section_of_the_report() -> None:
    existing = (
        "# Report\n\nheader\n\n## 1. One\n\nold one\n\n"
        "## 7. Seven\n\nold seven\n\n## Findings\n\nkept\n"
    )
    fresh = (
        "# Report\n\nnew header\n\n## 1. One\n\n\n## 7. Seven\n\nnew seven\n\n## Findings\n\nkept\n"
    )

    merged = merge_sections(existing, fresh, {7})

    assert merged == existing.replace("old seven", "new seven")


def test_a_section_the_report_lacks_goes_after_the_one_before_it() -> None:
    existing = "# Report\n\n## 7. Seven\n\nold seven\n\n## Findings\n\nkept\n"
    fresh = "# Report\n\n## 7. Seven\n\nnew seven\n\n## 8. Eight\n\nnew eight\n\n## Findings\n"

    merged = merge_sections(existing, fresh, {8})

    assert merged == existing.replace("## Findings", "## 8. Eight\n\nnew eight\n\n## Findings")


def test_a_step_replaces_the_sections_it_measures_not_those_numbered_like_it() -> None:
    # Step 2 (cold starts) measures section 3; section 2's figures come from steps 1, 3 and 4.
    assert sections_measured({2}) == {3}
    assert sections_measured({3}) == {5}
    assert sections_measured({1, 3, 4}) == {1, 2, 5}
    assert sections_measured({7}) == {7}
    assert sections_measured({8}) == {8}
    assert sections_measured({9, 10}) == {9, 10}
