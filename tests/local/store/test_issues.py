"""Error Tracking: what makes two errors one issue, and the issues the store and the JSON API
give after the seed request with ``foo_bar`` twice and a baseline of ``technology`` requests."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.seed_chunks import Chunks, technology_only, trace_copy
from thinker_local.apm import create_apm_app
from thinker_local.harness.servers import serve
from thinker_local.store import TraceStore
from thinker_local.store.issues import fingerprint, normalise_message, own_frames

STACK = """Traceback (most recent call last):
  File "/opt/python/lib/python3.12/site-packages/ddtrace/_trace/tracer.py", line 975, in wrapper
    return await f(*args, **kwargs)
  File "/var/task/microservice/views.py", line {views}, in think
    return await asyncio.to_thread(store.get, subject)
  File "/var/lang/lib/python3.12/asyncio/threads.py", line 25, in to_thread
    return await loop.run_in_executor(None, func_call)
  File "/var/task/microservice/db.py", line 45, in {function}
    raise KeyError(subject)
KeyError: {message}
"""


def error(message: str, *, views: int = 22, function: str = "get", kind: str = "KeyError") -> Any:
    return fingerprint(
        {
            "error.type": f"builtins.{kind}",
            "error.message": message,
            "error.stack": STACK.format(views=views, function=function, message=message),
        }
    )


def test_the_same_error_on_other_values_is_one_issue() -> None:
    assert error("'foo_bar'") == error("'baz'")
    assert error("'foo_bar'").id == error("'baz'", views=40).id  # an edit moved the line


def test_another_type_message_shape_or_own_frame_is_another_issue() -> None:
    ids = {
        error("'foo_bar'").id,
        error("'foo_bar'", kind="ValueError").id,
        error("no subject 'foo_bar'").id,
        error("'foo_bar'", function="get_many").id,
    }
    assert len(ids) == 4


def test_only_the_projects_own_frames_count_innermost_first() -> None:
    assert own_frames(STACK.format(views=1, function="get", message="x")) == (
        "microservice/db.py in get",
        "microservice/views.py in think",
    )
    assert fingerprint({"http.status_code": "500"}) is None


@pytest.mark.parametrize(
    ("message", "pattern"),
    [
        ("'foo_bar'", "'<text>'"),
        ('unknown subject "baz" after 3 attempts', 'unknown subject "<text>" after <n> attempts'),
        ("request 266110d5-f8fd-411b-9b88-8bd85d67188d failed", "request <uuid> failed"),
        ("object at 0x7f3a2c1d", "object at <hex>"),
        ("Datadog detected an Impending Timeout", "Datadog detected an Impending Timeout"),
    ],
)
def test_a_message_is_normalised_to_its_pattern(message: str, pattern: str) -> None:
    assert normalise_message(message) == pattern


def as_subject(subject: str) -> Any:
    """The seed's spans as if the request had asked for ``subject`` instead of ``foo_bar``."""

    def mutate(span: dict[str, Any]) -> None:
        if span["meta"].get("subject") == "foo_bar":
            span["meta"]["subject"] = subject
            span["meta"]["error.message"] = f"'{subject}'"
            span["meta"]["error.stack"] = span["meta"]["error.stack"].replace("foo_bar", subject)

    return mutate


@pytest.fixture(scope="module")
def errors_store(
    tmp_path_factory: pytest.TempPathFactory, seed: Chunks
) -> Iterator[tuple[TraceStore, list[str]]]:
    """Three technology-only requests, the seed twice and one asking for ``baz``, a minute
    apart, the newest now; and the ids of the traces with errors, newest first."""
    with TraceStore(tmp_path_factory.mktemp("issues") / "traces.sqlite3") as store:
        now = time.time_ns()
        failed = []
        mutations = [technology_only] * 3 + [None, None, as_subject("baz")]
        for number, mutate in enumerate(mutations):
            start = now - (len(mutations) - number) * 60_000_000_000
            store.add_chunks(trace_copy(seed, number, start_ns=start, mutate=mutate))
            if mutate is not technology_only:
                failed.insert(0, store.latest_trace_id() or "")
        yield store, failed


