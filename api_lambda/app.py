"""thinker-api: the quick-start's API as a Chalice app. Routes only; the work is in chalicelib."""

from __future__ import annotations

from chalice.app import Chalice, Response

from chalicelib.errors import json_error
from chalicelib.microservice import MicroserviceError, get_microservice
from chalicelib.query import InvalidQuery, parse_subjects
from chalicelib.timing import call_budget

app = Chalice(app_name="thinker-api")


@app.route("/think", methods=["GET"])
def think_handler() -> Response:
    """``GET /think/?subject=a&subject=b``: the microservice's thoughts on each subject."""
    request = app.current_request
    assert request is not None, "Chalice sets the request before calling a route"
    try:
        subjects = parse_subjects(request.query_params)
        thoughts = get_microservice().think(subjects, timeout=call_budget(app.lambda_context))
    except InvalidQuery as error:
        return json_error(400, str(error))
    except MicroserviceError as error:
        return json_error(error.status, str(error))
    return Response(body=thoughts, status_code=200, headers={"Content-Type": "application/json"})
