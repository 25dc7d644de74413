"""Contract packages: an organisation's own installed contracts, found by entry point.

The end-to-end tests install Blue County Council's package from tests/fixtures the way pip does
and run the `govbus` program on it in a subprocess; the rest load entry points in process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from contracts import ContractPackageError, Event, Registry, Upcasters
from contracts.base import ContractInfo, Owner
from contracts.compatibility import check_upcasters
from contracts.export import load_documents
from contracts.packages import (
    ENTRY_POINT_GROUP,
    builtin_models,
    load_entry_points,
    normalise_name,
    select,
)
from tests.unit.contracts.installed import (
    FIXTURE,
    FIXTURE_SCHEMAS,
    govbus,
    install,
    install_fixture,
)

BADGE = "uk.gov.county.blue-badge-issued"
PACKAGE = "blue-county-contracts"
REPO = Path(__file__).parents[3]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A directory with Blue County Council's contract package installed in it."""
    folder = tmp_path / "site"
    folder.mkdir()
    install_fixture(folder)
    return folder


def _with_v2(site: Path, *, upcaster: bool) -> None:
    """Install a second release module adding BlueBadgeIssuedV2, with or without an upcaster."""
    source = (FIXTURE / "blue_county_contracts" / "__init__.py").read_text(encoding="utf-8")
    source += '''

@default_registry.register
class BlueBadgeIssuedV2(Event):
    """A Blue Badge was issued; the badge number is now a whole number."""

    contract = ContractInfo(
        event_type="uk.gov.county.blue-badge-issued",
        version=2,
        owner=BLUE_COUNTY,
        description="The county council issued a Blue Badge to a disabled resident.",
        handling_caveat="SENSITIVE",
        example={"local_authority": "E10000016", "badge_number": 421187},
    )

    local_authority: LocalAuthorityCode = Field(description="GSS code of the issuing council.")
    badge_number: int = Field(ge=1, description="The number printed on the badge.")
'''
    if upcaster:
        source += """

from contracts import default_upcasters


@default_upcasters.register(BlueBadgeIssuedV1, BlueBadgeIssuedV2)
def badge_v1_to_v2(old: BlueBadgeIssuedV1) -> BlueBadgeIssuedV2:
    digits = "".join(c for c in old.badge_number if c.isdigit())
    return BlueBadgeIssuedV2(local_authority=old.local_authority, badge_number=int(digits))
"""
    shutil.rmtree(site / "blue_county_contracts")
    (site / "blue_county_contracts").mkdir()
    (site / "blue_county_contracts" / "__init__.py").write_text(source, encoding="utf-8")


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


# --- the installed package, end to end ---------------------------------------------------------


def test_list_shows_an_installed_package_contracts_beside_the_built_in_ones(site: Path) -> None:
    """`contracts list --json` includes the county's contract, attributed to its package."""
    rows = json.loads(_ok(govbus(site, "contracts", "list", "--json")))
    by_type = {row["type"]: row for row in rows}
    badge = by_type[f"{BADGE}.v1"]
    assert badge["package"] == PACKAGE
    assert badge["owner_name"] == "Blue County Council"
    assert badge["topic"] == "county.blue-badge-issued.v1"
    assert by_type["uk.gov.gro.death-registered.v1"]["package"] == "govbus"
    assert len(rows) == len(builtin_models()) + 1


def test_list_of_one_package_shows_only_its_contracts(site: Path) -> None:
    """`--package` narrows the listing to that package, whatever spelling of its name is used."""
    rows = json.loads(
        _ok(govbus(site, "contracts", "list", "--json", "--package", "Blue_County.Contracts"))
    )
    assert [row["type"] for row in rows] == [f"{BADGE}.v1"]


def test_export_of_a_package_writes_exactly_its_committed_schemas(
    site: Path, tmp_path: Path
) -> None:
    """The council exports only its own contract, identical to the schemas it commits."""
    out = tmp_path / "schemas"
    _ok(govbus(site, "contracts", "export", str(out), "--package", PACKAGE))
    assert sorted(load_documents(out)) == [f"{BADGE}/v1.example.json", f"{BADGE}/v1.schema.json"]
    for path in FIXTURE_SCHEMAS.rglob("*.json"):
        relative = path.relative_to(FIXTURE_SCHEMAS)
        assert (out / relative).read_bytes() == path.read_bytes(), relative


