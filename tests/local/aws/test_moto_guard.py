"""moto's server, as the stack runs it, answers SDK calls on loopback names and the names it is
given, and nothing a web page sends: its /moto-api/ holds every secret and switches IAM off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import requests

from tests.support.processes import free_port
from thinker_local.aws.account import LOCAL_ACCOUNT
from thinker_local.aws.dynamodb import LocalDynamoDB
from thinker_local.aws.iam import service_callers

CONTAINER_HOST = "host.docker.internal"


@pytest.fixture
async def moto_url(tmp_path: Path) -> AsyncIterator[str]:
    moto = LocalDynamoDB(
        free_port(),
        log_path=tmp_path / "moto.log",
        service_callers=service_callers(LOCAL_ACCOUNT),
        allow_hosts=(CONTAINER_HOST,),
    )
    try:
        await moto.start()
        yield moto.url
    finally:
        await moto.stop()


def get(url: str, **headers: str) -> requests.Response:
    return requests.get(f"{url}/moto-api/data.json", headers=headers, timeout=10)


async def test_a_web_page_reads_nothing_from_moto(moto_url: str) -> None:
    port = moto_url.rsplit(":", 1)[1]
    for headers in (
        {"Origin": "http://rebind.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Host": f"rebind.example:{port}"},
        {"Host": f"localhost.rebind.example:{port}"},
    ):
        response = get(moto_url, **headers)
        assert response.status_code == 403, headers
        assert response.headers["Content-Type"].startswith("text/plain")
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "secret" not in response.text.lower()
    reset = requests.post(
        f"{moto_url}/moto-api/reset-auth",
        data=b"1000",
        headers={"Origin": "http://rebind.example", "Content-Type": "text/plain"},
        timeout=10,
    )
    assert reset.status_code == 403


async def test_sdks_on_loopback_names_and_the_given_names_are_answered(moto_url: str) -> None:
    port = moto_url.rsplit(":", 1)[1]
    for host in ("127.0.0.1", "localhost", "[::1]", CONTAINER_HOST):
        response = get(moto_url, Host=f"{host}:{port}")
        assert response.status_code == 200, host
        assert "sts" in response.json()
