"""The domain: seed thoughts and the answer for one subject."""

from __future__ import annotations

import pytest

from microservice.thoughts import InMemoryThoughts, Thought, answer, seed_thoughts
from tests.support.expected import SEED_RESPONSE


def test_the_seed_holds_the_quick_starts_feynman_quote() -> None:
    technology = seed_thoughts()["technology"]

    assert technology.quote == SEED_RESPONSE["technology"]["quote"]
    assert technology.author == "Richard Feynman"


def test_the_seed_has_a_handful_of_subjects_and_no_foo_bar() -> None:
    thoughts = seed_thoughts()

    assert len(thoughts) >= 5
    assert "foo_bar" not in thoughts
    assert all(t.quote and t.author for t in thoughts.values())


def test_an_unknown_subject_raises_key_error() -> None:
    with pytest.raises(KeyError):
        InMemoryThoughts({}).get("foo_bar")


def test_answers_are_shaped_as_in_the_quick_start() -> None:
    thought = Thought(quote="q", author="a")

    assert answer("x", thought) == {"error": False, "quote": "q", "author": "a"}
    assert answer("foo_bar", None) == SEED_RESPONSE["foo_bar"]
