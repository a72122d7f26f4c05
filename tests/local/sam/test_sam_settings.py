"""What `make sam-local` hands `sam local start-api` (no Docker needed to check these)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.processes import REPO
from thinker_local.sam.engine import interface_address, remove_stale_build_locks
from thinker_local.sam.runner import sam_env_vars
from thinker_local.template import LocalSettings, load_template

TEMPLATE = REPO / "template.yaml"


def test_env_vars_point_the_containers_at_this_runs_ports_and_the_seeded_table() -> None:
    template = load_template(
        TEMPLATE,
        LocalSettings(
            dynamodb_url="http://host.docker.internal:5105",
            trace_agent_url="http://host.docker.internal:8226",
            parameter_overrides={"Mode": "local"},
        ),
    )
    base = json.loads((REPO / "env.json").read_text())

    variables = sam_env_vars(base, template, {5000: 5100, 5005: 5105, 8126: 8226})

    assert variables["Parameters"]["DD_TRACE_AGENT_URL"] == "http://host.docker.internal:8226"
    # thinker-api calls the microservice back through sam's one port.
    api = variables["ThinkerApiFunction"]
    assert api["THINKER_MICROSERVICE_URL"] == "http://host.docker.internal:5100/"
    assert api["DD_TRACE_AGENT_URL"] == "http://host.docker.internal:8226"
    # A function's own section wins over Parameters in sam: it carries the ports too.
    microservice = variables["MicroserviceFunction"]
    assert microservice["AWS_ENDPOINT_URL_DYNAMODB"] == "http://host.docker.internal:5105"
    assert microservice["THOUGHTS_TABLE"] == template.tables["ThoughtsTable"].name
    assert base["Parameters"]["DD_TRACE_AGENT_URL"] == "http://host.docker.internal:8126"


def test_env_json_names_the_table_the_seed_fills() -> None:
    template = load_template(TEMPLATE)
    env = json.loads((REPO / "env.json").read_text())

    assert env["MicroserviceFunction"]["THOUGHTS_TABLE"] == template.tables["ThoughtsTable"].name


def test_an_interfaces_address_is_read_from_the_kernel() -> None:
    assert interface_address("lo") == "127.0.0.1"
    assert interface_address("no-such-if0") is None


def test_a_build_lock_left_by_a_stopped_sam_is_removed_and_a_live_ones_kept(
    tmp_path: Path,
) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = tmp_path / "samcli_lambda-python_3.12-x86_64-abc.building.lock"
    stale.write_text(f"{gone.pid}\n1796180968.0")
    stale.with_suffix(".status").write_text("in_progress\n1796180968.0")
    live = tmp_path / "public.ecr.aws_lambda_python_3.12-rapid-x86_64.building.lock"
    live.write_text(f"{os.getpid()}\n1796180968.0")

    removed = remove_stale_build_locks(tmp_path)

    assert removed == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name]
