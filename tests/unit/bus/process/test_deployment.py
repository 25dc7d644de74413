"""Deployment files are validated completely before anything runs; errors name their keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field
from typer.testing import CliRunner

from bus.adapter_runtime.plugins import AdapterKind, SinkContext, SourceContext
from bus.adapter_runtime.source import Offset, Partition, SourceRecord
from bus.cli import app
from bus.foundation.errors import ConfigError
from bus.messaging.subscriber import Delivery
from bus.process import deployment
from bus.process.config_docs import reference
from contracts import Event


class TableConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    table: str = Field(pattern=r"^[a-z_]+$", description="Table to read.")
    batch_size: int = Field(100, ge=1, description="Rows per read.")


class _Nothing:
    async def open(self, resume_from: Mapping[Partition, Offset] | None = None) -> None: ...
    async def read(self) -> Sequence[SourceRecord]:
        return []

    async def committed(self, partition: Partition, offset: Offset) -> None: ...
    async def deliver(self, event: Event, delivery: Delivery) -> None: ...
    async def close(self) -> None: ...


def _source(config: Any, context: SourceContext) -> Any:
    return _Nothing()


def _sink(config: Any, context: SinkContext) -> Any:
    return _Nothing()


KINDS = {
    "table": AdapterKind(name="table", summary="A test table.", config=TableConfig, source=_source),
    "outbox": AdapterKind(name="outbox", summary="A test outbox.", config=TableConfig, sink=_sink),
}

GOOD = """
[service]
name = "gro-register-office"

[[sources]]
name = "deaths"
kind = "table"
config = { table = "deaths" }
[sources.mapping]
contract = "uk.gov.gro.death-registered.v1"
key = "{id}"
identity = "deaths/{id}"
[sources.mapping.fields]
registration_district = "district"
entry_number = { from = "entry_no", type = "int" }
registered_on = { from = "reg_date", type = "date", format = "%d/%m/%Y" }
local_authority = "la"
"deceased_name.given_names" = "forenames"
"deceased_name.family_name" = "surname"
deceased_date_of_birth = { from = "dob", type = "date" }
deceased_nino = "nino"
"deceased_address.lines" = { template = "{addr1}" }
"deceased_address.town" = "town"
"deceased_address.postcode" = "postcode"
date_of_death = { from = "dod", type = "date" }
place_of_death = "place"
"informant.name.given_names" = "inf_forenames"
"informant.name.family_name" = "inf_surname"
"informant.qualification" = "inf_qual"
"informant.address.lines" = "inf_addr1"
"informant.address.town" = "inf_town"
"informant.address.postcode" = "inf_postcode"

