"""Resolving Kafka's jars: a cache that is used when sound and redone when not."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bus.broker.local import jars
from bus.foundation.errors import ResolveError, ToolMissing


def _fake_cache(root: Path, *, corrupt: bool = False) -> list[Path]:
    home = jars.runtime_dir(root)
    home.mkdir(parents=True)
    good = home / "m2" / "a.jar"
    good.parent.mkdir(parents=True)
    with zipfile.ZipFile(good, "w") as archive:
        archive.writestr("A.class", b"\xca\xfe\xba\xbe")
    other = home / "m2" / "b.jar"
    if corrupt:
        other.write_bytes(good.read_bytes()[:20])  # a download cut short
    else:
        other.write_bytes(good.read_bytes())
    (home / "classpath.txt").write_text(f"{good}:{other}")
    return [good, other]


def test_a_sound_cache_is_used_without_maven(tmp_path: Path) -> None:
    """With every jar readable, the cached classpath is returned as written."""
    expected = _fake_cache(tmp_path)
    assert jars.cached_classpath(tmp_path) == expected
    assert jars.resolve(tmp_path) == expected


def test_an_empty_cache_is_not_usable(tmp_path: Path) -> None:
    """No classpath file means nothing was resolved yet."""
    assert jars.cached_classpath(tmp_path) is None


def test_a_truncated_jar_makes_the_cache_unusable(tmp_path: Path) -> None:
    """A partial download is detected instead of failing later inside the JVM."""
    _fake_cache(tmp_path, corrupt=True)
    assert jars.cached_classpath(tmp_path) is None


def test_a_missing_jar_makes_the_cache_unusable(tmp_path: Path) -> None:
    """A jar deleted from the cache is detected."""
    _, other = _fake_cache(tmp_path)
    other.unlink()
    assert jars.cached_classpath(tmp_path) is None


def test_without_maven_an_empty_cache_names_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resolving needs mvn; its absence is one clear sentence, not a traceback."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(ToolMissing, match="mvn is not installed") as caught:
        jars.resolve(tmp_path)
    assert caught.value.tool == "mvn"


def test_unreachable_maven_central_with_an_empty_cache_is_a_resolve_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Maven pointed at a closed port fails to resolve, and says so on one line."""
    user_home = tmp_path / "user"
    (user_home / ".m2").mkdir(parents=True)
    (user_home / ".m2" / "settings.xml").write_text(
        "<settings><mirrors><mirror><id>closed</id><mirrorOf>*</mirrorOf>"
        "<url>http://127.0.0.1:9/maven</url></mirror></mirrors></settings>"
    )
    monkeypatch.setenv("MAVEN_OPTS", f"-Duser.home={user_home}")
    with pytest.raises(ResolveError, match="cannot resolve Apache Kafka") as caught:
        jars.resolve(tmp_path / "cache")
    assert "\n" not in str(caught.value)
    assert not (jars.runtime_dir(tmp_path / "cache") / "classpath.txt").exists()
