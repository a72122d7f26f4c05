"""What template.yaml says about a function, for tests that run it outside the local stack."""

from __future__ import annotations

from tests.support.processes import REPO
from thinker_local.template import LocalSettings, load_template


def function_environment(logical_id: str, agent: str, **resolved: str) -> dict[str, str]:
    """The function's environment as the local stack resolves it (sending traces to ``agent``),
    ``resolved`` over it."""
    settings = LocalSettings(trace_agent_url=agent, environ=resolved)
    template = load_template(REPO / "template.yaml", settings)
    return {**template.functions[logical_id].environment, **resolved}