[[sinks]]
name = "dvla"
kind = "outbox"
contract = "uk.gov.gro.death-registered.v2"
config = { table = "outbox" }
retry = { max_attempts = 3 }
"""


def _load(tmp_path: Path, text: str) -> deployment.Plan:
    path = tmp_path / "deployment.toml"
    path.write_text(text)
    return deployment.load(path, kinds=KINDS)


def test_a_valid_file_plans_every_adapter(tmp_path: Path) -> None:
    """Kinds, configs, mappings and contracts are resolved before anything starts."""
    plan = _load(tmp_path, GOOD)
    (source,) = plan.sources
    (sink,) = plan.sinks
    assert source.config == TableConfig(table="deaths")
    assert source.mapper.model.contract.cloudevents_type == "uk.gov.gro.death-registered.v1"
    assert sink.contract.contract.version == 2
    assert plan.deployment.sinks[0].retry.max_attempts == 3


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('kind = "table"', 'kind = "mainframe"'),
         "sources[0].kind: unknown adapter kind 'mainframe'"),
        (('table = "deaths"', 'table = "Deaths; DROP"'),
         "sources[0].config.table: String should match"),
        (('config = { table = "deaths" }', 'config = { table = "deaths", colour = 1 }'),
         "sources[0].config.colour: Extra inputs are not permitted"),
        (('contract = "uk.gov.gro.death-registered.v1"', 'contract = "uk.gov.gro.nope.v1"'),
         "sources[0].mapping.contract:"),
        (('contract = "uk.gov.gro.death-registered.v2"', 'contract = "x.v9"'),
         "sinks[0].contract:"),
        (('kind = "outbox"', 'kind = "table"'), "sinks[0].kind: adapter kind 'table' has no sink"),
        (('name = "dvla"', 'name = "deaths"'), "repeated: deaths"),
        (('max_attempts = 3', 'max_attempts = 0'), "sinks[0].retry.max_attempts"),
        (('key = "{id}"', 'key = "{id.__class__}"'), "sources[0].mapping.key"),
        (('name = "gro-register-office"', 'name = "GRO Office"'), "service.name"),
    ],
)  # fmt: skip
def test_each_error_names_its_key(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    """A wrong kind, config, mapping, contract or name is reported with its key path."""
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, GOOD.replace(*change))
    assert expected in str(caught.value)
    assert str(tmp_path / "deployment.toml") in str(caught.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """Two broken adapters give two lines, so one run of validate shows all the work."""
    text = GOOD.replace('kind = "table"', 'kind = "nope"').replace('table = "outbox"', "table = 5")
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    lines = str(caught.value).splitlines()
    assert any("sources[0].kind" in line for line in lines)
    assert any("sinks[0].config.table" in line for line in lines)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"[service\nname = 1", "not valid TOML"),
        (b"\xff\xfe[service]", "not valid TOML"),
        (b"[service]\nname = 'x'\n", "at least one source or sink"),
        (b"x = '" + b"a" * (2 * 1024 * 1024) + b"'", "at most"),
    ],
)
def test_unreadable_files_are_reported_not_crashed_on(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    """Malformed, non-UTF-8, empty and oversized files each give a clear error."""
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=reason):
        deployment.load(path, kinds=KINDS)


def test_validate_on_the_command_line_names_the_key_and_fails(tmp_path: Path) -> None:
    """`govbus validate` prints each problem and exits 1."""
    path = tmp_path / "deployment.toml"
    path.write_text(GOOD.replace('kind = "table"', 'kind = "nonexistent-kind"'))
    done = CliRunner().invoke(app, ["validate", str(path)])
    assert done.exit_code == 1
    assert "sources[0].kind: unknown adapter kind 'nonexistent-kind'" in done.output


def test_the_reference_docs_come_from_the_config_models() -> None:
    """Each kind's fields and descriptions appear in the generated reference."""
    text = reference(KINDS)
    assert "## Kind `table` (source)" in text
    assert "| `table` | `str` | required | Table to read. |" in text
    assert "| `batch_size` | `int` | `100` | Rows per read. |" in text
    assert "## `[[sources]]`" in text


def test_the_committed_adapter_reference_matches_the_installed_kinds() -> None:
    """docs/adapters.md is regenerated from the config models; a stale copy fails."""
    from bus.adapter_runtime.plugins import adapter_kinds

    committed = Path(__file__).parents[4] / "docs" / "adapters.md"
    assert committed.read_text() == reference(adapter_kinds()), (
        "run `govbus adapters docs docs/adapters.md` and commit it"
    )


# --- References: settings and secrets from the environment and from files ----------------------

SECRET = "badge-token-5f3c9a7e21"  # noqa: S105 - a test secret, checked for absence


REST_SINK = """
[service]
name = "blue-badges"

[[sinks]]
name = "badge-api"
kind = "rest"
contract = "uk.gov.gro.death-registered.v2"

[sinks.config]
base_url = "${env:BADGE_API_URL}"
secret = "${file:badge-token}"
timeout_s = TIMEOUT

[sinks.config.call]
path = "PATH"
"""


