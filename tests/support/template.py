"""What template.yaml says about a function, for tests that run it outside AWS."""

from __future__ import annotations

from typing import Any

from cfnlint.decode import decode

from tests.support.processes import REPO


def load_template() -> dict[str, Any]:
    template, errors = decode(str(REPO / "template.yaml"))
    assert not errors, errors
    assert template is not None
    return dict(template)


def function_environment(logical_id: str, **resolved: str) -> dict[str, str]:
    """The function's environment (Globals merged), intrinsics replaced by ``resolved`` values.

    A variable whose value is an intrinsic function and is not in ``resolved`` is left out.
    """
    template = load_template()
    variables: dict[str, Any] = {}
    for section in (
        template.get("Globals", {}).get("Function", {}),
        template["Resources"][logical_id]["Properties"],
    ):
        variables.update(section.get("Environment", {}).get("Variables", {}))
    environment = {name: value for name, value in variables.items() if isinstance(value, str)}
    parameters = template.get("Parameters", {})
    for name, value in variables.items():
        if name in resolved:
            environment[name] = resolved[name]
        elif (
            isinstance(value, dict)
            and "Ref" in value
            and "Default" in parameters.get(value["Ref"], {})
        ):
            environment[name] = str(parameters[value["Ref"]]["Default"])
    environment.update({k: v for k, v in resolved.items() if k not in environment})
    return environment
