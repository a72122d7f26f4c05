"""Issues 7 and 20's targets checked against known figures, and the report and plot built from
them."""

from __future__ import annotations

import dataclasses
import xml.dom.minidom

import pytest

from benchmarks import cpu
from benchmarks.plot import svg
from benchmarks.report import markdown
from benchmarks.results import Results, Throughput
from benchmarks.sam_local import SideBySide
from benchmarks.targets import checks
from tests.support.bench_results import (
    cpu_use,
    edits,
    known_results,
    side_by_side,
    store_figures,
    summary,
)

SEED_RATIO = "Seed request p50, local stack / handlers in process (the floor), tracing on"
CPU = "CPU per seed request, all the stack's processes together (from /proc), concurrency 8"
SIDE_BY_SIDE = "Throughput at concurrency 8, make up / sam local start-api (section 7)"
EDIT = "Edit of a handler → first answer with the new code (p50), no cold start seen by it"


def verdicts(results: Results) -> dict[str, tuple[str, bool | None]]:
    return {check.what: (check.measured, check.met) for check in checks(results)}


def test_each_target_is_met_missed_or_not_measured() -> None:
    verdicts = {check.what: (check.measured, check.met) for check in checks(known_results())}
    not_measured = ("not measured", None)

    assert verdicts["Seed request p50, local stack, delays 0, tracing on"] == ("9.0 ms", True)
    api = "Tracing overhead per warm invocation, thinker-api (p50, in process)"
    microservice = "Tracing overhead per warm invocation, thinker-microservice (p50, in process)"
    assert verdicts[api] == ("500 µs", True)
    assert verdicts[microservice] == ("2000 µs", False)
    assert verdicts["Init Duration, thinker-api, with the Datadog library (p50)"] == (
        "240 ms",
        True,
    )
    assert verdicts["Init Duration, thinker-microservice, with the Datadog library (p50)"] == (
        "not measured",
        None,
    )
    assert verdicts["10 subjects / 1 subject (p50, seed delays)"] == ("1.30 x", False)
    assert verdicts["Throughput at concurrency 8, tracing on"] == ("150 requests/s", False)
    assert verdicts["Artifact, thinker-api, zipped"] == ("4.50 MB", True)
    for what in (SEED_RATIO, CPU, SIDE_BY_SIDE, EDIT):
        assert verdicts[what] == not_measured
    assert verdicts["APM API p95, service map, 1,000,000 spans stored"] == not_measured
    assert verdicts["Bytes stored per span, 1,000,000 spans stored"] == not_measured


def test_the_seed_request_is_checked_against_the_handlers_in_process() -> None:
    results = known_results()
    results.seed["handlers in process, tracing on"] = summary(7.5)
    assert verdicts(results)[SEED_RATIO] == ("1.20 x", True)
    results.seed["handlers in process, tracing on"] = summary(6.0)
    assert verdicts(results)[SEED_RATIO] == ("1.50 x", False)


def test_cpu_per_request_counts_the_stack_not_the_client() -> None:
    results = known_results()
    results.cpu = cpu_use(requests=100, client=10_000.0)
    assert verdicts(results)[CPU] == ("8.0 ms", True)
    results.cpu = cpu_use(requests=100, moto=400.0)
    assert verdicts(results)[CPU] == ("11.0 ms", False)


@pytest.mark.parametrize(
    ("up", "sam", "measured", "met"), [(300, 50, "6.0 x", True), (200, 50, "4.0 x", False)]
)
def test_make_up_is_five_times_sam_local_at_concurrency_8(
    up: float, sam: float, measured: str, met: bool
) -> None:
    results = known_results()
    results.side_by_side = side_by_side(up, sam)
    assert verdicts(results)[SIDE_BY_SIDE] == (measured, met)


def test_an_edit_meets_its_target_only_fast_and_without_a_cold_start() -> None:
    results = known_results()
    results.edits = edits(0.7, 0.8, 0.9)
    assert verdicts(results)[EDIT] == ("0.80 s; at most 1 environment started per edit", True)
    results.edits = edits(0.7, 0.8, 0.9, started=[1, 2, 1])
    assert verdicts(results)[EDIT] == ("0.80 s; at most 2 environments started per edit", False)
    results.edits = edits(1.1, 1.2, 1.3)
    assert verdicts(results)[EDIT][1] is False


def test_the_store_at_scale_gives_each_apm_call_the_intake_and_the_bytes_per_span() -> None:
    results = known_results()
    results.store = store_figures(p95_ms=250.0, stored=20_000)
    found = verdicts(results)
    for call in ("services", "traces search", "a trace", "service map"):
        assert found[f"APM API p95, {call}, 20,000 spans stored"] == ("250 ms", False)
    assert found["Agent intake sustained while the APM is read, 20,000 spans stored"] == (
        "21,000 spans/s",
        True,
    )
    assert found["Bytes stored per span, 20,000 spans stored"] == ("900 bytes", True)


