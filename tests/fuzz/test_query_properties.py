"""Properties of thinker-api's input contract and of its signed call, for any Unicode input."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.session import Session
from chalice.app import MultiDict
from hypothesis import given, settings
from hypothesis import strategies as st
from yarl import URL

from chalicelib.microservice import MicroserviceClient
from chalicelib.query import (
    MAX_SUBJECT_LENGTH,
    MAX_SUBJECTS,
    InvalidQuery,
    is_blank,
    parse_subjects,
)
from thinker_local.apigw.sigv4 import verify
from thinker_local.aws.account import LOCAL_ACCOUNT

# Any Unicode a URL can carry once UTF-8 encoded (lone surrogates cannot be).
TEXT = st.characters(exclude_categories=("Cs",))
SUBJECT = st.text(TEXT, min_size=1, max_size=MAX_SUBJECT_LENGTH).filter(lambda s: not is_blank(s))
SUBJECTS = st.lists(SUBJECT, min_size=1, max_size=MAX_SUBJECTS)
OTHER_PARAMETERS = st.dictionaries(
    st.text(TEXT, max_size=10).filter(lambda name: name != "subject"),
    st.lists(st.text(TEXT, max_size=20), min_size=1, max_size=3),
    max_size=4,
)


def _query(subjects: list[str], others: dict[str, list[str]]) -> MultiDict:
    return MultiDict({**others, "subject": subjects})


@given(SUBJECTS, OTHER_PARAMETERS)
def test_valid_subjects_come_back_in_order_whatever_else_is_sent(
    subjects: list[str], others: dict[str, list[str]]
) -> None:
    assert parse_subjects(_query(subjects, others)) == subjects


@given(st.lists(SUBJECT, min_size=MAX_SUBJECTS + 1, max_size=MAX_SUBJECTS + 5))
def test_too_many_subjects_are_refused_naming_the_limit(subjects: list[str]) -> None:
    with pytest.raises(InvalidQuery) as refused:
        parse_subjects(_query(subjects, {}))

    assert str(refused.value) == f"at most {MAX_SUBJECTS} subjects per request, got {len(subjects)}"


@given(SUBJECTS, st.text(TEXT, min_size=MAX_SUBJECT_LENGTH + 1, max_size=200), st.data())
def test_a_subject_too_long_is_refused_naming_the_limit(
    subjects: list[str], long: str, data: st.DataObject
) -> None:
    position = data.draw(st.integers(0, len(subjects) - 1))
    subjects = [*subjects[:position], long, *subjects[position + 1 :]][:MAX_SUBJECTS]
    with pytest.raises(InvalidQuery) as refused:
        parse_subjects(_query(subjects, {}))

    assert str(refused.value) == (
        f"a subject is at most {MAX_SUBJECT_LENGTH} characters, got {len(long)}"
    )


@given(
    st.dictionaries(
        st.text(TEXT, max_size=10), st.lists(st.text(TEXT, max_size=80), max_size=12), max_size=4
    )
)
def test_any_query_gives_subjects_or_invalid_query_and_nothing_else(
    params: dict[str, list[str]],
) -> None:
    try:
        subjects = parse_subjects(MultiDict(params))
    except InvalidQuery:
        return
    assert 1 <= len(subjects) <= MAX_SUBJECTS
    assert all(not is_blank(s) and len(s) <= MAX_SUBJECT_LENGTH for s in subjects)


class _Capture:
    """Stands in for thinker-api's requests session: keeps the request, answers ``{}``."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, str]]] = []

    def get(self, url: str, *, headers: dict[str, str], timeout: float) -> Any:
        self.sent.append((url, headers))
        return type("Answer", (), {"status_code": 200, "text": "{}"})()


def _local_role() -> Session:
    session = Session()
    credentials = LOCAL_ACCOUNT.credentials
    session.set_credentials(
        credentials.access_key_id, credentials.secret_access_key, credentials.session_token
    )
    return session


ROLE = _local_role()


@settings(max_examples=200)
@given(SUBJECTS)
def test_any_subjects_reach_the_microservice_intact_and_correctly_signed(
    subjects: list[str],
) -> None:
    """The call's query decodes (as aiohttp decodes it) to the same subjects, and its SigV4
    signature is the one API Gateway computes for it."""
    http = _Capture()
    client = MicroserviceClient(
        "http://127.0.0.1:8000/", region=LOCAL_ACCOUNT.region, http=http, botocore_session=ROLE
    )

    client.think(subjects, timeout=1)

    ((url, headers),) = http.sent
    assert URL(url, encoded=True).query.getall("subject") == subjects
    parts = urlsplit(url)
    verify(
        method="GET",
        raw_path=parts.path,
        query=parts.query,
        headers=list(headers.items()),
        body=b"",
        account=LOCAL_ACCOUNT,
        keys={LOCAL_ACCOUNT.credentials.access_key_id: LOCAL_ACCOUNT.credentials}.get,
    )
