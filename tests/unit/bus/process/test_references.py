"""References in deployment documents: environment and secret files in, problems named by key."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import pytest

from bus.process.references import MAX_SECRET_FILE_BYTES, Resolution, resolve

ENV = {"TOKEN": "t0ken-from-env", "DATA_DIR": "/srv/data", "EMPTY": "", "TRICK": "${env:TOKEN}"}


def _resolve(document: Any, tmp_path: Path, environ: dict[str, str] | None = None) -> Resolution:
    return resolve(document, environ=ENV if environ is None else environ, base_dir=tmp_path)


def _secret_file(tmp_path: Path, content: bytes, name: str = "token") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_env_references_are_replaced_inside_longer_text(tmp_path: Path) -> None:
    """`${env:NAME}` and the short `${NAME}` take the variable's value wherever they stand."""
    done = _resolve(
        {"url": "sqlite+aiosqlite:///${env:DATA_DIR}/gro.db", "secret": "${TOKEN}"}, tmp_path
    )
    assert done.problems == ()
    assert done.document == {
        "url": "sqlite+aiosqlite:////srv/data/gro.db",
        "secret": "t0ken-from-env",
    }


def test_a_variable_set_to_the_empty_string_resolves_to_it(tmp_path: Path) -> None:
    """Set-but-empty is a value, not a missing variable."""
    assert _resolve({"x": "a${env:EMPTY}b"}, tmp_path).document == {"x": "ab"}


def test_a_file_reference_reads_the_whole_file_less_one_trailing_newline(tmp_path: Path) -> None:
    """A Docker/Kubernetes secret file ends in a newline the secret does not include."""
    path = _secret_file(tmp_path, b"s3cret\n\n")
    crlf = _secret_file(tmp_path, b"windows\r\n", name="crlf")
    done = _resolve({"a": f"${{file:{path}}}", "b": f"${{file:{crlf}}}"}, tmp_path)
    assert done.problems == ()
    assert done.document == {"a": "s3cret\n", "b": "windows"}


def test_a_relative_file_path_is_read_from_the_deployment_files_folder(tmp_path: Path) -> None:
    """`${file:secrets/token}` next to the deployment works wherever govbus is started from."""
    (tmp_path / "secrets").mkdir()
    _secret_file(tmp_path / "secrets", b"nearby")
    assert _resolve({"s": "${file:secrets/token}"}, tmp_path).document == {"s": "nearby"}


def test_double_dollar_escapes_a_literal_reference(tmp_path: Path) -> None:
    """`$${` is a literal `${`; lone dollars stay as they are."""
    done = _resolve({"t": "$${env:TOKEN} costs $5 or $$5"}, tmp_path)
    assert done.problems == ()
    assert done.document == {"t": "${env:TOKEN} costs $5 or $$5"}


def test_resolved_text_is_not_resolved_again(tmp_path: Path) -> None:
    """A value holding `${...}` is taken literally, so a variable cannot pull in another."""
    assert _resolve({"t": "${env:TRICK}"}, tmp_path).document == {"t": "${env:TOKEN}"}


def test_references_in_nested_tables_and_arrays_are_resolved_and_named(tmp_path: Path) -> None:
    """Tables in arrays in tables are walked; a problem names the full key path."""
    document = {
        "sinks": [{"config": {"headers": {"X-Key": "${TOKEN}"}, "list": ["${env:MISSING}"]}}]
    }
    done = _resolve(document, tmp_path)
    assert done.document["sinks"][0]["config"]["headers"] == {"X-Key": "t0ken-from-env"}
    assert done.problems == ("sinks[0].config.list[0]: ${env:MISSING} is not set",)


def test_values_that_are_not_strings_and_keys_are_untouched(tmp_path: Path) -> None:
    """Numbers, booleans, dates and table keys pass through as they are."""
    when = datetime.date(2025, 3, 4)
    document = {"${env:TOKEN}": 1, "n": 2.5, "b": True, "d": when, "l": [1, None]}
    assert _resolve(document, tmp_path).document == document


