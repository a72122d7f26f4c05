"""The terminal commands: ``trace`` prints a trace as a tree, ``load`` sends seed-like requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.support.processes import REPO
from thinker_local.apm import create_apm_app
from thinker_local.cli import main
from thinker_local.harness.servers import serve
from thinker_local.store import TraceStore

THOUGHTS = REPO / "microservice_lambda/microservice/thoughts.json"


def test_trace_prints_the_latest_trace_as_a_tree(
    seeded_store: TraceStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trace", "--store", str(seeded_store.path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("trace 6924a0c0000000001111222233334444")
    assert "1 error" in lines[0]
    tree = "\n".join(lines)
    assert lines[2].startswith("thinker-api-gateway  aws.apigateway  GET /think")
    assert "└─ thinker-api  aws.lambda  thinker-api" in tree
    thinks = [line for line in lines if "  think  think" in line]
    assert len(thinks) == 2
    (foo_bar,) = [line for line in thinks if "subject=foo_bar" in line]
    assert foo_bar.endswith("ERROR builtins.KeyError: 'foo_bar'")
    assert any("subject=technology" in line and "ERROR" not in line for line in thinks)
    assert "import spans: --all" in tree  # cold-start imports folded
    assert "aws.lambda.import" not in tree
    assert "time per service:" in tree


def test_trace_all_shows_cold_start_imports(
    seeded_store: TraceStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trace", "--store", str(seeded_store.path), "--all"]) == 0
    assert "aws.lambda.import" in capsys.readouterr().out


def test_trace_by_decimal_id_and_through_the_api(
    seeded_store: TraceStore, capsys: pytest.CaptureFixture[str]
) -> None:
    decimal = str(0x1111_2222_3333_4444)
    assert main(["trace", decimal, "--store", str(seeded_store.path)]) == 0
    from_store = capsys.readouterr().out
    with serve(create_apm_app(seeded_store)) as apm:
        assert main(["trace", "--api", apm]) == 0
    assert capsys.readouterr().out == from_store


def test_trace_says_clearly_when_there_is_nothing(
    store: TraceStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trace", "--store", str(store.path)]) == 1
    assert "no trace yet" in capsys.readouterr().err
    assert main(["trace", "--store", str(tmp_path / "missing.sqlite3")]) == 1
    assert "make up" in capsys.readouterr().err


@pytest.fixture
def thinker_api() -> Iterator[tuple[str, list[list[str]]]]:
    """A stand-in for thinker-api that records each request's subjects."""
    seen: list[list[str]] = []

    async def think(request: web.Request) -> web.Response:
        subjects = request.query.getall("subject", [])
        seen.append(subjects)
        status = 502 if "fail" in subjects else 200
        return web.json_response({s: {"error": False} for s in subjects}, status=status)

    app = web.Application()
    app.router.add_get("/think/", think)
    with serve(app) as url:
        yield f"{url}/think/", seen


def test_load_sends_seed_like_requests_and_summarises(
    thinker_api: tuple[str, list[list[str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, seen = thinker_api
    args = ["-n", "40", "-c", "5", "--url", url, "--seed", "7", "--subjects-file", str(THOUGHTS)]
    assert main(["load", *args]) == 0
    assert len(seen) == 40
    assert all(1 <= len(subjects) <= 3 for subjects in seen)
    known = set(json.loads(THOUGHTS.read_text()))
    asked = {s for subjects in seen for s in subjects}
    assert asked & known, "some subjects are known"
    assert asked - known, "some are unknown, like foo_bar"
    out, err = capsys.readouterr()
    assert "40 requests in" in out
    assert "status: 200: 40" in out
    assert "latency: p50" in out
    assert f"[{'#' * 30}] 40/40" in err  # the progress bar, complete


def test_load_reports_failures_in_its_exit_code(
    thinker_api: tuple[str, list[list[str]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = thinker_api
    args = ["-n", "10", "--unknown", "1", "--unknown-subject", "fail", "--url", url]
    assert main(["load", *args]) == 1
    assert "502: 10" in capsys.readouterr().out


def test_load_stays_on_this_machine_and_within_bounds(
    thinker_api: tuple[str, list[list[str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, seen = thinker_api
    assert main(["load", "--url", "http://example.com/think/"]) == 2
    assert main(["load", "-n", "1000000", "--url", "http://127.0.0.1:9/think/"]) == 2
    assert main(["load", "-c", "0", "--url", "http://127.0.0.1:9/think/"]) == 2
    assert seen == []
    assert "127.0.0.1 or localhost" in capsys.readouterr().err


def test_load_takes_its_subjects_from_arguments_or_a_file(
    thinker_api: tuple[str, list[list[str]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, seen = thinker_api
    assert main(["load", "-n", "5", "--unknown", "0", "--subject", "tea", "--url", url]) == 0
    lines = tmp_path / "subjects.txt"
    lines.write_text("coffee\ncocoa\n")
    assert (
        main(["load", "-n", "5", "--unknown", "0", "--subjects-file", str(lines), "--url", url])
        == 0
    )
    assert {s for subjects in seen[:5] for s in subjects} == {"tea"}
    assert {s for subjects in seen[5:] for s in subjects} <= {"coffee", "cocoa"}
    assert main(["load", "-n", "5", "--url", url]) == 2
    assert "--subject NAME or --subjects-file FILE" in capsys.readouterr().err
    assert len(seen) == 10
