"""The aiohttp application, through aiohttp's own test client and an in-memory thoughts store."""

from __future__ import annotations

import asyncio
import time
import traceback
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from microservice.main import create_app
from microservice.settings import Settings
from microservice.thoughts import InMemoryThoughts, Thought, ThoughtsUnavailable, seed_thoughts
from microservice.views import think
from tests.support.expected import SEED_RESPONSE


class SlowThoughts(InMemoryThoughts):
    """Counts lookups in flight, to show subjects are answered concurrently."""

    def __init__(self, delay: float) -> None:
        super().__init__(seed_thoughts())
        self.delay = delay
        self.in_flight = 0
        self.most_in_flight = 0

    def get(self, subject: str) -> Thought:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
            return super().get(subject)
        finally:
            self.in_flight -= 1


def app_with(store: Any, subject_delay: float = 0, think_delay: float = 0) -> web.Application:
    settings = Settings(subject_delay=subject_delay, think_delay=think_delay, table_name="unused")
    return create_app(settings, store, continue_incoming_trace=True)


@pytest.fixture
async def client(aiohttp_client: Any) -> TestClient[Any, Any]:
    return await aiohttp_client(app_with(InMemoryThoughts(seed_thoughts())))


async def test_answers_the_quick_starts_request(client: TestClient[Any, Any]) -> None:
    response = await client.get("/", params=[("subject", "technology"), ("subject", "foo_bar")])

    assert response.status == 200
    assert response.content_type == "application/json"
    assert await response.json() == SEED_RESPONSE


async def test_keeps_the_order_of_the_subjects(client: TestClient[Any, Any]) -> None:
    subjects = ["simplicity", "foo_bar", "technology", "debugging"]
    response = await client.get("/", params=[("subject", s) for s in subjects])

    assert list(await response.json()) == subjects


async def test_no_subject_is_an_empty_answer(client: TestClient[Any, Any]) -> None:
    response = await client.get("/")

    assert response.status == 200
    assert await response.json() == {}


async def test_subjects_are_looked_up_concurrently(aiohttp_client: Any) -> None:
    store = SlowThoughts(delay=0.05)
    client = await aiohttp_client(app_with(store))

    subjects = ["technology", "science", "simplicity", "optimization"]
    response = await client.get("/", params=[("subject", s) for s in subjects])

    assert response.status == 200
    assert store.most_in_flight > 1


async def test_each_subject_waits_the_configured_delays(
    aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def recorded_sleep(delay: float) -> None:
        waits.append(delay)
        await real_sleep(0)

    monkeypatch.setattr("microservice.views.asyncio.sleep", recorded_sleep)
    client = await aiohttp_client(
        app_with(InMemoryThoughts(seed_thoughts()), subject_delay=0.2, think_delay=0.5)
    )

    await client.get("/", params=[("subject", "technology"), ("subject", "foo_bar")])

    assert sorted(waits) == [0.2, 0.2, 0.5, 0.5]


class BrokenThoughts:
    def get(self, subject: str) -> Thought:
        raise ThoughtsUnavailable("throttled")


async def test_an_unavailable_store_is_a_503_json_error(aiohttp_client: Any) -> None:
    client = await aiohttp_client(app_with(BrokenThoughts()))

    response = await client.get("/", params=[("subject", "technology")])

    assert response.status == 503
    assert await response.json() == {"error": "thoughts are unavailable, try again later"}


async def test_an_unknown_subject_is_a_key_error_raised_by_think_itself() -> None:
    # think()'s span records this traceback as error.stack; ddtrace formats every frame of it
    # on the request's path, so it holds think()'s frame, not the store's and the executor's.
    with pytest.raises(KeyError, match="foo_bar") as raised:
        await think(InMemoryThoughts(seed_thoughts()), "foo_bar", 0)

    frames = traceback.extract_tb(raised.value.__traceback__)
    assert frames[-1].name == "think"
    assert not any(frame.name == "get" for frame in frames)
    assert raised.value.__suppress_context__
