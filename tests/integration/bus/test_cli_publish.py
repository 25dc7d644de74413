"""`govbus publish`: contract-checked events reach Kafka; bad input is refused on one line each."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from bus.testing.kafka import unique_topic
from contracts import default_registry
from tests.integration.bus.govbus_cli import govbus, read_all

DEATH = "uk.gov.gro.death-registered.v1"
EXAMPLE = default_registry.by_cloudevents_type(DEATH).contract.example


def _no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert all(line.startswith("govbus: ") for line in stderr.strip().splitlines()), stderr


async def test_publish_prints_the_id_of_the_event_kafka_holds(kafka_bootstrap: str) -> None:
    """The id printed is the ce_id of the record on the contract's topic; the key defaults to it."""
    prefix = unique_topic("publish") + "."
    done = govbus(
        kafka_bootstrap, "publish", DEATH, "--data", json.dumps(EXAMPLE),
        "--topic-prefix", prefix, "--subject", "DR-412",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    event_id = done.stdout.strip()
    (record,) = await read_all(kafka_bootstrap, prefix + "gro.death-registered.v1", expected=1)
    headers = dict(record.headers)
    assert headers["ce_id"].decode() == event_id
    assert headers["ce_type"].decode() == DEATH
    assert headers["ce_subject"] == b"DR-412"
    assert headers["ce_source"] == b"urn:govbus:cli"
    assert record.key == event_id.encode()
    assert orjson.loads(record.value)["entry_number"] == EXAMPLE["entry_number"]


async def test_publish_reads_data_from_a_file_and_takes_key_id_and_source(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """`--data @FILE`, `--key`, `--id` and `--source` end up in the record as given."""
    prefix = unique_topic("publish-file") + "."
    data = tmp_path / "event.json"
    data.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    done = govbus(
        kafka_bootstrap, "publish", DEATH, "--data", f"@{data}", "--key", "DR-412",
        "--id", "death-412", "--source", "urn:govbus:gro:test", "--topic-prefix", prefix,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "death-412\n"
    (record,) = await read_all(kafka_bootstrap, prefix + "gro.death-registered.v1", expected=1)
    headers = dict(record.headers)
    assert (record.key, headers["ce_id"], headers["ce_source"]) == (
        b"DR-412",
        b"death-412",
        b"urn:govbus:gro:test",
    )


def test_an_unknown_type_is_refused_with_the_known_versions() -> None:
    """A type without its version suggests the versions; a made-up type points to the list."""
    done = govbus(None, "publish", "uk.gov.gro.death-registered", "--data", "{}")
    assert done.returncode == 1
    assert "uk.gov.gro.death-registered.v1" in done.stderr
    _no_traceback(done.stderr)
    done = govbus(None, "publish", "uk.gov.nobody.nothing.v1", "--data", "{}")
    assert done.returncode == 1
    assert "unknown event type 'uk.gov.nobody.nothing.v1'" in done.stderr
    _no_traceback(done.stderr)


def test_invalid_json_is_refused_on_one_line() -> None:
    """Truncated JSON and a JSON array are refused before anything connects to Kafka."""
    for data, expected in (('{"entry_number": ', "not valid JSON"), ("[1]", "JSON object")):
        done = govbus(None, "publish", DEATH, "--data", data)
        assert done.returncode == 1
        assert expected in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        _no_traceback(done.stderr)
        assert done.stdout == ""


def test_data_breaking_the_contract_names_each_field_on_its_own_line() -> None:
    """A bad NINO, an unknown field and a missing field give one line each, naming the field."""
    bad = {k: v for k, v in EXAMPLE.items() if k != "place_of_death"}
    bad |= {"deceased_nino": "not a nino", "favourite_colour": "blue"}
    done = govbus(None, "publish", DEATH, "--data", json.dumps(bad))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 3, lines
    assert any("deceased_nino" in line for line in lines)
    assert any("favourite_colour" in line for line in lines)
    assert any("place_of_death" in line for line in lines)
    _no_traceback(done.stderr)


def test_a_missing_oversized_or_non_utf8_file_is_refused(tmp_path: Path) -> None:
    """`@FILE` that does not exist, exceeds 1 MiB or is not UTF-8 is one clear line each."""
    huge = tmp_path / "huge.json"
    huge.write_bytes(b'{"x": "' + b"a" * (1024 * 1024) + b'"}')
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"registration_district": "Caf\xe9"}')
    for argument, expected in (
        (f"@{tmp_path / 'absent.json'}", "No such file"),
        (f"@{huge}", "larger than 1048576 bytes"),
        (f"@{latin}", "not UTF-8"),
    ):
        done = govbus(None, "publish", DEATH, "--data", argument)
        assert done.returncode == 1, argument
        assert expected in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        _no_traceback(done.stderr)


def test_without_any_kafka_publish_says_how_to_start_one(tmp_path: Path) -> None:
    """No GOVBUS_KAFKA_BOOTSTRAP and no local cluster: exit 1 with the `govbus kafka up` hint."""
    done = govbus(
        None, "publish", DEATH, "--data", json.dumps(EXAMPLE), GOVBUS_KAFKA_HOME=str(tmp_path)
    )
    assert done.returncode == 1
    assert "govbus kafka up" in done.stderr
    _no_traceback(done.stderr)
