"""docs/benchmarks.md's sections written by benchmarks of their own: rewritten in place by
their benchmark, and carried over when ``make bench`` rewrites the rest of the file."""

from __future__ import annotations

from pathlib import Path

from benchmarks import sections
from benchmarks.report import write_markdown
from tests.support.bench_results import edits, known_results, store_figures


def test_a_section_is_added_then_rewritten_in_its_place(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\ntext\n")
    sections.put(path, "search", "## Search\n\nfirst\n")
    sections.put(path, "other", "## Other\n")
    sections.put(path, "search", "## Search\n\nsecond\n")
    text = path.read_text()
    assert text.startswith(
        "# Benchmarks\n\ntext\n\n<!-- section: search -->\n## Search\n\nsecond\n"
    )
    assert "first" not in text
    assert text.index("second") < text.index("## Other")
    assert text.count("<!-- section: search -->") == 1


def test_make_bench_keeps_the_other_benchmarks_sections(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    sections.put(path, "search", "## Trace search\n\n| query | p50 |\n")
    write_markdown(known_results(), path, "benchmarks.svg")
    text = path.read_text()
    assert text.startswith("# Benchmarks: what a traced request costs")
    assert "## Trace search\n\n| query | p50 |\n<!-- /section: search -->" in text
    write_markdown(known_results(), path, "benchmarks.svg")
    assert path.read_text() == text


def test_a_section_this_run_measured_itself_replaces_the_one_its_benchmark_wrote(
    tmp_path: Path,
) -> None:
    path = tmp_path / "benchmarks.md"
    sections.put(path, "search", "## Trace search\n")
    sections.put(path, "reload", "## Editing a handler\n\nold figures\n")
    sections.put(path, "store", "## The store at scale\n\nold figures\n")
    results = known_results()
    results.edits = edits(0.7, 0.8, 0.9)

    write_markdown(results, path, "benchmarks.svg")
    text = path.read_text()

    assert "<!-- section: reload -->" not in text
    assert "## 9. Editing a handler" in text
    assert "<!-- section: search -->" in text
    assert "## The store at scale\n\nold figures" in text

    results.store = store_figures()
    write_markdown(results, path, "benchmarks.svg", only={10})
    text = path.read_text()

    assert "<!-- section: store -->" not in text
    assert "## 10. The trace store at scale" in text
    assert "<!-- section: search -->" in text


def test_a_section_taken_out_takes_its_blank_lines_with_it() -> None:
    text = "# T\n\n<!-- section: a -->\nA\n<!-- /section: a -->\n\n<!-- section: b -->\nB\n"
    text += "<!-- /section: b -->\n"

    assert sections.without(text, {"a"}) == "# T\n\n<!-- section: b -->\nB\n<!-- /section: b -->\n"
    assert sections.without(text, {"b"}) == "# T\n\n<!-- section: a -->\nA\n<!-- /section: a -->\n"
    assert sections.without(text, {"c"}) == text
