"""CPU time by process from /proc: how processes are grouped, and what a load cost each."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from benchmarks import cpu
from thinker_local.harness.processes import children_of, kill

TICK = cpu.TICK_MS
API = cpu.environments("thinker-api")
# A parent that starts one child with a function's variable, then both wait to be stopped.
PARENT = """
import os, subprocess, sys, time
env = {**os.environ, "AWS_LAMBDA_FUNCTION_NAME": "ThinkerApiFunction"}
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env)
time.sleep(60)
"""


def test_each_process_counts_what_it_spent_between_the_snapshots() -> None:
    before = {
        1: cpu.Sample(cpu.UP, 100, 0),
        2: cpu.Sample(API, 50, 0),
        9: cpu.Sample(cpu.CLIENT, 1000, 5000),
    }
    after = {
        1: cpu.Sample(cpu.UP, 130, 0),
        2: cpu.Sample(API, 60, 0),
        3: cpu.Sample(API, 20, 0),  # started during the load: counts whole
        9: cpu.Sample(cpu.CLIENT, 1040, 9000),  # the client's children are not the stack's
    }

    used = cpu.spent(before, after, requests=10, seconds=1.0)

    assert used.ms == pytest.approx({cpu.UP: 30 * TICK, API: 30 * TICK, cpu.CLIENT: 40 * TICK})
    assert used.processes == {cpu.UP: 1, API: 2, cpu.CLIENT: 1}
    assert used.started == {API: 1}
    assert used.stack_per_request == pytest.approx(6 * TICK)
    assert used.per_request(cpu.CLIENT) == pytest.approx(4 * TICK)
    assert used.per_request(cpu.MOTO) == 0


def test_a_process_that_ended_counts_through_its_parent_for_the_load_only() -> None:
    before = {1: cpu.Sample(cpu.UP, 100, 0), 2: cpu.Sample(API, 50, 0)}
    # The parent collected 80 ticks from its ended child: 50 of them before the load.
    after = {1: cpu.Sample(cpu.UP, 100, 80)}

    used = cpu.spent(before, after, requests=1, seconds=1.0)

    assert used.ms == pytest.approx({cpu.UP: 0, cpu.ENDED: 30 * TICK})
    assert used.processes == {cpu.UP: 1}


@pytest.fixture
def parent() -> Iterator[int]:
    process = subprocess.Popen([sys.executable, "-c", PARENT])
    try:
        yield process.pid
    finally:
        kill({process.pid, *children_of(process.pid)})
        process.wait()


def test_a_snapshot_groups_the_stack_by_its_processes_and_adds_the_client(parent: int) -> None:
    names = {"ThinkerApiFunction": "thinker-api"}
    deadline = time.monotonic() + 30
    # Until the child runs its own program (a fork still has its parent's environment).
    while API not in {s.group for s in cpu.snapshot(parent, names).values()}:
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.05)
    (child,) = children_of(parent)

    found = cpu.snapshot(parent, names)

    assert {pid: sample.group for pid, sample in found.items()} == {
        os.getpid(): cpu.CLIENT,
        parent: cpu.UP,
        child: API,
    }
    assert found[os.getpid()].ticks > 0
