"""Reading a federation directory: files, sizes, TOML syntax, keys and every problem at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bus.federation import directory
from bus.federation.directory import load_configured, read
from bus.federation.model import Federation
from bus.foundation.errors import ConfigError
from bus.foundation.settings import Settings
from tests.unit.bus.federation.conftest import EXAMPLE, TODAY, edit

Problems = Callable[[], list[str]]


def test_the_tell_us_once_federation_is_valid_today() -> None:
    """The example federation shipped with govbus loads with no problem as of the real date."""
    federation = Federation.load(EXAMPLE)
    assert {o.code for o in federation.organisations} == {
        "gro",
        "dwp",
        "dvla",
        "council",
        "library",
    }
    library = next(a for a in federation.agreements if a.id == "gro-library-deaths")
    assert "deceased.nino" not in library.fields
    assert {"deceased.name", "death.date", "deceased.usual_address"} <= set(library.fields)


def test_every_council_may_publish_council_events() -> None:
    """A right granted to the local-authority kind covers each council and nobody else."""
    federation = Federation.load(EXAMPLE, today=TODAY)
    publishers = federation.publishers_of("uk.gov.council.address-change-notified", 1)
    assert [o.code for o in publishers] == ["council", "library"]
    assert [o.code for o in federation.publishers_of("uk.gov.gro.death-registered", 2)] == ["gro"]


def test_in_force_counts_active_started_and_unended_agreements() -> None:
    """A draft is never in force; an active one only between its start and end."""
    federation = Federation.load(EXAMPLE, today=TODAY)
    assert "council-library-addresses" not in {a.id for a in federation.in_force(TODAY)}
    gro_council = next(a for a in federation.agreements if a.id == "gro-council-deaths")
    assert gro_council.in_force(TODAY)
    assert gro_council.end is not None
    assert not gro_council.in_force(gro_council.end.replace(year=gro_council.end.year + 1))


def test_load_raises_a_config_error_listing_every_problem(federation_dir: Path) -> None:
    """Two mistakes in two files are both in the one error, each with file and key."""
    edit(
        federation_dir / "organisations.toml",
        'kafka_principal = "User:dwp"',
        'kafka_principal = "dwp"',
    )
    edit(federation_dir / "agreements" / "gro-dwp-deaths.toml", '"death.date"', '"death.dat"')
    with pytest.raises(ConfigError) as caught:
        directory.load(federation_dir, today=TODAY)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"federation {federation_dir} has 2 problem(s):"
    assert lines[1].startswith("organisations.toml: organisations[1].kafka_principal:")
    assert lines[2].startswith("agreements/gro-dwp-deaths.toml: agreement.fields[5]:")


def test_a_missing_organisations_file_is_named(federation_dir: Path, problems: Problems) -> None:
    """Without organisations.toml nothing can resolve; the file is named as missing."""
    (federation_dir / "organisations.toml").unlink()
    assert problems() == ["organisations.toml: missing"]


def test_a_folder_that_does_not_exist_is_one_problem(tmp_path: Path) -> None:
    """Reading a path that is no folder reports it instead of raising."""
    reading = read(tmp_path / "nowhere", today=TODAY)
    assert [p.message for p in reading.problems] == ["not a directory"]


def test_malformed_toml_names_the_file_and_line(federation_dir: Path, problems: Problems) -> None:
    """A syntax error gives the file and the line tomllib stopped at."""
    edit(
        federation_dir / "publishers.toml",
        'versions = [1]\norganisations = ["dwp"]',
        "versions = [1\n",
    )
    [problem] = problems()
    assert problem.startswith("publishers.toml: not valid TOML:")
    assert "line" in problem


def test_an_oversized_file_is_refused_before_parsing(
    federation_dir: Path, problems: Problems
) -> None:
    """A file over the size limit is reported by size, without reading it all."""
    path = federation_dir / "agreements" / "gro-dwp-deaths.toml"
    path.write_text(path.read_text() + "#" * directory.MAX_FILE_BYTES)
    assert problems() == [
        f"agreements/gro-dwp-deaths.toml: larger than {directory.MAX_FILE_BYTES} bytes"
    ]


def test_a_file_that_is_not_utf8_is_named(federation_dir: Path, problems: Problems) -> None:
    """Bytes that are not UTF-8 are reported with their position."""
    (federation_dir / "publishers.toml").write_bytes(b"# caf\xe9\n")
    assert problems() == ["publishers.toml: not UTF-8 (byte 5)"]


def test_a_misspelt_key_gets_a_did_you_mean(federation_dir: Path, problems: Problems) -> None:
    """An unknown key is refused at its path, with the key it probably meant."""
    edit(federation_dir / "agreements" / "gro-dwp-deaths.toml", "retention =", "retension =")
    found = problems()
    assert (
        "agreements/gro-dwp-deaths.toml: agreement.retension: unknown key;"
        " did you mean 'retention'?" in found
    )
    assert "agreements/gro-dwp-deaths.toml: agreement.retention: Field required" in found


def test_a_misspelt_file_name_is_reported(federation_dir: Path, problems: Problems) -> None:
    """A top-level TOML file govbus does not read is named, with the file it resembles."""
    (federation_dir / "publishers.toml").rename(federation_dir / "publisher.toml")
    assert problems() == [
        "publishers.toml: missing",
        "publisher.toml: not a federation file; did you mean 'publishers.toml'?",
    ]


def test_an_agreement_file_without_the_toml_suffix_is_not_silently_dropped(
    federation_dir: Path, problems: Problems
) -> None:
    """Anything in agreements/ that is not a .toml file is reported; dot files are ignored."""
    folder = federation_dir / "agreements"
    (folder / "gro-dwp-deaths.toml").rename(folder / "gro-dwp-deaths.tml")
    (folder / ".gitkeep").write_text("")
    assert problems() == [
        "agreements/gro-dwp-deaths.tml: not a .toml file; agreements are <id>.toml"
    ]


def test_every_problem_of_every_file_is_reported_at_once(
    federation_dir: Path, problems: Problems
) -> None:
    """Problems in organisations and in two agreements all come back from one reading."""
    edit(federation_dir / "organisations.toml", 'code = "dvla"', 'code = "DVLA"')
    edit(
        federation_dir / "agreements" / "gro-dwp-deaths.toml",
        'retention = "P6Y"',
        'retention = "six years"',
    )
    edit(federation_dir / "agreements" / "gro-library-deaths.toml", "2029-03-31", "2025-01-01")
    found = problems()
    assert [line.split(": ")[0] for line in found] == [
        "organisations.toml",
        "agreements/gro-dwp-deaths.toml",
        "agreements/gro-library-deaths.toml",
    ]
    assert found[0].startswith("organisations.toml: organisations[2].code: Value error, a code is")


def test_a_hostile_string_is_refused_without_being_echoed(
    federation_dir: Path, problems: Problems
) -> None:
    """A bidi override or control character in a name is refused; the value is not printed."""
    edit(
        federation_dir / "organisations.toml",
        'name = "Department for Work and Pensions"',
        'name = "Department\\u202Efor Work"',
    )
    [problem] = problems()
    assert problem.startswith("organisations.toml: organisations[1].name:")
    assert "U+202E" in problem
    assert "\u202e" not in problem


def test_govbus_federation_names_an_existing_folder(tmp_path: Path) -> None:
    """GOVBUS_FEDERATION must be a folder; set, it is loaded; unset, there is no federation."""
    with pytest.raises(ValueError, match="GOVBUS_FEDERATION names"):
        Settings(federation=tmp_path / "missing")
    assert load_configured(Settings()) is None
    assert load_configured(Settings(federation=EXAMPLE)) is not None
