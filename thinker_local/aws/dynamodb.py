"""DynamoDB, locally: moto's server, with the template's tables created in it.

The same server is the account's IAM and STS (see :mod:`thinker_local.aws.iam`): AWS's managed
policies are loaded in it, and it knows which caller stands for the Lambda service.
moto runs as its own process (its Flask server would otherwise share the gateway's interpreter
and GIL); its request log goes to ``<state dir>/logs/dynamodb.log``. Tables are created from
their ``AWS::DynamoDB::Table`` properties, as CloudFormation would create them; filling them is
the template's own business (its seed custom resource, see
:mod:`thinker_local.aws.custom_resources`).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import boto3

from ..process import spawn, terminate
from ..template import Table
from ..waiting import accepts, until_async
from .account import LocalAccount

STARTUP_TIMEOUT_S = 30.0


class DynamoDBError(RuntimeError):
    """Local DynamoDB could not be started or set up."""


class LocalDynamoDB:
    """moto's server on ``host:port``."""

    def __init__(
        self,
        port: int,
        *,
        log_path: Path,
        host: str = "127.0.0.1",
        service_callers: Mapping[str, str] | None = None,
        allow_hosts: Sequence[str] = (),
    ) -> None:
        """``allow_hosts``: the names it answers besides loopback ones (containers' names)."""
        self.host = host
        self._allow_hosts = tuple(allow_hosts)
        self.port = port
        self._log_path = log_path
        self._service_callers = dict(service_callers or {})
        self._process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    async def start(self) -> None:
        """Start the server and wait until it answers."""
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self._log_path.open("ab")
        self._process = await spawn(
            sys.executable,
            "-m",
            "thinker_local.aws.moto_server",
            *(f"--service-caller={arn}={name}" for arn, name in self._service_callers.items()),
            *(f"--allow-host={name}" for name in self._allow_hosts),
            "-H",
            self.host,
            "-p",
            str(self.port),
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
        )
        process = self._process

        async def serving() -> bool:
            if process.returncode is not None:
                raise DynamoDBError(
                    f"moto's server exited with {process.returncode}; see {self._log_path}"
                )
            return await asyncio.to_thread(accepts, self.host, self.port)

        if not await until_async(serving, STARTUP_TIMEOUT_S, interval=0.1):
            raise DynamoDBError(f"moto's server did not listen on {self.url}; see {self._log_path}")

    async def create_tables(self, tables: Iterable[Table], account: LocalAccount) -> None:
        """Create each table as CloudFormation would, and wait until it is ACTIVE."""
        client = self._client(account)
        for table in tables:
            await asyncio.to_thread(_create_table, client, table)

    async def stop(self) -> None:
        if self._process is not None:
            await terminate(self._process)
        if self._log is not None:
            self._log.close()
            self._log = None

    def _client(self, account: LocalAccount) -> Any:
        credentials = account.credentials
        return boto3.client(
            "dynamodb",
            endpoint_url=self.url,
            region_name=account.region,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
        )


def _create_table(client: Any, table: Table) -> None:
    client.create_table(**table.create_table_arguments)
    client.get_waiter("table_exists").wait(
        TableName=table.name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100}
    )