def _rest_sink(tmp_path: Path, *, timeout: str = "5", path: str = "/deaths") -> Path:
    (tmp_path / "badge-token").write_text(SECRET + "\n")
    file = tmp_path / "deployment.toml"
    file.write_text(REST_SINK.replace("TIMEOUT", timeout).replace("PATH", path))
    return file


def test_references_are_resolved_before_the_config_is_validated(tmp_path: Path) -> None:
    """The sink's config gets the URL and the secret; the spec keeps the references as written."""
    file = _rest_sink(tmp_path)
    plan = deployment.load(file, environ={"BADGE_API_URL": "https://badges.example"})
    (sink,) = plan.sinks
    assert sink.config.root == "https://badges.example"  # type: ignore[attr-defined]
    assert sink.config.secret.get_secret_value() == SECRET  # type: ignore[attr-defined]
    assert plan.deployment.sinks[0].config["secret"] == "${file:badge-token}"  # noqa: S105 - a reference
    assert sink.spec.config["base_url"] == "${env:BADGE_API_URL}"
    assert SECRET not in repr(plan)


def test_an_unset_variable_is_an_error_naming_the_key(tmp_path: Path) -> None:
    """`${env:...}` without the variable fails validation instead of being sent literally."""
    with pytest.raises(ConfigError) as caught:
        deployment.load(_rest_sink(tmp_path), environ={})
    assert f"{tmp_path / 'deployment.toml'}: sinks[0].config.base_url: " in str(caught.value)
    assert "${env:BADGE_API_URL} is not set" in str(caught.value)


def test_every_unresolved_reference_is_listed(tmp_path: Path) -> None:
    """A missing variable and a missing secret file are both reported in one go."""
    file = _rest_sink(tmp_path)
    (tmp_path / "badge-token").unlink()
    with pytest.raises(ConfigError) as caught:
        deployment.load(file, environ={})
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert "sinks[0].config.base_url: ${env:BADGE_API_URL} is not set" in lines[0]
    assert "sinks[0].config.secret: ${file:badge-token}: cannot read the file" in lines[1]


def test_a_broken_deployment_never_shows_a_resolved_secret(tmp_path: Path) -> None:
    """Errors about a config holding a secret, or echoing a resolved value, show the reference."""
    file = _rest_sink(tmp_path, timeout="-1", path="${file:badge-token}")
    with pytest.raises(ConfigError) as caught:
        deployment.load(file, environ={"BADGE_API_URL": "https://badges.example"})
    text = str(caught.value)
    assert "sinks[0].config.timeout_s" in text
    assert "sinks[0].config.call: Value error, path '${file:badge-token}' must start with /" in text
    assert SECRET not in text


def test_validate_resolves_references_and_never_prints_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """`govbus validate` reads the environment, says ok, and neither prints nor logs the secret."""
    file = _rest_sink(tmp_path)
    monkeypatch.setenv("BADGE_API_URL", "https://badges.example")
    caplog.set_level("DEBUG")
    done = CliRunner().invoke(app, ["validate", str(file)])
    assert done.exit_code == 0, done.output
    assert f"{file}: ok" in done.output
    monkeypatch.delenv("BADGE_API_URL")
    failed = CliRunner().invoke(app, ["validate", str(file)])
    assert failed.exit_code == 1
    assert "sinks[0].config.base_url: ${env:BADGE_API_URL} is not set" in failed.output
    for shown in (done.output, failed.output, caplog.text):
        assert SECRET not in shown


def test_run_refuses_to_start_with_an_unresolved_reference(tmp_path: Path) -> None:
    """`govbus run` plans the file as validate does and exits 1 before starting anything."""
    done = CliRunner().invoke(app, ["run", str(_rest_sink(tmp_path))], env={"BADGE_API_URL": None})
    assert done.exit_code == 1
    assert "sinks[0].config.base_url: ${env:BADGE_API_URL} is not set" in done.output


# --- Mappings checked against their contracts --------------------------------------------------


