"""Every error thinker-api returns is ``{"error": "..."}``, never a stack trace."""

from __future__ import annotations

import json

from chalice.app import Response


def json_error(status: int, message: str) -> Response:
    """A JSON error response."""
    return Response(
        body=json.dumps({"error": message}),
        status_code=status,
        headers={"Content-Type": "application/json"},
    )
