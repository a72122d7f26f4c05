"""docs/benchmarks.svg: the run's main figures as horizontal bar charts, drawn by hand.

One panel per question (latency by layer, cold start, subjects, throughput), each bar labelled
with its value; a dashed line marks the target where there is one, a thin line the p95.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from .results import FUNCTION_NAMES, Results

WIDTH = 760
LABEL_WIDTH = 250
# Room on the right for the last bar's value.
VALUE_WIDTH = 90
BAR_HEIGHT = 18
GAP = 6
PANEL_TOP = 30
PANEL_BOTTOM = 24
INIT_LABELS = {"traced": "with Datadog", "untraced": "without Datadog"}
COLOURS = ("#632ca6", "#3d8fd1", "#e0a33a", "#2f9e6b")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    whisker: float | None = None  # e.g. the p95 beside a p50


@dataclass(frozen=True)
class Panel:
    title: str
    unit: str
    bars: list[Bar]
    target: float | None = None


def _panel(panel: Panel, top: float, colour: str) -> tuple[list[str], float]:
    scale_max = (
        max([bar.whisker or bar.value for bar in panel.bars] + [panel.target or 0.0]) * 1.15 or 1.0
    )
    plot_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = PANEL_TOP + len(panel.bars) * (BAR_HEIGHT + GAP) + PANEL_BOTTOM
    out = [
        f'<text x="10" y="{top + 20}" class="title">{escape(panel.title)}</text>',
    ]
    for index, bar in enumerate(panel.bars):
        y = top + PANEL_TOP + index * (BAR_HEIGHT + GAP)
        width = max(1.0, bar.value / scale_max * plot_width)
        out.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT - 5}" class="label"'
            f' text-anchor="end">{escape(bar.label)}</text>'
        )
        out.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}"'
            f' fill="{colour}"/>'
        )
        text_x = LABEL_WIDTH + width + 4
        if bar.whisker is not None:
            end = LABEL_WIDTH + bar.whisker / scale_max * plot_width
            text_x = max(text_x, end + 4)
            middle = y + BAR_HEIGHT / 2
            out.append(
                f'<line x1="{LABEL_WIDTH + width:.1f}" y1="{middle}" x2="{end:.1f}"'
                f' y2="{middle}" class="whisker"/>'
            )
        out.append(
            f'<text x="{text_x:.1f}" y="{y + BAR_HEIGHT - 5}" class="value">'
            f"{bar.value:.4g} {escape(panel.unit)}</text>"
        )
    if panel.target is not None:
        x = LABEL_WIDTH + panel.target / scale_max * plot_width
        bottom = top + height - PANEL_BOTTOM + 4
        out.append(
            f'<line x1="{x:.1f}" y1="{top + PANEL_TOP - 4}" x2="{x:.1f}" y2="{bottom}"'
            f' class="target"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{bottom + 12}" class="note" text-anchor="middle">'
            f"target {panel.target:g} {escape(panel.unit)}</text>"
        )
    return out, height


def panels(results: Results) -> list[Panel]:
    found = []
    if results.seed:
        found.append(
            Panel(
                "Seed request, delays 0: p50 (line to p95) by layer",
                "ms",
                [Bar(label, s.p50, s.p95) for label, s in results.seed.items()],
                target=10,
            )
        )
    if results.init:
        found.append(
            Panel(
                "Init Duration (p50, line to p95)",
                "ms",
                [
                    Bar(
                        f"{name}, {'with' if mode == 'traced' else 'without'} Datadog", s.p50, s.p95
                    )
                    for (name, mode), s in sorted(results.init.items())
                    if name in FUNCTION_NAMES
                ],
                target=250,
            )
        )
    if results.subjects:
        found.append(
            Panel(
                "Seed delays: latency by number of subjects (p50, line to p95)",
                "ms",
                [
                    Bar(f"{count} subject(s)", s.p50, s.p95)
                    for count, s in sorted(results.subjects.items())
                ],
            )
        )
    if results.throughput:
        found.append(
            Panel(
                "Local stack throughput, tracing on (target at concurrency 8)",
                "req/s",
                [Bar(f"concurrency {t.concurrency}", t.requests_per_s) for t in results.throughput],
                target=200,
            )
        )
    return found


def svg(results: Results) -> str:
    body: list[str] = []
    top = 10.0
    for index, panel in enumerate(panels(results)):
        elements, height = _panel(panel, top, COLOURS[index % len(COLOURS)])
        body += elements
        top += height + 10
    height = top + 10
    style = (
        "text{font-family:sans-serif;fill:#222}.title{font-size:14px;font-weight:bold}"
        ".label,.value{font-size:12px}.note{font-size:11px;fill:#a11}"
        ".target{stroke:#a11;stroke-dasharray:4 3;stroke-width:1.5}"
        ".whisker{stroke:#222;stroke-width:1.5}"
    )
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}"'
            f' viewBox="0 0 {WIDTH} {height:.0f}">',
            f"<style>{style}</style>",
            f'<rect width="{WIDTH}" height="{height:.0f}" fill="white"/>',
            *body,
            "</svg>",
            "",
        ]
    )


def write_svg(results: Results, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg(results))