def test_a_misspelt_target_field_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    """`registration_distrct` names the key and suggests `registration_district`."""
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, GOOD.replace("registration_district =", "registration_distrct ="))
    (line,) = str(caught.value).splitlines()
    assert "sources[0].mapping.fields.registration_distrct: " in line
    assert "has no field 'registration_distrct'" in line
    assert "did you mean 'registration_district'?" in line


def test_validate_on_the_command_line_catches_a_mapping_typo(tmp_path: Path) -> None:
    """`govbus validate` says ok for the right mapping, and exits 1 with the fix for a typo."""
    with_sql = (
        GOOD.replace('kind = "table"', 'kind = "sql"')
        .replace('kind = "outbox"', 'kind = "sql"')
        .replace(
            'config = { table = "deaths" }',
            'config = { url = "sqlite+aiosqlite:///r.db", '
            'source = { table = "d", key_column = "id" } }',
        )
        .replace(
            'config = { table = "outbox" }',
            'config = { url = "sqlite+aiosqlite:///o.db", '
            'sink = { table = "o", columns = { n = "n" } } }',
        )
    )
    path = tmp_path / "deployment.toml"
    path.write_text(with_sql)
    right = CliRunner().invoke(app, ["validate", str(path)])
    assert right.exit_code == 0, right.output
    path.write_text(with_sql.replace('place_of_death = "place"', 'place_of_deth = "place"'))
    done = CliRunner().invoke(app, ["validate", str(path)])
    assert done.exit_code == 1
    (line,) = done.output.strip().splitlines()
    assert "sources[0].mapping.fields.place_of_deth: " in line
    assert "did you mean 'place_of_death' or 'date_of_death'?" in line


def test_a_misspelt_nested_target_suggests_the_full_dotted_path(tmp_path: Path) -> None:
    """A typo inside a nested model is found at its level and suggested as a dotted path."""
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, GOOD.replace('"deceased_name.given_names"', '"deceased_name.given_nmes"'))
    (line,) = str(caught.value).splitlines()
    assert "sources[0].mapping.fields.deceased_name.given_nmes: PersonName has no field" in line
    assert "did you mean 'deceased_name.given_names'?" in line


def test_a_dotted_path_through_a_plain_value_is_an_error(tmp_path: Path) -> None:
    """`deceased_nino.text` cannot be filled: the NINO is a string, not an object."""
    text = GOOD.replace('deceased_nino = "nino"', '"deceased_nino.text" = "nino"')
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert "'deceased_nino' is not an object with fields" in str(caught.value)


def test_required_fields_the_mapping_never_fills_are_each_reported(tmp_path: Path) -> None:
    """Leaving out two required fields gives two lines naming them; optional ones are not asked."""
    text = GOOD.replace('place_of_death = "place"\n', "").replace('local_authority = "la"\n', "")
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert "sources[0].mapping.fields.local_authority: required by " in lines[0]
    assert "sources[0].mapping.fields.place_of_death: required by " in lines[1]


def test_a_mapping_function_may_fill_the_fields_the_rules_leave_out(tmp_path: Path) -> None:
    """With a function the mapping is not asked to fill every required field itself."""
    text = GOOD.replace('place_of_death = "place"\n', "").replace(
        'identity = "deaths/{id}"', 'identity = "deaths/{id}"\nfunction = "json:loads"'
    )
    (source,) = _load(tmp_path, text).sources
    assert source.mapper.config.function == "json:loads"


def test_a_target_filled_whole_and_field_by_field_is_an_error(tmp_path: Path) -> None:
    """`informant` and `informant.qualification` together would clash in every record."""
    text = GOOD.replace(
        '"informant.qualification" = "inf_qual"',
        'informant = "inf"\n"informant.qualification" = "inf_qual"',
    )
    with pytest.raises(ConfigError, match=r"fields\.informant: also filled field by field"):
        _load(tmp_path, text)