def test_every_unresolved_reference_is_reported_with_its_key(tmp_path: Path) -> None:
    """Two missing variables in two places give two problems, each naming its key."""
    document = {
        "sinks": [{"config": {"secret": "${env:BADGE_API_TOKEN}"}}],
        "service": {"name": "${NAME_MISSING}-x"},
    }
    assert _resolve(document, tmp_path).problems == (
        "sinks[0].config.secret: ${env:BADGE_API_TOKEN} is not set",
        "service.name: ${NAME_MISSING} is not set",
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("${env:TOKEN", "without a closing '}'"),
        ("${}", "${} is malformed"),
        ("${env:}", "${env:} is malformed"),
        ("${env:BAD-NAME}", "${env:BAD-NAME} is malformed"),
        ("${env:${TOKEN}}", "is malformed"),
        ("${file:}", "${file:} is malformed"),
        ("${vault:secret/x}", "unknown provider 'vault' (known: env, file)"),
        ("${ env:TOKEN}", "unknown provider"),
    ],
)
def test_malformed_references_are_problems_naming_the_key(
    tmp_path: Path, text: str, reason: str
) -> None:
    """An unclosed, empty, nested or unknown-provider reference is reported, not passed on."""
    (problem,) = _resolve({"config": {"x": text}}, tmp_path).problems
    assert problem.startswith("config.x: ")
    assert reason in problem


def test_an_oversized_secret_file_is_refused(tmp_path: Path) -> None:
    """A file larger than the bound is refused without being read whole."""
    path = _secret_file(tmp_path, b"x" * (MAX_SECRET_FILE_BYTES + 1))
    (problem,) = _resolve({"s": f"${{file:{path}}}"}, tmp_path).problems
    assert f"larger than {MAX_SECRET_FILE_BYTES} bytes" in problem
    exact = _secret_file(tmp_path, b"y" * MAX_SECRET_FILE_BYTES, name="exact")
    assert _resolve({"s": f"${{file:{exact}}}"}, tmp_path).problems == ()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: None, "cannot read the file: No such file or directory"),
        (lambda p: p.write_bytes(b"caf\xe9 latin-1"), "not UTF-8 (byte 3)"),
        (lambda p: os.mkfifo(p), "not a regular file"),
    ],
)
def test_secret_files_that_cannot_be_used_are_problems(
    tmp_path: Path, make: Any, reason: str
) -> None:
    """A directory, a missing file, non-UTF-8 bytes or a pipe are each refused with a reason."""
    path = tmp_path / "secret"
    make(path)
    (problem,) = _resolve({"s": f"${{file:{path}}}"}, tmp_path).problems
    assert problem.startswith(f"s: ${{file:{path}}}: ")
    assert reason in problem


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_secret_file_is_a_problem(tmp_path: Path) -> None:
    """A file without read permission gives 'Permission denied', not a crash."""
    path = _secret_file(tmp_path, b"hidden")
    path.chmod(0)
    (problem,) = _resolve({"s": f"${{file:{path}}}"}, tmp_path).problems
    assert "Permission denied" in problem


def test_problems_never_hold_a_secret_files_content(tmp_path: Path) -> None:
    """A non-UTF-8 secret is described by position, not echoed."""
    path = _secret_file(tmp_path, b"topsecret\xff")
    (problem,) = _resolve({"s": f"${{file:{path}}}"}, tmp_path).problems
    assert "topsecret" not in problem


def test_redact_shows_the_reference_in_place_of_the_value(tmp_path: Path) -> None:
    """Messages about resolved values name the reference; very short values are left alone."""
    done = _resolve(
        {"a": "${TOKEN}", "b": "${env:DATA_DIR}/x", "c": "${X}"}, tmp_path, ENV | {"X": "1"}
    )
    assert done.redact("bad token t0ken-from-env in /srv/data/x (1)") == (
        "bad token ${TOKEN} in ${env:DATA_DIR}/x (1)"
    )
