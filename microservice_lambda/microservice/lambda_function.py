"""The Lambda handler: ``microservice.lambda_function.handler``.

In AWS the Datadog layer's ``datadog_lambda.handler.handler`` wraps it (``DD_LAMBDA_HANDLER``).
"""

from .adapter import LambdaAdapter
from .db import DynamoDBThoughts
from .deadline import finish_open_spans, flush_deadline_ms
from .main import create_app
from .settings import Settings

_settings = Settings.from_env()
handler = LambdaAdapter(
    create_app(
        _settings,
        DynamoDBThoughts(_settings.table_name),
        continue_incoming_trace=False,
    ),
    # As ddtrace does for a synchronous handler, which it cannot do for the adapter's tasks.
    before_deadline=finish_open_spans,
    margin_ms=flush_deadline_ms(),
)
