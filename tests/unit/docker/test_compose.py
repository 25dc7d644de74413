"""The compose stack: the same Kafka as `govbus kafka up`, and Tell Us Once around it."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bus.broker.local.jars import KAFKA_VERSION
from bus.broker.local.layout import HOST, SINGLE_NODE_PORT
from bus.foundation.settings import Settings
from examples.tell_us_once.deployment_files import DEPLOYMENTS, ENVIRONMENT, deployment_file

COMPOSE = Path(__file__).parents[3] / "docker" / "compose.yaml"


def _kafka() -> dict[str, Any]:
    service: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]["kafka"]
    return service


def test_kafka_is_the_same_release_as_the_local_broker() -> None:
    """Compose, the Docker backend and the Maven jars all run one Kafka release."""
    assert _kafka()["image"] == f"apache/kafka:{KAFKA_VERSION}"
    assert Settings(kafka_bootstrap=None).kafka_image == f"apache/kafka:{KAFKA_VERSION}"


def test_clients_on_the_host_use_the_local_brokers_address() -> None:
    """Port 9092 on 127.0.0.1 is published and advertised, as `govbus kafka up` prints it."""
    kafka = _kafka()
    assert f"{HOST}:{SINGLE_NODE_PORT}:{SINGLE_NODE_PORT}" in kafka["ports"]
    advertised = kafka["environment"]["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert f"HOST://{HOST}:{SINGLE_NODE_PORT}" in advertised


def test_the_single_node_runs_kraft_with_a_valid_cluster_id() -> None:
    """A KRaft cluster id is 16 bytes in URL-safe base64; one node needs RF 1 internal topics."""
    env = _kafka()["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert len(base64.urlsafe_b64decode(env["CLUSTER_ID"] + "==")) == 16
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 1
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == 1


def _services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services


def test_every_published_port_is_on_loopback_only() -> None:
    """Kafka, Prometheus and Grafana are reachable from this machine only, never the network."""
    services = _services()
    assert {"kafka", "prometheus", "grafana"} <= set(services)
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith(f"{HOST}:"), f"{name} publishes {port}"


def test_prometheus_and_grafana_use_pinned_official_images() -> None:
    """Images are the upstream ones with an exact version tag, so the stack does not drift."""
    services = _services()
    for name, repository in (("prometheus", "prom/prometheus"), ("grafana", "grafana/grafana")):
        image, _, tag = services[name]["image"].partition(":")
        assert image == repository
        assert tag[:1] in "v0123456789"
        assert tag not in {"", "latest", "main"}


def test_every_file_mounted_into_the_stack_exists() -> None:
    """Each bind mount names a file or folder committed next to compose.yaml."""
    mounts = [
        volume.split(":")[0]
        for service in _services().values()
        for volume in service.get("volumes", [])
        if volume.startswith("./")
    ]
    assert "./prometheus/prometheus.yml" in mounts
    assert "./grafana/dashboards" in mounts
    for mount in mounts:
        assert (COMPOSE.parent / mount).exists(), mount


def test_prometheus_gets_the_rule_file_its_config_names() -> None:
    """The config's rule_files are mounted beside it inside the container."""
    prometheus = _services()["prometheus"]
    config = yaml.safe_load((COMPOSE.parent / "prometheus" / "prometheus.yml").read_text())
    targets = {volume.split(":")[1] for volume in prometheus["volumes"] if volume.startswith("./")}
    assert "/etc/prometheus/prometheus.yml" in targets
    for rule_file in config["rule_files"]:
        assert f"/etc/prometheus/{rule_file}" in targets


# --- The Tell Us Once stack --------------------------------------------------------------------

DOCKERFILE = COMPOSE.parent / "Dockerfile"
PROMETHEUS = COMPOSE.parent / "prometheus" / "prometheus.yml"
REPO = COMPOSE.parents[1]
GOVBUS_SERVICES = ("gro", "dwp", "dvla", "council", "library")
UPSTREAM = {"kafka", "prometheus", "grafana"}


def _command(service: dict[str, Any]) -> list[str]:
    """What the container runs: its entrypoint (the image's unless overridden) and command."""
    entrypoint = service.get("entrypoint", _dockerfile_json("ENTRYPOINT"))
    return [*entrypoint, *service.get("command", [])]


def _dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuations joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (word.upper(), rest.strip())
        for word, _, rest in (line.partition(" ") for line in lines if line and line[0] != "#")
    ]


def _dockerfile_json(instruction: str) -> list[str]:
    (value,) = [json.loads(args) for word, args in _dockerfile() if word == instruction]
    assert isinstance(value, list)
    return value


