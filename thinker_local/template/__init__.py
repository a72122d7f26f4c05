"""template.yaml, read for a local run.

- :mod:`.model`: what the template describes (functions, APIs, tables, roles), as plain values;
- :mod:`.loader`: reading the YAML and making the model of it (the SAM transform for roles);
- :mod:`.intrinsics`: CloudFormation's intrinsic functions and conditions, with local answers;
- :mod:`.roles`: each function's execution role, from the transformed template;
- :mod:`.local`: the local policy (ports, API ids, the environment's local overrides);
- :mod:`.env_vars`: SAM's ``--env-vars`` file over the functions' environments.

Every public name is importable from here.
"""

from .env_vars import read_env_vars, with_env_vars
from .loader import load_template, packaged, read_document, sam_transform, stack_name
from .local import (
    LOCAL_REMOVED_VARIABLES,
    PASS_THROUGH_SECRETS,
    LocalSettings,
    api_ports,
    local_api_id,
    local_overrides,
)
from .model import (
    DEFAULT_ARCHITECTURE,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    IMPLICIT_API,
    IMPLICIT_STAGE,
    MAX_INTEGRATION_TIMEOUT_MS,
    Api,
    CustomResource,
    ExecutionRole,
    Function,
    Layer,
    MissingParameter,
    Route,
    StackOutput,
    Table,
    Template,
    TemplateError,
)

__all__ = [
    "DEFAULT_ARCHITECTURE",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT_S",
    "IMPLICIT_API",
    "IMPLICIT_STAGE",
    "LOCAL_REMOVED_VARIABLES",
    "MAX_INTEGRATION_TIMEOUT_MS",
    "PASS_THROUGH_SECRETS",
    "Api",
    "CustomResource",
    "ExecutionRole",
    "Function",
    "Layer",
    "LocalSettings",
    "MissingParameter",
    "Route",
    "StackOutput",
    "Table",
    "Template",
    "TemplateError",
    "api_ports",
    "load_template",
    "local_api_id",
    "local_overrides",
    "packaged",
    "read_document",
    "read_env_vars",
    "sam_transform",
    "stack_name",
    "with_env_vars",
]
