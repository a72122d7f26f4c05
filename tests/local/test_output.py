"""The stack's output stream: prefixed lines for the terminal, records for listeners."""

from __future__ import annotations

import io

from thinker_local.output import LogLine, Output


def test_a_line_is_written_with_its_source_and_given_to_every_listener() -> None:
    stream = io.StringIO()
    output = Output(stream, width=8)
    first: list[LogLine] = []
    second: list[LogLine] = []
    output.subscribe(first.append)
    output.subscribe(second.append)

    output.line("Api", "START RequestId: r-1", request_id="r-1")
    output.info("ready")

    assert stream.getvalue() == "Api     | START RequestId: r-1\nthinker | ready\n"
    assert [(r.source, r.text, r.request_id) for r in first] == [
        ("Api", "START RequestId: r-1", "r-1"),
        ("thinker", "ready", None),
    ]
    assert second == first
    assert first[0].time <= first[1].time
