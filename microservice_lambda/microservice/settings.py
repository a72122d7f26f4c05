"""Settings read from the environment, with the quick-start's values as defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_SUBJECT_DELAY = 0.2
DEFAULT_THINK_DELAY = 0.5
DEFAULT_TABLE_NAME = "thinker-thoughts"


class SettingsError(ValueError):
    """An environment variable holds a value the microservice cannot use."""


@dataclass(frozen=True)
class Settings:
    """How the microservice behaves.

    - ``THINKER_SUBJECT_DELAY``: seconds waited before each subject (quick-start: 0.2).
    - ``THINKER_THINK_DELAY``: seconds spent inside ``think`` (quick-start: 0.5).
    - ``THOUGHTS_TABLE``: the DynamoDB table holding the thoughts.
    """

    subject_delay: float = DEFAULT_SUBJECT_DELAY
    think_delay: float = DEFAULT_THINK_DELAY
    table_name: str = DEFAULT_TABLE_NAME

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        return cls(
            subject_delay=_seconds(environ, "THINKER_SUBJECT_DELAY", DEFAULT_SUBJECT_DELAY),
            think_delay=_seconds(environ, "THINKER_THINK_DELAY", DEFAULT_THINK_DELAY),
            table_name=environ.get("THOUGHTS_TABLE") or DEFAULT_TABLE_NAME,
        )


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not 0 <= value <= 60:
        raise SettingsError(f"{name} must be between 0 and 60 seconds, got {raw!r}")
    return value
