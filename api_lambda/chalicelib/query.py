"""The input contract of ``GET /think/``.

- ``subject`` is required, and may repeat: ``?subject=technology&subject=foo_bar``;
- at most :data:`MAX_SUBJECTS` subjects, each 1 to :data:`MAX_SUBJECT_LENGTH` characters, not
  blank (see :func:`is_blank`);
- other parameters are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_SUBJECTS = 10
MAX_SUBJECT_LENGTH = 64


# What counts as whitespace: Python's (str.isspace) and the OpenAPI schema's (`pattern: \S`,
# ECMA-262's \s) together. They differ on U+001C-U+001F and U+0085 (Python only) and U+FEFF
# (ECMA-262 only); the schema's pattern names Python's extras, this names ECMA's.
_ECMA_ONLY_WHITESPACE = "\ufeff"


def is_blank(subject: str) -> bool:
    """Whether the subject is empty or whitespace only, by Python's and the schema's rules."""
    return not subject.strip().strip(_ECMA_ONLY_WHITESPACE).strip()


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
        if is_blank(subject):
            raise InvalidQuery("'subject' must not be empty")
        if len(subject) > MAX_SUBJECT_LENGTH:
            raise InvalidQuery(
                f"a subject is at most {MAX_SUBJECT_LENGTH} characters, got {len(subject)}"
            )
    return subjects
