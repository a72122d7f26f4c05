"""moto's server routes every request from one listing of its services' packages, taken at start."""

from __future__ import annotations

import os

import pytest
from moto import backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from thinker_local.aws.moto_server import route_from_one_listing


def test_requests_are_routed_without_listing_moto_again(monkeypatch: pytest.MonkeyPatch) -> None:
    listed = list(backends.list_of_moto_modules())
    # moto's own function is put back after the test.
    monkeypatch.setattr(backends, "list_of_moto_modules", backends.list_of_moto_modules)
    route_from_one_listing()

    def no_listing(path: str) -> list[str]:
        raise AssertionError(f"moto's packages listed again ({path})")

    monkeypatch.setattr(os, "listdir", no_listing)
    assert list(backends.list_of_moto_modules()) == listed
    dispatcher = DomainDispatcherApplication(create_app=lambda service: service)
    assert dispatcher.get_backend_for_host("dynamodb") == "dynamodb"
    assert dispatcher.get_backend_for_host("sts") == "sts"