def _health_url(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    assert test[0] == "CMD", test
    (url,) = re.findall(r"http://[^'\"\s]+", " ".join(test))
    return str(url)


def test_each_organisation_runs_its_own_deployment_file_in_the_govbus_image() -> None:
    """gro, dwp, dvla, council and library each run their file from examples/, as committed."""
    services = _services()
    for name in GOVBUS_SERVICES:
        path = f"examples/tell_us_once/deployments/{name}.toml"
        assert _command(services[name]) == ["govbus", "run", path]
        # Relative to the image's WORKDIR, where the Dockerfile copies the repository.
        assert (REPO / path).is_file()
        assert REPO / path == deployment_file(name)
        assert services[name]["build"]["dockerfile"] == "docker/Dockerfile"
        assert (COMPOSE.parent / services[name]["build"]["context"] / "docker/Dockerfile").is_file()
    assert sorted(p.stem for p in DEPLOYMENTS.glob("*.toml")) == sorted(GOVBUS_SERVICES)


def _referenced_variables(name: str) -> set[str]:
    """The environment variables a deployment file reads through ``${env:...}``."""
    return set(re.findall(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}", deployment_file(name).read_text()))


def test_every_deployment_file_the_stack_runs_passes_govbus_validate() -> None:
    """Each file, with its service's environment from compose.yaml, passes `govbus validate`."""
    services = _services()
    assert "command" not in services["prepare"], "prepare writes no deployment files"
    for name in GOVBUS_SERVICES:
        own = {key: str(value) for key, value in services[name]["environment"].items()}
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUO_")} | own
        path = deployment_file(name)
        checked = subprocess.run(
            [sys.executable, "-m", "bus", "validate", str(path)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert f"{path}: ok" in checked.stdout


def test_each_service_gets_exactly_the_variables_its_deployment_file_reads() -> None:
    """The `${env:TUO_...}` references of a file are set in its service, with prepare's values."""
    services = _services()
    prepare = services["prepare"]["environment"]
    assert set(ENVIRONMENT) <= set(prepare)
    for name in GOVBUS_SERVICES:
        env = services[name]["environment"]
        referenced = _referenced_variables(name)
        assert referenced, f"{name} names none of its systems"
        assert referenced == {key for key in env if key.startswith("TUO_")}, name
        for variable in referenced:
            assert env[variable] == prepare[variable], f"{name}: {variable}"


def test_services_that_read_the_shared_databases_mount_the_data_volume() -> None:
    """Whoever a deployment file sends to TUO_DATA_DIR (gro, dvla, library) has it mounted."""
    services = _services()
    data_dir = services["prepare"]["environment"]["TUO_DATA_DIR"]
    for name in GOVBUS_SERVICES:
        uses_data = "TUO_DATA_DIR" in _referenced_variables(name)
        mounts = {v.split(":")[1] for v in services[name].get("volumes", [])}
        assert uses_data == (data_dir in mounts), name
    assert f"tuo-data:{data_dir}" in services["demo"]["volumes"]
    assert f"tuo-data:{data_dir}" in services["prepare"]["volumes"]


def test_govbus_services_listen_for_probes_on_their_own_port_and_reach_kafka_inside() -> None:
    """Each has a distinct GOVBUS_HEALTH_PORT on 0.0.0.0, published, and uses kafka:19092."""
    services = _services()
    ports = []
    for name in GOVBUS_SERVICES:
        env = services[name]["environment"]
        port = int(env["GOVBUS_HEALTH_PORT"])
        assert env["GOVBUS_HEALTH_HOST"] == "0.0.0.0"  # noqa: S104 - inside its own container
        assert env["GOVBUS_KAFKA_BOOTSTRAP"] == "kafka:19092"
        assert f"{HOST}:{port}:{port}" in services[name]["ports"]
        ports.append(port)
    assert len(set(ports)) == len(ports)


def test_every_healthcheck_asks_the_process_whether_it_is_ready() -> None:
    """govbus services are healthy when /readyz answers 200; legacy stand-ins when they serve."""
    services = _services()
    for name in GOVBUS_SERVICES:
        port = services[name]["environment"]["GOVBUS_HEALTH_PORT"]
        assert _health_url(services[name]) == f"http://127.0.0.1:{port}/readyz"
    for name, path in (("pensions", "/pensions?wsdl"), ("council-tax", "/accounts/changes")):
        port = _command(services[name])[_command(services[name]).index("--port") + 1]
        assert _health_url(services[name]) == f"http://127.0.0.1:{port}{path}"


def test_nothing_starts_before_what_it_depends_on_is_healthy_or_done() -> None:
    """govbus waits for Kafka and prepare; dwp/council for their systems; demo for all five."""
    services = _services()
    for name in GOVBUS_SERVICES:
        after = services[name]["depends_on"]
        assert after["kafka"] == {"condition": "service_healthy"}
        assert after["prepare"] == {"condition": "service_completed_successfully"}
    assert services["dwp"]["depends_on"]["pensions"] == {"condition": "service_healthy"}
    assert services["council"]["depends_on"]["council-tax"] == {"condition": "service_healthy"}
    demo = services["demo"]["depends_on"]
    assert {name: demo[name]["condition"] for name in GOVBUS_SERVICES} == dict.fromkeys(
        GOVBUS_SERVICES, "service_healthy"
    )
    for name, service in services.items():
        after = service.get("depends_on", {})
        for dependency in after:
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if isinstance(after, dict) and after[dependency]["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"


def test_the_tell_us_once_urls_point_at_services_of_the_stack() -> None:
    """The hosts in prepare's URLs and the broker address are compose services, ports included."""
    services = _services()
    env = services["prepare"]["environment"]
    for variable, name in (
        ("TUO_PENSIONS_URL", "pensions"),
        ("TUO_COUNCIL_TAX_URL", "council-tax"),
    ):
        url = urlsplit(env[variable])
        assert url.hostname == name
        command = _command(services[name])
        assert str(url.port) == command[command.index("--port") + 1]
        assert command[command.index("--host") + 1] == "0.0.0.0"  # noqa: S104 - in its container
    assert env["GOVBUS_KAFKA_BOOTSTRAP"] == "kafka:19092"
    assert env["TUO_DATA_DIR"] == services["demo"]["environment"]["TUO_DATA_DIR"]


def test_prometheus_scrapes_exactly_the_govbus_services_on_their_health_ports() -> None:
    """Every govbus target is <compose service>:<its GOVBUS_HEALTH_PORT>, instance-labelled."""
    services = _services()
    config = yaml.safe_load(PROMETHEUS.read_text())
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "govbus"]
    scraped = {}
    for group in job["static_configs"]:
        for target in group["targets"]:
            host, _, port = target.partition(":")
            assert host in services, f"{target} is no compose service"
            assert services[host]["environment"]["GOVBUS_HEALTH_PORT"] == port, target
            assert group["labels"]["instance"] == host
            scraped[host] = port
    assert sorted(scraped) == sorted(GOVBUS_SERVICES)
    assert "host.docker.internal" not in PROMETHEUS.read_text()


def test_images_are_pinned_and_the_govbus_image_carries_the_project_version() -> None:
    """No image floats on `latest`; the built one is tagged with pyproject's version."""
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    for name, service in _services().items():
        repository, _, tag = service["image"].partition(":")
        assert tag not in {"", "latest", "main"}, f"{name}: {service['image']}"
        if name not in UPSTREAM:
            assert (repository, tag) == ("govbus", version), name
            assert "build" in service
    (base,) = [args for word, args in _dockerfile() if word == "FROM"]
    # The official image unless a build argument names another (compose.local.yaml's).
    arguments = dict(args.partition("=")[::2] for word, args in _dockerfile() if word == "ARG")
    base = re.sub(r"\$\{(\w+)\}", lambda m: arguments[m[1]], base)
    image, _, tag = base.partition(":")
    assert image == "python"
    assert re.fullmatch(r"3\.11\.\d+-slim", tag), base


def test_the_image_installs_the_project_and_runs_govbus_as_an_unprivileged_user() -> None:
    """The Dockerfile pip-installs the copied repo, ends as a non-root user, runs `govbus`."""
    instructions = _dockerfile()
    runs = " ".join(args for word, args in instructions if word == "RUN")
    assert re.search(r"pip install --no-cache-dir \.(\s|$)", runs)
    assert ("COPY", ". /app") in instructions
    assert ("WORKDIR", "/app") in instructions
    users = [args for word, args in instructions if word == "USER"]
    assert users, "no USER: the image would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert re.search(rf"useradd\b[^&]*--uid {user}\b", runs)
    assert _dockerfile_json("ENTRYPOINT") == ["govbus"]
    # Deployment files name mapping functions in examples/, which only the source tree holds.
    assert any(word == "ENV" and "PYTHONPATH=/app" in args for word, args in instructions)


def test_the_build_context_leaves_out_local_environments_and_caches() -> None:
    """.dockerignore keeps .git, .venv, node_modules and caches out of the image."""
    ignored = {
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for pattern in (".git", ".venv", "**/node_modules", "**/__pycache__", ".mypy_cache"):
        assert pattern in ignored, pattern
