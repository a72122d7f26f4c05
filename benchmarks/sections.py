"""Sections of docs/benchmarks.md that a benchmark of its own writes (``python -m benchmarks.X``).

Each sits between two HTML comments naming it, so its benchmark can rewrite it alone, and
``make bench``, which rewrites the rest of the file, carries it over unchanged.
"""

from __future__ import annotations

import re
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


def kept(path: Path) -> str:
    """Every marked section of the file at ``path``, in order (empty if none)."""
    if not path.exists():
        return ""
    return "\n".join(match.group() for match in _SECTION.finditer(path.read_text()))
