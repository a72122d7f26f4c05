"""Issue 7's targets checked against known figures, and the report and plot built from them."""

from __future__ import annotations

import xml.dom.minidom

from benchmarks.plot import svg
from benchmarks.report import markdown
from benchmarks.results import Throughput
from benchmarks.sam_local import SideBySide
from benchmarks.targets import checks
from tests.support.bench_results import known_results, summary


def test_each_target_is_met_missed_or_not_measured() -> None:
    verdicts = {check.what: (check.measured, check.met) for check in checks(known_results())}

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


def test_the_report_lists_the_targets_and_the_plot_is_valid_svg() -> None:
    results = known_results()

    report = markdown(results, "benchmarks.svg")
    drawing = svg(results)

    assert (
        "| Seed request p50, local stack, delays 0, tracing on | ≤ 10 ms | 9.0 ms | met |" in report
    )
    assert "![Benchmark plot](benchmarks.svg)" in report
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