def test_check_of_a_package_against_its_committed_schemas_passes(site: Path) -> None:
    """The county's contract, unchanged, is compatible with its own committed baseline."""
    args = ("contracts", "check", "--package", PACKAGE, "--baseline", str(FIXTURE_SCHEMAS))
    assert f"compatible with {FIXTURE_SCHEMAS}" in _ok(govbus(site, *args))


def test_check_of_a_package_fails_a_breaking_change_to_its_baseline(
    site: Path, tmp_path: Path
) -> None:
    """A field the baseline promised and the package's model dropped fails the check."""
    baseline = tmp_path / "baseline"
    shutil.copytree(FIXTURE_SCHEMAS, baseline)
    schema_path = baseline / BADGE / "v1.schema.json"
    schema = json.loads(schema_path.read_text())
    schema["properties"]["blue_badge_scheme"] = {"type": "string"}
    schema["required"].append("blue_badge_scheme")
    schema_path.write_text(json.dumps(schema))
    done = govbus(site, "contracts", "check", "--package", PACKAGE, "--baseline", str(baseline))
    assert done.returncode == 1
    assert f"{BADGE} v1: blue_badge_scheme: field-removed" in done.stdout


def test_check_of_a_package_without_its_baseline_is_refused(site: Path) -> None:
    """govbus's own schemas are no baseline for a council's package, so it must name one."""
    done = govbus(site, "contracts", "check", "--package", PACKAGE)
    assert done.returncode == 1
    assert f"--baseline is needed with --package {PACKAGE}" in done.stderr
    assert "Traceback" not in done.stderr


def test_default_check_covers_govbus_and_says_which_packages_it_left_out(site: Path) -> None:
    """Plain `contracts check` still checks govbus's own schemas with a package installed."""
    done = govbus(site, "contracts", "check")
    assert "compatible with" in _ok(done)
    assert f"check {PACKAGE} with --package NAME --baseline DIR" in done.stderr


