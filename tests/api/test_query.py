"""The input contract of GET /think/."""

from __future__ import annotations

import pytest
from chalice.app import MultiDict

from chalicelib.query import MAX_SUBJECT_LENGTH, MAX_SUBJECTS, InvalidQuery, parse_subjects


def params(**values: list[str]) -> MultiDict:
    return MultiDict(values)


def test_repeated_subjects_are_kept_in_order() -> None:
    assert parse_subjects(params(subject=["technology", "foo_bar"])) == ["technology", "foo_bar"]


def test_other_parameters_are_ignored() -> None:
    assert parse_subjects(params(subject=["technology"], lang=["fr"])) == ["technology"]


@pytest.mark.parametrize("query", [None, {}, params(lang=["fr"])])
def test_subject_is_required(query: MultiDict | None) -> None:
    with pytest.raises(InvalidQuery, match="'subject' query parameter is required"):
        parse_subjects(query)


@pytest.mark.parametrize("empty", ["", "   ", "\x85", "\x1c", "\ufeff", " \ufeff\u3000"])
def test_an_empty_subject_is_refused(empty: str) -> None:
    with pytest.raises(InvalidQuery, match="must not be empty"):
        parse_subjects(params(subject=["technology", empty]))


def test_too_many_subjects_names_the_limit() -> None:
    with pytest.raises(InvalidQuery, match=f"at most {MAX_SUBJECTS} subjects"):
        parse_subjects(params(subject=["technology"] * (MAX_SUBJECTS + 1)))
    assert len(parse_subjects(params(subject=["technology"] * MAX_SUBJECTS))) == MAX_SUBJECTS


def test_a_too_long_subject_names_the_limit() -> None:
    with pytest.raises(InvalidQuery, match=f"at most {MAX_SUBJECT_LENGTH} characters"):
        parse_subjects(params(subject=["x" * (MAX_SUBJECT_LENGTH + 1)]))
    assert parse_subjects(params(subject=["é" * MAX_SUBJECT_LENGTH])) == ["é" * MAX_SUBJECT_LENGTH]
