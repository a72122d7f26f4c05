"""The harness's own pieces, in process: the load loop, the progress bar, subjects, up.json."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from thinker_local.harness.load import Answer, Request, send_all
from thinker_local.harness.ports import free_port, free_ports
from thinker_local.harness.progress import ProgressBar
from thinker_local.harness.servers import serve
from thinker_local.harness.stack import read_info, state_dir_of, up_command
from thinker_local.harness.subjects import read_subjects, subject_query
from thinker_local.run.lifecycle import INFO_FILE


@pytest.fixture
def echo() -> Iterator[str]:
    """A server answering each GET with its ``n`` query value and status ``?status=``."""

    async def answer(request: web.Request) -> web.Response:
        await asyncio.sleep(0.01)
        status = int(request.query.get("status", "200"))
        return web.Response(text=request.query.get("n", ""), status=status, headers={"X-Id": "7"})

    app = web.Application()
    app.router.add_get("/", answer)
    with serve(app) as url:
        yield url


def test_the_load_loop_answers_in_order_and_calls_the_hook_once_per_request(echo: str) -> None:
    requests = [Request(f"{echo}/?n={n}&status={500 if n == 3 else 200}") for n in range(20)]
    seen: list[tuple[int, int]] = []
    answers = asyncio.run(
        send_all(requests, 4, on_answer=lambda i, answer: seen.append((i, answer.status)))
    )
    assert [answer.body for answer in answers] == [str(n).encode() for n in range(20)]
    assert [answer.status for answer in answers] == [500 if n == 3 else 200 for n in range(20)]
    assert sorted(seen) == [(n, 500 if n == 3 else 200) for n in range(20)]
    assert answers[0].headers.get("x-id") == "7", "headers stay case-insensitive"
    assert all(answer.seconds > 0 for answer in answers)


def test_a_request_that_gets_no_answer_has_status_0_and_the_errors_name() -> None:
    (answer,) = asyncio.run(send_all([Request(f"http://127.0.0.1:{free_port()}/")], 1))
    assert answer.status == 0
    assert answer.label == answer.error == "ClientConnectorError"
    assert Answer(502, 0.1).label == "502"


def test_the_progress_bar_draws_a_line_per_tenth_off_a_terminal() -> None:
    out = io.StringIO()
    bar = ProgressBar(out, 20, "seed")
    for done in range(1, 21):
        bar.draw(done, failed=done // 10)
    bar.finish()
    lines = out.getvalue().splitlines()
    assert len(lines) == 11  # the first draw, then one per tenth
    assert lines[-1] == f"seed: [{'#' * 30}] 20/20  failed 2"


def test_subjects_come_from_a_json_list_an_objects_keys_or_lines(tmp_path: Path) -> None:
    as_list, as_object, as_lines = (tmp_path / name for name in ("l.json", "o.json", "s.txt"))
    as_list.write_text('["b", "a"]')
    as_object.write_text('{"b": "thought", "a": "thought"}')
    as_lines.write_text("b\n\na\n")
    assert (
        read_subjects(as_list) == read_subjects(as_object) == read_subjects(as_lines) == ["a", "b"]
    )
    assert subject_query(["a b", "c/d"]) == "subject=a%20b&subject=c%2Fd"


def test_up_json_counts_only_once_it_says_ready(tmp_path: Path) -> None:
    assert read_info(tmp_path) is None
    info = {
        "pid": 42,
        "apis": {"Api": "http://127.0.0.1:5000/", "Other": "http://127.0.0.1:8000/"},
        "servers": {"APM": "http://127.0.0.1:8080/"},
        "agent": None,
        "apm": "http://127.0.0.1:8080/",
        "dynamodb": None,
        "trace_agent": "http://127.0.0.1:8126",
    }
    (tmp_path / INFO_FILE).write_text(json.dumps(info))
    assert read_info(tmp_path) is None
    (tmp_path / INFO_FILE).write_text(json.dumps({**info, "ready": True}))
    ready = read_info(tmp_path)
    assert ready is not None
    assert (ready.pid, ready.api, ready.apm, ready.agent) == (
        42,
        "http://127.0.0.1:5000",
        "http://127.0.0.1:8080",
        None,
    )


def test_the_state_directory_is_the_one_up_is_given() -> None:
    assert state_dir_of(up_command("--state-dir", "/tmp/x", "--port", "1")) == Path("/tmp/x")
    assert state_dir_of(["make", "up"]).name == ".thinker"
    assert len(set(free_ports(5))) == 5