def test_check_fails_a_new_major_version_without_an_upcaster(site: Path) -> None:
    """v2 of the county's contract with no upcaster from v1 fails `check`, saying what to add."""
    _with_v2(site, upcaster=False)
    args = ("contracts", "check", "--package", PACKAGE, "--baseline", str(FIXTURE_SCHEMAS))
    done = govbus(site, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    (line,) = [line for line in done.stdout.splitlines() if "upcaster-missing" in line]
    assert line.startswith(f"{BADGE} v2: (whole contract): upcaster-missing:")
    assert "@default_upcasters.register(BlueBadgeIssuedV1, BlueBadgeIssuedV2)" in line


def test_a_new_major_version_with_an_upcaster_passes_and_shows_the_upcast(
    site: Path, tmp_path: Path
) -> None:
    """With the upcaster, check passes, and list and catalogue both say v1 upcasts to v2."""
    _with_v2(site, upcaster=True)
    args = ("contracts", "check", "--package", PACKAGE, "--baseline", str(FIXTURE_SCHEMAS))
    _ok(govbus(site, *args))
    rows = json.loads(_ok(govbus(site, "contracts", "list", "--json", "--package", PACKAGE)))
    assert [(row["version"], row["upcasts_to"], row["upcasts_from"]) for row in rows] == [
        (1, 2, None),
        (2, None, 1),
    ]
    table = _ok(govbus(site, "contracts", "list", "--package", PACKAGE))
    assert "v1 -> v2" in table.splitlines()[1]
    out = tmp_path / "site-out"
    _ok(govbus(site, "contracts", "catalogue", str(out), "--package", PACKAGE))
    page = (out / f"{BADGE}.html").read_text(encoding="utf-8")
    assert "<dt>Upcasting</dt><dd>v1 \u2192 v2</dd>" in page
    assert "Events of version 1 are upcast to version 2" in page


def test_catalogue_of_a_package_renders_its_contracts_only(site: Path, tmp_path: Path) -> None:
    """The council's own catalogue site has its contract page and lists nothing else."""
    out = tmp_path / "catalogue"
    _ok(govbus(site, "contracts", "catalogue", str(out), "--package", PACKAGE))
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="{BADGE}.html"' in index
    assert "death-registered" not in index
    assert "E10000016" in (out / f"{BADGE}.html").read_text(encoding="utf-8")


def test_asyncapi_of_a_package_describes_its_channels(site: Path) -> None:
    """The AsyncAPI document of one package has that package's topics as its channels."""
    document = json.loads(_ok(govbus(site, "contracts", "asyncapi", "--package", PACKAGE)))
    assert [channel["address"] for channel in document["channels"].values()] == [
        "county.blue-badge-issued.v1"
    ]


def test_publish_validates_against_an_installed_package_contract(site: Path) -> None:
    """`govbus publish` knows the county's type and rejects a ward code before connecting."""
    data = json.loads((FIXTURE_SCHEMAS / BADGE / "v1.example.json").read_text())
    data["local_authority"] = "E05011118"
    done = govbus(site, "publish", f"{BADGE}.v1", "--data", json.dumps(data))
    assert done.returncode == 1
    assert f"{BADGE}.v1: local_authority: GSS entity code 'E05' is not a local authority" in (
        done.stderr
    )


def test_validate_resolves_a_deployment_contract_from_an_installed_package(
    site: Path, tmp_path: Path
) -> None:
    """A deployment naming the county's contract validates with the package, not without it."""
    deployment = tmp_path / "badges.toml"
    deployment.write_text(
        f"""
[service]
name = "blue-badges"

[[sinks]]
name = "badge-register"
kind = "rest"
contract = "{BADGE}.v1"

[sinks.config]
base_url = "http://127.0.0.1:9/"

[sinks.config.call]
method = "POST"
path = "/badges"
body = {{ number = "badge_number" }}
"""
    )
    assert "ok (0 source(s), 1 sink(s))" in _ok(govbus(site, "validate", str(deployment)))
    without = govbus(tmp_path, "validate", str(deployment))
    assert without.returncode == 1
    assert f"unknown event type '{BADGE}'" in without.stderr


def test_a_broken_package_is_one_line_naming_package_and_entry_point(tmp_path: Path) -> None:
    """A package whose module fails to import stops govbus with one line, not a traceback."""
    install(
        tmp_path,
        name="broken-contracts",
        modules={"broken_contracts": "import no_such_module_anywhere\n"},
        entry_points={"broken": "broken_contracts"},
    )
    done = govbus(tmp_path, "contracts", "list")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: contract package 'broken-contracts' (entry point broken = broken_contracts):"
        " cannot import broken_contracts: ModuleNotFoundError:"
        " No module named 'no_such_module_anywhere'"
    ]


def test_a_package_registering_a_built_in_contract_again_names_both(tmp_path: Path) -> None:
    """Re-registering govbus's death-registered v1 fails naming the package and the original."""
    source = (
        "from contracts import default_registry\n"
        "from contracts.catalogue.gro import DeathRegisteredV1\n"
        "class DeathRegisteredV1(DeathRegisteredV1):\n"
        "    contract = DeathRegisteredV1.contract\n"
        "default_registry.register(DeathRegisteredV1)\n"
    )
    install(
        tmp_path,
        name="copycat",
        modules={"copycat": source},
        entry_points={"copycat": "copycat"},
    )
    done = govbus(tmp_path, "contracts", "list")
    assert done.returncode == 1
    assert "contract package 'copycat' (entry point copycat = copycat)" in done.stderr
    assert "uk.gov.gro.death-registered v1 is already registered" in done.stderr
    assert "contracts.catalogue.gro.DeathRegisteredV1" in done.stderr


def test_a_broken_package_does_not_stop_the_kafka_commands(tmp_path: Path) -> None:
    """Operators can still start and inspect a broker while a contract package is broken."""
    install(
        tmp_path,
        name="broken-contracts",
        modules={"broken_contracts": "raise RuntimeError('half-written release')\n"},
        entry_points={"broken": "broken_contracts"},
    )
    assert "Usage" in _ok(govbus(tmp_path, "kafka", "--help"))


