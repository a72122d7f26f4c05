"""The input contract of ``GET /think/``.

- ``subject`` is required, and may repeat: ``?subject=technology&subject=foo_bar``;
- at most :data:`MAX_SUBJECTS` subjects, each 1 to :data:`MAX_SUBJECT_LENGTH` characters;
- other parameters are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_SUBJECTS = 10
MAX_SUBJECT_LENGTH = 64


class InvalidQuery(ValueError):
    """The query breaks the contract; the message says how, for the client."""


def parse_subjects(params: Mapping[str, Any] | None) -> list[str]:
    """The subjects asked for, in order, or :class:`InvalidQuery`.

    ``params`` is Chalice's ``query_params`` (a MultiDict with ``getlist``) or a plain mapping.
    """
    if not params or "subject" not in params:
        raise InvalidQuery("the 'subject' query parameter is required, e.g. ?subject=technology")
    getlist = getattr(params, "getlist", None)
    subjects = [str(s) for s in getlist("subject")] if getlist else [str(params["subject"])]
    if len(subjects) > MAX_SUBJECTS:
        raise InvalidQuery(f"at most {MAX_SUBJECTS} subjects per request, got {len(subjects)}")
    for subject in subjects:
        if not subject.strip():
            raise InvalidQuery("'subject' must not be empty")
        if len(subject) > MAX_SUBJECT_LENGTH:
            raise InvalidQuery(
                f"a subject is at most {MAX_SUBJECT_LENGTH} characters, got {len(subject)}"
            )
    return subjects
