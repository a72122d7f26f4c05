"""SAM's ``--env-vars`` file over the template's environments (``up`` and ``invoke``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.processes import REPO
from thinker_local.template import (
    LocalSettings,
    TemplateError,
    load_template,
    read_env_vars,
    with_env_vars,
)


def test_a_functions_section_wins_over_parameters_for_declared_variables_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "env.json"
    path.write_text(
        '{"Parameters": {"DD_ENV": "shared", "THINKER_THINK_DELAY": 0, "NOT_DECLARED": "x"},'
        ' "MicroserviceFunction": {"DD_ENV": "own", "DD_TRACE_AGENT_URL": "http://elsewhere"}}'
    )
    template = load_template(
        REPO / "template.yaml", LocalSettings(trace_agent_url="http://127.0.0.1:9126")
    )

    changed = with_env_vars(template, read_env_vars(path)).functions

    microservice = changed["MicroserviceFunction"].environment
    assert microservice["DD_ENV"] == "own"
    assert microservice["THINKER_THINK_DELAY"] == "0"
    assert "NOT_DECLARED" not in microservice
    # The local overrides stay the stack's: the agent is the local one.
    assert microservice["DD_TRACE_AGENT_URL"] == "http://127.0.0.1:9126"
    assert changed["ThinkerApiFunction"].environment["DD_ENV"] == "shared"


def test_a_file_that_is_not_sams_shape_is_a_template_error(tmp_path: Path) -> None:
    path = tmp_path / "env.json"
    path.write_text('{"Parameters": "DD_ENV=x"}')

    with pytest.raises(TemplateError, match="--env-vars"):
        read_env_vars(path)
