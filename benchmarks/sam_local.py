"""``sam local start-api``: why this command does not measure it (yet)."""

from __future__ import annotations

import shutil

from .lambda_env import REPO


def why_not_measured() -> str:
    """The reason, for the report."""
    makefile = (REPO / "Makefile").read_text()
    if "sam-local" not in makefile and "sam_local" not in makefile:
        return (
            "no `sam local start-api` target in the Makefile yet (its work is in progress:"
            " tests/sam_local/, docs/sam-local.md)"
        )
    if shutil.which("docker") is None:
        return "`sam local start-api` needs a container engine; `docker` is not installed"
    return (
        "`make test-sam-local` exists, but it is an opt-in test that needs root, a Docker engine"
        " and a locally built stand-in image, and it serves on the fixed ports samconfig.toml"
        " and env.json name (5000, 5005, 8126), which a benchmark must leave to other stacks;"
        " its functions also pay Docker's and the emulator's hops. Left for a dedicated run"
    )
