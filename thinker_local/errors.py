"""The error every part of a local run raises when it cannot start, with what to do about it."""

from __future__ import annotations


class StackError(RuntimeError):
    """The stack cannot start; the message tells the user what to do."""
