"""The domain: thoughts by subject. No AWS, no Datadog, no HTTP."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Protocol


@dataclass(frozen=True)
class Thought:
    """A quote and its author."""

    quote: str
    author: str


class ThoughtsUnavailable(Exception):
    """The store could not be read (throttled, down, timing out) after its retries."""


class ThoughtStore(Protocol):
    """Where thoughts are looked up.

    ``get`` raises ``KeyError`` for an unknown subject and :class:`ThoughtsUnavailable` when the
    store cannot answer.
    """

    def get(self, subject: str) -> Thought: ...


class InMemoryThoughts:
    """A :class:`ThoughtStore` backed by a mapping: the twin of the DynamoDB store."""

    def __init__(self, thoughts: Mapping[str, Thought]) -> None:
        self._thoughts = dict(thoughts)

    def get(self, subject: str) -> Thought:
        return self._thoughts[subject]


def seed_thoughts() -> dict[str, Thought]:
    """The thoughts every deployment starts with (``thoughts.json``, shipped with the package)."""
    raw = json.loads(resources.files(__package__).joinpath("thoughts.json").read_text("utf-8"))
    return {subject: Thought(**fields) for subject, fields in raw.items()}


def answer(subject: str, thought: Thought | None) -> dict[str, object]:
    """The JSON object the API returns for one subject, as in the quick-start."""
    if thought is None:
        return {"error": True, "reason": "Subject unknown"}
    return {"error": False, "quote": thought.quote, "author": thought.author}