def test_the_report_lists_the_targets_and_the_plot_is_valid_svg() -> None:
    results = known_results()

    report = markdown(results, "benchmarks.svg")
    drawing = svg(results)

    assert (
        "| Seed request p50, local stack, delays 0, tracing on | ≤ 10 ms | 9.0 ms | met |" in report
    )
    assert "![Benchmark plot](benchmarks.svg)" in report
    assert f"| {CPU} | ≤ 10 ms | not measured | not measured |" in report
    assert xml.dom.minidom.parseString(drawing).documentElement.tagName == "svg"


def test_section_7_sets_make_up_and_sam_local_side_by_side_with_ratios() -> None:
    results = known_results()

    def stack(name: str, scale: float) -> SideBySide:
        return SideBySide(
            name,
            start_s=10.0 * scale,
            first_ms=20.0 * scale,
            seed=summary(15.0 * scale),
            throughput=[
                Throughput(c, 100, 0, 60.0 / scale, summary(15.0 * scale)) for c in (1, 4, 8)
            ],
        )

    results.side_by_side = [stack("make up", 1.0), stack("sam local start-api", 2.0)]
    results.side_by_side_step.run = "2026-01-01 00:00 UTC; before: load 3.10 / 0.20 / 0.30"
    results.side_by_side_step.load = 3.1

    section = markdown(results, "b.svg").split("## 7.")[1].split("\n## ")[0]

    assert "| Seed request p50 | 15.0 ms | 30.0 ms | 2.00 x |" in section
    assert "| From the command to the first answer | 10.0 s | 20.0 s | 2.00 x |" in section
    assert "| Throughput at concurrency 8 | 60.0 requests/s | 30.0 requests/s | 0.50 x |" in section
    assert "load 3.10 / 0.20 / 0.30" in section
    assert "The machine was shared with other work" in section


def test_section_7_says_why_sam_local_was_not_measured() -> None:
    results = known_results()
    results.side_by_side_step.note = "no `docker` command"

    section = markdown(results, "b.svg").split("## 7.")[1].split("\n## ")[0]

    assert "`sam local start-api` not measured: no `docker` command" in section


def test_section_8_puts_both_lambda_apis_side_by_side() -> None:
    results = known_results()
    results.lambda_invoke = {"make up": summary(8.0), "sam local start-lambda": summary(32.0)}

    section = markdown(results, "b.svg").split("## 8.")[1].split("\n## ")[0]

    assert "| p50 | 8.00 ms | 32.0 ms | 4.00 x |" in section


def test_section_5_shows_the_cpu_of_each_process_per_request() -> None:
    results = known_results()
    results.cpu = dataclasses.replace(
        cpu_use(requests=100), started={cpu.environments("thinker-api"): 1}
    )

    section = markdown(results, "b.svg").split("## 5.")[1].split("\n## ")[0]

    assert "100 seed requests at concurrency 8 after the loads above (50 requests/s)" in section
    assert "| Process | ms per request | cores busy | processes |" in section
    assert f"| {cpu.UP} | 3.00 | 0.15 | 1 |" in section
    assert "| thinker-api's environments | 1.50 | 0.07 | 1 (1 started) |" in section
    assert "| thinker-microservice's environments | 2.50 | 0.12 | 1 |" in section
    assert "| **the stack, all its processes** | 8.00 | 0.40 |  |" in section
    assert f"| {cpu.CLIENT} | 2.00 | 0.10 | 1 |" in section
    assert "| all together | 10.0 | 0.50 |  |" in section


def test_sections_9_and_10_show_the_edits_and_the_store_or_say_they_were_not_measured() -> None:
    results = known_results()
    report = markdown(results, "b.svg")
    assert "## 9. Editing a handler: save → first answer with the new code\n\nNot" in report
    assert "## 10. The trace store at scale: intake, APM calls, bytes per span\n\nNot" in report

    results.edits = edits(0.7, 0.8, 0.9)
    results.store = store_figures(stored=20_000)
    report = markdown(results, "b.svg")
    nine = report.split("## 9.")[1].split("\n## ")[0]
    ten = report.split("## 10.")[1].split("\n## ")[0]

    assert "| save → first answer with the new code | 0.80 s |" in nine
    assert "Target met at p50." in nine
    assert "20,000 spans stored" in ten
    assert "| `service map` | 25 | 50 |" in ten
