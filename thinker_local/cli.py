"""``python -m thinker_local COMMAND``: one sub-command per module of ``thinker_local.commands``."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

# Each module defines ``register(subparsers)``, which adds its parser and sets ``func``.
COMMANDS: tuple[str, ...] = ("up", "invoke", "sam", "call", "trace", "logs", "load")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m thinker_local", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"thinker_local.commands.{name}").register(subparsers)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)
