"""SAM's ``--env-vars`` file: values for the functions' environment variables, for a local run.

The file is JSON: ``{"FunctionLogicalId": {"VAR": "value"}, "Parameters": {"VAR": "value"}}``;
``Parameters`` applies to every function, a function's own section over it. As with ``sam
local``, only variables the template declares for the function take a value from the file,
and the local overrides (:func:`.local.local_overrides`: the agent, the endpoints) stay the
stack's own.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path

from .local import LocalSettings, local_overrides
from .model import Template, TemplateError

EnvVars = Mapping[str, Mapping[str, str]]
# The section that applies to every function.
ALL_FUNCTIONS = "Parameters"


def read_env_vars(path: Path) -> dict[str, dict[str, str]]:
    """The file's sections, each variable's value as a string (TemplateError if malformed)."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise TemplateError(f"--env-vars {path}: {error}") from None
    if not isinstance(document, dict) or not all(
        isinstance(section, dict) for section in document.values()
    ):
        raise TemplateError(
            f'--env-vars {path}: expected {{"FunctionLogicalId": {{"VAR": "value"}}, ...}}'
        )
    return {
        name: {key: _string(value) for key, value in section.items()}
        for name, section in document.items()
    }


def with_env_vars(template: Template, env_vars: EnvVars) -> Template:
    """The template with the file's values for the variables each function declares."""
    if not env_vars:
        return template
    kept = set(local_overrides(LocalSettings()))
    functions = {}
    for logical_id, function in template.functions.items():
        given = {**env_vars.get(ALL_FUNCTIONS, {}), **env_vars.get(logical_id, {})}
        environment = dict(function.environment)
        for name, value in given.items():
            if name in environment and name not in kept:
                environment[name] = value
        functions[logical_id] = dataclasses.replace(function, environment=environment)
    return dataclasses.replace(template, functions=functions)


def _string(value: object) -> str:
    # sam passes numbers and booleans as their JSON text ("true", "3").
    return value if isinstance(value, str) else json.dumps(value)
