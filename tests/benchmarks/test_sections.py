"""docs/benchmarks.md's sections written by benchmarks of their own: rewritten in place by
their benchmark, and carried over when ``make bench`` rewrites the rest of the file."""

from __future__ import annotations

from pathlib import Path

from benchmarks import sections
from benchmarks.report import write_markdown
from tests.support.bench_results import known_results


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
