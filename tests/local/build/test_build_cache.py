"""The build cache: unchanged input built once, changed input again, a failure never kept."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from thinker_local.build.cache import BuildCache, content_key
from thinker_local.output import Output


def _cache(root: Path) -> tuple[BuildCache, io.StringIO]:
    stream = io.StringIO()
    return BuildCache(root, Output(stream)), stream


def test_an_unchanged_input_is_built_once_and_a_changed_one_again(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("PyYAML==6.0.4\n")
    cache, output = _cache(tmp_path / "cache")
    builds: list[Path] = []

    def build(target: Path) -> None:
        builds.append(target)
        (target / "installed").write_text(requirements.read_text())

    first = asyncio.run(cache.get("deps", content_key([requirements]), build, "deps"))
    again = asyncio.run(cache.get("deps", content_key([requirements]), build, "deps"))
    requirements.write_text("PyYAML==6.0.3\n")
    changed = asyncio.run(cache.get("deps", content_key([requirements]), build, "deps"))

    assert len(builds) == 2
    assert first == again != changed
    assert (first / "installed").read_text() == "PyYAML==6.0.4\n"
    assert (changed / "installed").read_text() == "PyYAML==6.0.3\n"
    assert output.getvalue().count("building deps") == 2


def test_a_failed_build_leaves_nothing_behind_and_is_tried_again(tmp_path: Path) -> None:
    cache, _ = _cache(tmp_path / "cache")
    key = content_key(["x"])

    def fail(target: Path) -> None:
        (target / "half").write_text("written before the failure")
        raise RuntimeError("pip failed")

    with pytest.raises(RuntimeError, match="pip failed"):
        asyncio.run(cache.get("deps", key, fail, "deps"))
    built = asyncio.run(cache.get("deps", key, lambda target: None, "deps"))

    assert built.is_dir()
    assert not (built / "half").exists()
    assert [p.name for p in (tmp_path / "cache").iterdir() if "partial" in p.name] == []