def test_the_project_tests_hold_with_a_contract_package_installed(site: Path) -> None:
    """Tests comparing contracts to contracts/schemas pass after the CLI loaded a package."""
    tests = REPO / "tests" / "unit" / "contracts"
    # The CLI tests run first, so the package is registered before the schema comparisons run.
    files = ["test_cli.py", "test_cli_check.py", "test_export.py", "test_catalogue.py"]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*command, *(str(tests / name) for name in files)],
        env={**os.environ, "PYTHONPATH": str(site)},
        cwd=REPO, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


# --- loading entry points in process -----------------------------------------------------------


def _entry(value: str, name: str = "council") -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def test_an_entry_point_naming_an_attribute_is_refused() -> None:
    """Entry points name a module to import, so `module:attr` is refused with the fix."""
    with pytest.raises(ContractPackageError, match=r"must name a module, not the attribute 'X'"):
        load_entry_points([_entry("contracts.catalogue:X")])


def test_an_entry_point_that_registers_nothing_is_refused() -> None:
    """A module that registers no contract is a mistake worth stopping for, not silence."""
    with pytest.raises(ContractPackageError, match="importing json registered no contracts"):
        load_entry_points([_entry("json")])


def test_the_built_in_entry_point_yields_the_catalogue() -> None:
    """govbus's own entry point module, already imported, is still credited with its contracts."""
    (package,) = load_entry_points([_entry("contracts.catalogue", name="govbus")])
    assert set(package.models) == set(builtin_models())
    assert package.module == "contracts.catalogue"


def test_selecting_a_package_that_is_not_installed_lists_those_that_are() -> None:
    """An unknown `--package` name says which packages are installed."""
    with pytest.raises(
        ContractPackageError, match=r"is not installed \(installed contract packages: govbus\)"
    ):
        select([], ["blue-county"])


def test_package_names_compare_as_pip_compares_them() -> None:
    """Case and runs of `-`, `_` and `.` do not matter in a distribution name."""
    assert normalise_name("Blue_County..Contracts") == "blue-county-contracts"


# --- the upcaster rule -------------------------------------------------------------------------

_OWNER = Owner(code="county", name="Blue County Council")


class ParkingPermitIssuedV1(Event):
    contract = ContractInfo(
        event_type="uk.gov.county.parking-permit-issued",
        version=1,
        owner=_OWNER,
        description="A parking permit was issued.",
        example={"permit": "P-1"},
    )
    permit: str


class ParkingPermitIssuedV2(Event):
    contract = ContractInfo(
        event_type="uk.gov.county.parking-permit-issued",
        version=2,
        owner=_OWNER,
        description="A parking permit was issued.",
        example={"permit_number": 1},
    )
    permit_number: int


def _registry() -> Registry:
    registry = Registry()
    registry.register(ParkingPermitIssuedV1)
    registry.register(ParkingPermitIssuedV2)
    return registry


def test_a_second_major_version_without_an_upcaster_is_a_violation() -> None:
    """v2 with v1 registered and no v1 -> v2 upcaster is reported as upcaster-missing."""
    registry = _registry()
    (violation,) = check_upcasters(registry, registry, Upcasters(registry))
    assert violation.contract == "uk.gov.county.parking-permit-issued v2"
    assert violation.rule == "upcaster-missing"


def test_a_second_major_version_with_an_upcaster_passes() -> None:
    """Registering the v1 -> v2 upcaster satisfies the rule."""
    registry = _registry()
    upcasters = Upcasters(registry)

    @upcasters.register(ParkingPermitIssuedV1, ParkingPermitIssuedV2)
    def _upcast(old: ParkingPermitIssuedV1) -> ParkingPermitIssuedV2:
        return ParkingPermitIssuedV2(permit_number=int(old.permit.removeprefix("P-")))

    assert check_upcasters(registry, registry, upcasters) == []
    assert upcasters.steps() == {("uk.gov.county.parking-permit-issued", 1)}


def test_a_first_version_needs_no_upcaster() -> None:
    """A contract that has only v1 has nothing to upcast from."""
    registry = Registry()
    registry.register(ParkingPermitIssuedV1)
    assert check_upcasters(registry, registry, Upcasters(registry)) == []
