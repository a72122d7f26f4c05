"""Role sessions are renewed before they expire, and environments holding old ones are replaced.

Against moto's real server (IAM and STS enforced, as the stack runs it) with a clock the test
moves, and a pool of real execution environments of the throwaway faults function.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.processes import free_port
from tests.support.stacks import FAULTS_TEMPLATE
from thinker_local.aws.account import LOCAL_ACCOUNT, Credentials
from thinker_local.aws.dynamodb import LocalDynamoDB
from thinker_local.aws.iam import RENEW_BEFORE, LocalIam, service_callers
from thinker_local.build import FunctionImages
from thinker_local.harness.stack import BUILD_DIR, REPO
from thinker_local.lambdafn.environment import ExecutionEnvironment
from thinker_local.lambdafn.pool import FunctionPool
from thinker_local.output import Output
from thinker_local.template import Function, Template, load_template


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def moto_url(tmp_path: Path) -> AsyncIterator[str]:
    moto = LocalDynamoDB(
        free_port(), log_path=tmp_path / "moto.log", service_callers=service_callers(LOCAL_ACCOUNT)
    )
    try:
        await moto.start()
        yield moto.url
    finally:
        await moto.stop()


@pytest.fixture
def template() -> Template:
    return load_template(FAULTS_TEMPLATE)


async def test_a_session_is_kept_then_renewed_when_little_of_it_is_left(
    moto_url: str, template: Template
) -> None:
    clock = Clock()
    iam = LocalIam(moto_url, LOCAL_ACCOUNT, clock=clock)
    await iam.set_up(template)
    function = template.functions["PoolFunction"]

    first = await iam.credentials(function)
    again = await iam.credentials(function)
    assert first.expiration is not None
    clock.now = first.expiration - RENEW_BEFORE + timedelta(seconds=1)
    renewed = await iam.credentials(function)

    assert again == first
    assert iam.expiring(first)
    assert renewed.access_key_id != first.access_key_id
    assert renewed.expiration is not None
    assert renewed.expiration >= first.expiration  # moto's clock did not move: barely later
    caller = iam.caller(renewed.access_key_id)
    assert caller is not None
    assert caller.arn.endswith(":assumed-role/faults-PoolFunctionRole/PoolFunction")


class Expiring:
    """Credentials whose expiry the test decides."""

    def __init__(self) -> None:
        self.issued: list[Credentials] = []
        self.expired: set[str] = set()

    async def credentials(self, function: Function) -> Credentials:
        issued = Credentials(f"key-{len(self.issued)}", "secret", "token")
        self.issued.append(issued)
        return issued

    def expiring(self, credentials: Credentials) -> bool:
        return credentials.access_key_id in self.expired


async def test_an_environment_with_expiring_credentials_is_replaced(template: Template) -> None:
    source = Expiring()
    function = template.functions["PoolFunction"]

    image = await FunctionImages(BUILD_DIR, REPO, Output(io.StringIO())).image(function)

    def create(function: Function) -> ExecutionEnvironment:
        return ExecutionEnvironment(
            function,
            account=LOCAL_ACCOUNT,
            output=Output(io.StringIO()),
            credentials=source,
            image=image,
        )

    pool = FunctionPool(function, create, max_environments=1)
    try:
        assert (await pool.invoke(b"{}")).ok
        first_pids = pool.pids
        assert (await pool.invoke(b"{}")).ok
        assert pool.pids == first_pids  # warm: the same environment, the same credentials

        source.expired.add(source.issued[0].access_key_id)
        assert (await pool.invoke(b"{}")).ok

        assert [c.access_key_id for c in source.issued] == ["key-0", "key-1"]
        assert pool.pids.isdisjoint(first_pids)
        assert pool.size == 1
    finally:
        await pool.close()
