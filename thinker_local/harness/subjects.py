"""What load requests ask for: one to three subjects (values of ``subject``), some unknown.

Which subjects an API knows, and which it does not, is the caller's to say.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote


def read_subjects(path: Path) -> list[str]:
    """Subjects from a file: a JSON list, a JSON object's keys, or one per line."""
    text = path.read_text("utf-8")
    try:
        parsed = json.loads(text)
    except ValueError:
        return sorted({line.strip() for line in text.splitlines() if line.strip()})
    if isinstance(parsed, dict | list):
        return sorted(str(subject) for subject in parsed)
    raise ValueError(f"{path}: expected a JSON list or object, or one subject per line")


def subjects_for(
    rng: random.Random,
    known: Sequence[str],
    unknown_share: float,
    unknown: Sequence[str],
) -> list[str]:
    """One request's subjects: one to three, each unknown with probability ``unknown_share``."""
    count = rng.randint(1, 3)
    return [
        rng.choice(unknown) if rng.random() < unknown_share else rng.choice(known)
        for _ in range(count)
    ]


def subject_query(subjects: Sequence[str]) -> str:
    """``subject=a&subject=b``, each value escaped."""
    return "&".join(f"subject={quote(subject, safe='')}" for subject in subjects)
