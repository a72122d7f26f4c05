"""Sections of docs/benchmarks.md that a benchmark of its own writes (``python -m benchmarks.X``).

Each sits between two HTML comments naming it, so its benchmark can rewrite it alone, and
``make bench``, which rewrites the rest of the file, carries it over unchanged, unless it
measured the same itself in that run.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

_SECTION = re.compile(
    r"<!-- section: (?P<name>[\w.-]+) -->\n.*?<!-- /section: (?P=name) -->\n", re.S
)


def _marked(name: str, body: str) -> str:
    return f"<!-- section: {name} -->\n{body.rstrip()}\n<!-- /section: {name} -->\n"


def put(path: Path, name: str, body: str) -> None:
    """Write section ``name`` of the file at ``path``: in its place, or at the end."""
    text = path.read_text() if path.exists() else ""
    section = _marked(name, body)
    for match in _SECTION.finditer(text):
        if match.group("name") == name:
            path.write_text(text[: match.start()] + section + text[match.end() :])
            return
    path.write_text(text.rstrip("\n") + "\n\n" + section if text else section)


def kept(path: Path, leaving_out: Collection[str] = ()) -> str:
    """Every marked section of the file at ``path`` but those named in ``leaving_out``, in
    order (empty if none)."""
    if not path.exists():
        return ""
    return "\n".join(
        match.group()
        for match in _SECTION.finditer(path.read_text())
        if match.group("name") not in leaving_out
    )


def without(text: str, names: Collection[str]) -> str:
    """``text`` less its marked sections named in ``names``, and the blank lines before them."""
    for match in reversed(list(_SECTION.finditer(text))):
        if match.group("name") in names:
            text = text[: match.start()].rstrip("\n") + "\n" + text[match.end() :]
    return text