def test_the_keyerror_is_one_issue_with_its_count_places_and_times(
    errors_store: tuple[TraceStore, list[str]],
) -> None:
    store, _ = errors_store
    (issue,) = store.issues.issues(3600)
    assert issue["type"] == "builtins.KeyError"
    assert issue["message"] == "'baz'"  # the newest occurrence's
    assert issue["pattern"] == "'<text>'"
    assert issue["frames"] == ["microservice/db.py in get", "microservice/views.py in think"]
    assert issue["count"] == 3
    assert issue["services"] == ["thinker-microservice"]
    assert issue["resources"] == [
        {"service": "thinker-microservice", "resource": "think", "count": 3}
    ]
    assert issue["first_seen"] < issue["last_seen"]
    assert sum(issue["sparkline"]["counts"]) == 3
    assert not any(issue["sparkline"]["counts"][:-3])  # the last three minutes only


def test_an_issue_lists_its_newest_samples_and_its_stack(
    errors_store: tuple[TraceStore, list[str]],
) -> None:
    store, failed = errors_store
    (summary,) = store.issues.issues(3600)
    issue = store.issues.issue(summary["id"], 3600)
    assert issue is not None
    assert [sample["trace_id"] for sample in issue["samples"]] == failed
    assert [sample["message"] for sample in issue["samples"]] == ["'baz'", "'foo_bar'", "'foo_bar'"]
    assert "raise KeyError(subject)" in issue["stack"]
    assert store.issues.issue("0" * 16, 3600) is None


def test_the_window_and_the_service_bound_the_issues(
    errors_store: tuple[TraceStore, list[str]],
) -> None:
    store, _ = errors_store
    # Two minutes back reaches the newest two errors (a minute apart) only.
    (recent,) = store.issues.issues(150)
    assert recent["count"] == 2
    assert recent["first_seen"] < time.time_ns() - 150_000_000_000  # first seen ever
    assert store.issues.issues(3600, service="thinker-api") == []
    assert len(store.issues.issues(3600, service="thinker-microservice")) == 1


def test_a_span_sent_again_without_its_error_leaves_the_issue(tmp_path: Path, seed: Chunks) -> None:
    with TraceStore(tmp_path / "traces.sqlite3") as store:
        start = time.time_ns() - 5_000_000_000
        store.add_chunks(trace_copy(seed, 0, start_ns=start))
        assert store.issues.issues(3600)[0]["count"] == 1
        store.add_chunks(trace_copy(seed, 0, start_ns=start, mutate=technology_only))
        assert store.issues.issues(3600) == []


def test_a_store_written_before_error_tracking_gets_its_issues_once_reopened(
    tmp_path: Path, seed: Chunks
) -> None:
    path = tmp_path / "traces.sqlite3"
    with TraceStore(path) as store:
        store.add_chunks(trace_copy(seed, 0, start_ns=time.time_ns() - 5_000_000_000))
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE span_errors")
        db.execute("DELETE FROM upgrades WHERE name = 'span_errors'")
    with TraceStore(path) as reopened:
        assert reopened.issues.issues(3600)[0]["count"] == 1


@pytest.fixture(scope="module")
def apm(errors_store: tuple[TraceStore, list[str]]) -> Iterator[str]:
    with serve(create_apm_app(errors_store[0])) as url:
        yield url


def test_the_api_lists_issues_and_answers_one_with_its_samples(
    errors_store: tuple[TraceStore, list[str]], apm: str
) -> None:
    _, failed = errors_store
    listed = requests.get(f"{apm}/api/errors", params={"window": "1h"}, timeout=10).json()
    assert listed["window"] == 3600.0
    (issue,) = listed["issues"]
    assert issue["count"] == 3
    one = requests.get(f"{apm}/api/errors/{issue['id']}", timeout=10).json()["issue"]
    assert [sample["trace_id"] for sample in one["samples"]] == failed
    assert requests.get(f"{apm}/api/errors/{'0' * 16}", timeout=10).status_code == 404
    assert requests.get(f"{apm}/api/errors", params={"window": "x"}, timeout=10).status_code == 400


def test_a_traces_error_span_names_its_issue(
    errors_store: tuple[TraceStore, list[str]], apm: str
) -> None:
    _, failed = errors_store
    (issue,) = requests.get(f"{apm}/api/errors", timeout=10).json()["issues"]
    spans = requests.get(f"{apm}/api/traces/{failed[0]}", timeout=10).json()["spans"]
    assert {span["name"]: span["issue"] for span in spans if span["error"]} == {
        "think": issue["id"]
    }
    assert all(span["issue"] is None for span in spans if not span["error"])
