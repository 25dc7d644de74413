"""Apache Kafka's jars from Maven Central, resolved once with Maven into a cache directory.

The cache holds a private Maven repository (``m2/``) and ``classpath.txt``, the resolved classpath.
Once ``classpath.txt`` exists and every jar it names is a readable archive, nothing touches the
network again. A partial or corrupt cache is detected (missing or truncated jars) and resolved anew.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

from bus.foundation.errors import ResolveError, ToolMissing

KAFKA_VERSION = "4.1.1"
# Kafka 4.1.x ships log4j2 2.24.3 and stays on slf4j-api 1.7.x, so the binding is log4j-slf4j-impl.
LOG4J_VERSION = "2.24.3"
# Maven 3.8's default dependency plugin (2.8) predates build-classpath's current behaviour.
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
RESOLVE_TIMEOUT_S = 900

_POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>govbus.local</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>{kafka}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{kafka}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-api</artifactId>
      <version>{log4j}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>{log4j}</version>
    </dependency>
  </dependencies>
</project>
"""


def runtime_dir(cache_root: Path) -> Path:
    """The cache directory of the pinned Kafka release under ``cache_root``."""
    return cache_root / f"kafka-{KAFKA_VERSION}"


def cached_classpath(cache_root: Path) -> list[Path] | None:
    """The cached classpath, or ``None`` when the cache is empty, partial or corrupt."""
    listing = runtime_dir(cache_root) / "classpath.txt"
    if not listing.is_file():
        return None
    jars = [Path(entry) for entry in listing.read_text().split(":") if entry.strip()]
    if not jars or not all(_readable_jar(jar) for jar in jars):
        return None
    return jars


def resolve(cache_root: Path) -> list[Path]:
    """Return Kafka's classpath, resolving it with Maven first if the cache cannot be used.

    Raises ``ToolMissing`` without ``mvn`` and ``ResolveError`` when Maven cannot resolve the
    artifacts (Maven Central unreachable with an empty cache, for example).
    """
    jars = cached_classpath(cache_root)
    if jars is not None:
        return jars
    if shutil.which("mvn") is None:
        raise ToolMissing(
            "mvn is not installed and Kafka's jars are not cached yet: install Maven "
            "(Debian: apt-get install maven), or set GOVBUS_KAFKA_BOOTSTRAP to a running broker",
            tool="mvn",
        )
    home = runtime_dir(cache_root)
    home.mkdir(parents=True, exist_ok=True)
    _discard_corrupt_jars(home)
    (home / "pom.xml").write_text(_POM.format(kafka=KAFKA_VERSION, log4j=LOG4J_VERSION))
    partial = home / "classpath.txt.partial"
    command = [
        "mvn",
        "--batch-mode",
        "--quiet",
        "-f",
        str(home / "pom.xml"),
        f"-Dmaven.repo.local={home / 'm2'}",
        f"{DEPENDENCY_PLUGIN}:build-classpath",
        f"-Dmdep.outputFile={partial}",
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=RESOLVE_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ResolveError(
            f"resolving Apache Kafka {KAFKA_VERSION} with Maven took over {RESOLVE_TIMEOUT_S} s"
        ) from exc
    if done.returncode != 0:
        raise ResolveError(
            f"cannot resolve Apache Kafka {KAFKA_VERSION} from Maven Central into {home} "
            f"(is Maven Central reachable?): {_first_error(done.stdout + done.stderr)}"
        )
    partial.replace(home / "classpath.txt")
    jars = cached_classpath(cache_root)
    if jars is None:
        raise ResolveError(f"Maven resolved Kafka into {home} but some jars are unreadable")
    return jars


def _readable_jar(jar: Path) -> bool:
    try:
        return jar.is_file() and zipfile.is_zipfile(jar)
    except OSError:
        return False


def _discard_corrupt_jars(home: Path) -> None:
    """Delete truncated jars so that Maven downloads them again instead of trusting them."""
    (home / "classpath.txt").unlink(missing_ok=True)
    repository = home / "m2"
    if not repository.is_dir():
        return
    for jar in repository.rglob("*.jar"):
        if not _readable_jar(jar):
            jar.unlink(missing_ok=True)


def _first_error(output: str) -> str:
    for line in output.splitlines():
        if line.startswith("[ERROR]") and line.strip() != "[ERROR]":
            return line.removeprefix("[ERROR]").strip()
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "Maven gave no reason"
