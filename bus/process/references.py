"""References in deployment files, resolved before validation: settings and secrets kept apart.

Any string value of a deployment document, at any depth, may hold references, as Kafka Connect's
config providers resolve them:

``${env:NAME}`` (or ``${NAME}``)
    The environment variable ``NAME`` (letters, digits and ``_``, not starting with a digit).
``${file:/run/secrets/token}``
    The whole text of a file, as Docker and Kubernetes mount secrets; one trailing newline is
    dropped. A relative path is taken from the deployment file's folder. The file must be a
    regular UTF-8 file of at most ``MAX_SECRET_FILE_BYTES``.
``$${``
    A literal ``${``.

A reference may sit inside a longer text (``"sqlite+aiosqlite:///${env:DATA_DIR}/gro.db"``).
Resolved text is never scanned again, so a value holding ``${`` stays as it is. Values that are
not strings (numbers, booleans, dates) and the keys of tables are left untouched.

``resolve`` never raises for a bad reference: it returns every problem, each naming its key path
(``sinks[0].config.secret: ${env:BADGE_API_TOKEN} is not set``) and never a resolved value, and
the resolved values with their references, so that whoever reports an error can show the
reference instead of the value (``Resolution.redact``).
The environment is given, not read here: the command line passes ``os.environ``.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_SECRET_FILE_BYTES = 64 * 1024
PROVIDERS = ("env", "file")
MIN_REDACTED = 4

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# "$${" is an escaped "${"; "${...}" runs to the first "}"; a "${" without one is malformed.
_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")


@dataclass(frozen=True, slots=True)
class Resolution:
    """A document with its references resolved, what went wrong, and the values put in."""

    document: Any
    problems: tuple[str, ...]
    references: Mapping[str, str] = field(default_factory=dict)

    def redact(self, text: str) -> str:
        """``text`` with each resolved value in it shown as its reference, longest value first.

        Values shorter than ``MIN_REDACTED`` characters are left, as replacing them would garble
        messages (a ``0`` or a ``1`` is no secret).
        """
        for value in sorted(self.references, key=len, reverse=True):
            if len(value) >= MIN_REDACTED:
                text = text.replace(value, self.references[value])
        return text


def resolve(document: Any, *, environ: Mapping[str, str], base_dir: Path) -> Resolution:
    """Resolve every reference in ``document`` (tables, arrays, strings) from ``environ``/files."""
    resolver = _Resolver(environ, base_dir)
    resolved = resolver.walk(document, "")
    return Resolution(resolved, tuple(resolver.problems), resolver.references)


class _Resolver:
    def __init__(self, environ: Mapping[str, str], base_dir: Path) -> None:
        self.environ = environ
        self.base_dir = base_dir
        self.problems: list[str] = []
        self.references: dict[str, str] = {}

    def walk(self, node: Any, path: str) -> Any:
        if isinstance(node, Mapping):
            return {
                key: self.walk(value, f"{path}.{key}" if path else str(key))
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [self.walk(item, f"{path}[{i}]") for i, item in enumerate(node)]
        if isinstance(node, str) and "$" in node:
            return self.text(node, path or "(file)")
        return node

    def text(self, text: str, path: str) -> str:
        parts: list[str] = []
        position = 0
        for match in _TOKEN.finditer(text):
            parts.append(text[position : match.start()])
            position = match.end()
            written = match.group(0)
            if written == "$${":
                parts.append("${")
                continue
            try:
                if match.group(1) is None:
                    raise _Unresolved("'${' without a closing '}' (write $${ for a '${')")
                value = self.reference(match.group(1))
            except _Unresolved as exc:
                self.problems.append(f"{path}: {exc}")
                continue
            parts.append(value)
            self.references.setdefault(value, written)
        parts.append(text[position:])
        return "".join(parts)

    def reference(self, body: str) -> str:
        """The value of the reference ``${<body>}``; ``_Unresolved`` says why there is none."""
        shown = "${" + body + "}"
        provider, colon, argument = body.partition(":")
        if not colon:
            provider, argument = "env", body
        if provider == "env":
            if not _ENV_NAME.fullmatch(argument):
                raise _Unresolved(
                    f"{shown} is malformed: name an environment variable, e.g. ${{env:TOKEN}}"
                )
            if argument not in self.environ:
                raise _Unresolved(f"{shown} is not set")
            return self.environ[argument]
        if provider == "file":
            if not argument.strip() or "${" in argument:
                raise _Unresolved(f"{shown} is malformed: name a file, e.g. ${{file:/x}}")
            try:
                return self.file(argument)
            except _Unresolved as exc:
                raise _Unresolved(f"{shown}: {exc}") from None
        raise _Unresolved(
            f"{shown} is malformed: unknown provider {provider[:40]!r} "
            f"(known: {', '.join(PROVIDERS)})"
        )

    def file(self, name: str) -> str:
        """The text of a secret file; ``_Unresolved`` never holds any of its content."""
        path = self.base_dir / name
        try:
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
                raise _Unresolved(f"the file is {kind}")
            # Read one byte past the bound, so a file that grows meanwhile is still caught.
            with path.open("rb") as handle:
                data = handle.read(MAX_SECRET_FILE_BYTES + 1)
        except OSError as exc:
            raise _Unresolved(
                f"cannot read the file: {exc.strerror or type(exc).__name__}"
            ) from None
        if len(data) > MAX_SECRET_FILE_BYTES:
            raise _Unresolved(f"the file is larger than {MAX_SECRET_FILE_BYTES} bytes")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Unresolved(f"the file is not UTF-8 (byte {exc.start})") from None
        if text.endswith("\n"):
            text = text.removesuffix("\n").removesuffix("\r")
        return text


class _Unresolved(Exception):
    """Why one reference has no value; the resolver collects these as problems."""
