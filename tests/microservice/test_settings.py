"""Settings from the environment: the quick-start's delays by default, clear errors otherwise."""

from __future__ import annotations

import pytest

from microservice.settings import Settings, SettingsError


def test_defaults_are_the_quick_starts_delays() -> None:
    settings = Settings.from_env({})

    assert (settings.subject_delay, settings.think_delay) == (0.2, 0.5)
    assert settings.table_name == "thinker-thoughts"


def test_delays_and_table_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {"THINKER_SUBJECT_DELAY": "0", "THINKER_THINK_DELAY": "1.5", "THOUGHTS_TABLE": "t"}
    )

    assert (settings.subject_delay, settings.think_delay, settings.table_name) == (0, 1.5, "t")


@pytest.mark.parametrize("value", ["soon", "-1", "61", "nan"])
def test_a_bad_delay_names_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="THINKER_THINK_DELAY"):
        Settings.from_env({"THINKER_THINK_DELAY": value})
