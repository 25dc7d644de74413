"""Subscribers written without govbus, in Node.js and Java (`examples/subscribers/`), on a real
broker: they receive Tell Us Once events and check them against the published JSON Schemas, and
an event they publish is handled by a govbus subscriber.

Each test runs once per language. A language whose runtime is missing from the machine is
skipped; one whose dependencies were not installed fails with the make target to run.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from bus.messaging.codec import Codec
from bus.messaging.publisher import Publication, Publisher
from bus.messaging.subscriber import Delivery, RetryPolicy, Subscription
from bus.messaging.topic_names import dlq_topic
from bus.testing.adapters import running_subscriber
from bus.testing.kafka import create_topics, eventually, topic_size, unique_topic
from contracts import Event
from contracts.catalogue.council import AddressChangeNotifiedV1
from contracts.catalogue.gro import DeathRegisteredV2
from contracts.export import schema_id

ROOT = Path(__file__).parents[3]
SCHEMAS = ROOT / "contracts" / "schemas"
NODE = ROOT / "examples" / "subscribers" / "node"
JAVA = ROOT / "examples" / "subscribers" / "java"
TIMEOUT_S = 60


@dataclass(frozen=True)
class Example:
    """How to run one language's example subscriber and publisher."""

    language: str
    subscriber: list[str]
    publisher: list[str]


def _node() -> Example:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: install Node.js 20+ (Debian: nodejs) to run it")
    if not (NODE / "node_modules" / "kafkajs").is_dir():
        pytest.fail("examples/subscribers/node has no node_modules: run `make node-deps` first")
    return Example(
        "node", [node, str(NODE / "subscriber.mjs")], [node, str(NODE / "publisher.mjs")]
    )


def _java() -> Example:
    java, mvn = shutil.which("java"), shutil.which("mvn")
    if java is None or mvn is None:
        pytest.skip("java or mvn is not installed: install a JDK 17+ and Maven to run it")
    classpath = JAVA / "target" / "classpath.txt"
    if not (classpath.is_file() and (JAVA / "target" / "classes" / "govbus").is_dir()):
        pytest.fail("examples/subscribers/java is not built: run `make java-deps` first")
    path = f"{JAVA / 'target' / 'classes'}:{classpath.read_text().strip()}"
    return Example(
        "java",
        [java, "-cp", path, "govbus.examples.Subscriber"],
        [java, "-cp", path, "govbus.examples.Publisher"],
    )


@pytest.fixture(params=["node", "java"])
def example(request: pytest.FixtureRequest) -> Example:
    """The example of one language, once for each."""
    return _node() if request.param == "node" else _java()


@pytest.fixture
async def codec(kafka_bootstrap: str, request: pytest.FixtureRequest) -> Codec:
    """A codec whose topics no other test uses, created with 3 partitions each."""
    codec = Codec(
        source="urn:govbus:gro:register-office",
        topic_prefix=unique_topic(request.node.name) + ".",
    )
    models = (DeathRegisteredV2, AddressChangeNotifiedV1)
    await create_topics(kafka_bootstrap, [codec.topic_for(model) for model in models])
    return codec


@pytest.fixture
async def publisher(kafka_bootstrap: str, codec: Codec) -> AsyncIterator[Publisher]:
    async with Publisher(bootstrap=kafka_bootstrap, codec=codec, name="gro") as publisher:
        yield publisher


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


async def _run(command: list[str], *args: str) -> Finished:
    """Run a program to its end, without blocking the event loop a govbus subscriber runs in."""
    process = await asyncio.create_subprocess_exec(
        *command, *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with asyncio.timeout(TIMEOUT_S):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        raise AssertionError(f"{command[-1]} ran over {TIMEOUT_S} s: {err.decode()}") from None
    assert process.returncode is not None
    return Finished(process.returncode, out.decode(), err.decode())


async def _subscribe(
    example: Example, bootstrap: str, topics: list[str], *, count: int, group: str = ""
) -> list[dict[str, Any]]:
    """What the example subscriber printed for the first ``count`` records of ``topics``, in
    consumer group ``group`` (a new one unless given)."""
    group = group or f"{example.language}-{uuid.uuid4().hex}"
    args = ["--bootstrap", bootstrap, "--group", group]
    for topic in topics:
        args += ["--topic", topic]
    args += ["--schemas", str(SCHEMAS), "--max-events", str(count), "--timeout-s", "30"]
    done = await _run(example.subscriber, *args)
    assert done.returncode == 0, done.stderr
    lines = done.lines()
    assert len(lines) == count, done.stdout + done.stderr
    return lines


def death(entry_number: int) -> DeathRegisteredV2:
    data = json.loads(json.dumps(DeathRegisteredV2.contract.example))
    data["registration"]["entry_number"] = entry_number
    data["registration"]["tell_us_once_reference"] = f"TUO-2025-{entry_number:07d}"
    return DeathRegisteredV2.model_validate(data)


def address_change() -> AddressChangeNotifiedV1:
    return AddressChangeNotifiedV1.model_validate(AddressChangeNotifiedV1.contract.example)


async def test_the_subscriber_receives_and_validates_tell_us_once_events(
    example: Example, kafka_bootstrap: str, codec: Codec, publisher: Publisher
) -> None:
    """Events govbus published reach the subscriber with their attributes, key and data, valid."""
    keyed: list[tuple[Event, str]] = [(death(n), f"TUO-2025-{n:07d}") for n in (411, 412, 413)]
    keyed.append((address_change(), "COA-2025-118204"))
    ids = await publisher.publish_many(Publication(event, key=key) for event, key in keyed)
    published = dict(zip(ids, keyed, strict=True))
    topics = [codec.topic_for(DeathRegisteredV2), codec.topic_for(AddressChangeNotifiedV1)]

    lines = await _subscribe(example, kafka_bootstrap, topics, count=len(published))

    assert {line["id"] for line in lines} == set(published)
    for line in lines:
        event, key = published[line["id"]]
        assert line["valid"] is True, line
        assert line["type"] == event.contract.cloudevents_type
        assert line["topic"] == codec.topic_for(type(event))
        assert line["source"] == codec.source
        assert line["dataschema"] == schema_id(type(event))
        assert line["classification"] == "OFFICIAL"
        assert line["key"] == key
        assert line["data"] == event.model_dump(mode="json")


async def test_a_restarted_subscriber_resumes_after_the_events_it_handled(
    example: Example, kafka_bootstrap: str, codec: Codec, publisher: Publisher
) -> None:
    """The second run in the same consumer group gets the other events, none of the first's."""
    ids = await publisher.publish_many(
        Publication(death(n), key="TUO-2025-0000500") for n in range(500, 504)
    )
    topics = [codec.topic_for(DeathRegisteredV2)]
    group = f"{example.language}-{uuid.uuid4().hex}"

    first = await _subscribe(example, kafka_bootstrap, topics, count=2, group=group)
    second = await _subscribe(example, kafka_bootstrap, topics, count=2, group=group)

    # One key, so one partition and the order published.
    assert [line["id"] for line in first + second] == ids


@dataclass(frozen=True)
class BadRecord:
    """A record another producer might send, and the words its reported errors must contain."""

    name: str
    headers: dict[str, bytes]
    value: bytes
    named: tuple[str, ...]


async def test_the_subscriber_reports_each_bad_record_by_name_and_carries_on(
    example: Example, kafka_bootstrap: str, codec: Codec, publisher: Publisher
) -> None:
    """Schema-breaking data, non-JSON, a hostile type and a bare record are reported, not fatal."""
    topic = codec.topic_for(DeathRegisteredV2)
    good = codec.encode(death(1), key="TUO-1", event_id=str(uuid.uuid4()))
    headers = dict(good.headers)
    broken = death(2).model_dump(mode="json")
    del broken["death"]
    broken["deceased"]["nino"] = "not a nino"
    hostile = {**headers, "ce_type": b"../../../etc/passwd.v1"}
    bad = [
        BadRecord("breaks the schema", headers, json.dumps(broken).encode(), ("death", "/nino")),
        BadRecord("not JSON", headers, b'{"death": ', ("not JSON",)),
        BadRecord("hostile type", hostile, good.value, ("etc/passwd.v1", "<event type>.v<N>")),
        BadRecord("no CloudEvent", {}, good.value, ("not a CloudEvent",)),
    ]
    where: dict[tuple[int, int], BadRecord] = {}
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for record in bad:
            sent = await producer.send_and_wait(
                topic, record.value, key=record.name.encode(), headers=list(record.headers.items())
            )
            where[sent.partition, sent.offset] = record
    finally:
        await producer.stop()
    good_id = await publisher.publish(death(3), key="TUO-3")

    lines = await _subscribe(example, kafka_bootstrap, [topic], count=len(bad) + 1)

    invalid = [line for line in lines if not line["valid"]]
    assert sorted(where[line["partition"], line["offset"]].name for line in invalid) == sorted(
        record.name for record in bad
    )
    for line in invalid:
        record = where[line["partition"], line["offset"]]
        errors = " ".join(line["errors"])
        for word in record.named:
            assert word in errors, f"{record.name}: {errors}"
    (valid,) = [line for line in lines if line["valid"]]
    assert valid["id"] == good_id
    assert valid["data"] == death(3).model_dump(mode="json")


class Recorder:
    """A govbus handler that keeps what it was given."""

    def __init__(self) -> None:
        self.handled: list[tuple[Any, Delivery]] = []

    async def __call__(self, event: Any, delivery: Delivery) -> None:
        self.handled.append((event, delivery))


async def test_an_event_the_example_publishes_is_handled_by_a_govbus_subscriber(
    example: Example, kafka_bootstrap: str, codec: Codec, tmp_path: Path
) -> None:
    """A council's change of address sent by the example arrives typed and is not dead-lettered."""
    topic = codec.topic_for(AddressChangeNotifiedV1)
    change = address_change()
    data = tmp_path / "change.json"
    data.write_text(json.dumps(change.model_dump(mode="json")), encoding="utf-8")
    done = await _run(
        example.publisher,
        *("--bootstrap", kafka_bootstrap, "--schemas", str(SCHEMAS), "--topic", topic),
        *("--type", AddressChangeNotifiedV1.contract.cloudevents_type),
        *("--source", "urn:example:council:westminster", "--key", "COA-2025-118204"),
        *("--subject", "address-change/COA-2025-118204", "--data", str(data)),
    )
    assert done.returncode == 0, done.stderr
    (sent,) = done.lines()

    recorder = Recorder()
    retry = RetryPolicy(max_attempts=2, initial_backoff_s=0.01, max_backoff_s=0.05)
    subscription = Subscription(
        name=f"council-tax-{example.language}",
        contract=AddressChangeNotifiedV1,
        handler=recorder,
        retry=retry,
    )
    async with running_subscriber(subscription, bootstrap=kafka_bootstrap, codec=codec):
        await eventually(lambda: len(recorder.handled) == 1, what="the govbus handler")

    ((event, delivery),) = recorder.handled
    assert event == change
    assert delivery.envelope.id == sent["id"]
    assert delivery.envelope.type == "uk.gov.council.address-change-notified.v1"
    assert delivery.envelope.source == "urn:example:council:westminster"
    assert delivery.envelope.subject == "address-change/COA-2025-118204"
    assert delivery.envelope.dataschema == schema_id(AddressChangeNotifiedV1)
    assert delivery.envelope.extensions["classification"] == "OFFICIAL"
    assert delivery.key == b"COA-2025-118204"
    assert await topic_size(kafka_bootstrap, dlq_topic(topic), timeout_s=1) == 0


async def test_the_publisher_refuses_data_that_breaks_the_contract(
    example: Example, kafka_bootstrap: str, codec: Codec, tmp_path: Path
) -> None:
    """Data missing a required field or with a malformed NINO is not sent; the error names both."""
    topic = codec.topic_for(AddressChangeNotifiedV1)
    broken = address_change().model_dump(mode="json")
    del broken["moved_on"]
    broken["nino"] = "AB12"
    data = tmp_path / "change.json"
    data.write_text(json.dumps(broken), encoding="utf-8")

    done = await _run(
        example.publisher,
        *("--bootstrap", kafka_bootstrap, "--schemas", str(SCHEMAS), "--topic", topic),
        *("--type", AddressChangeNotifiedV1.contract.cloudevents_type),
        *("--source", "urn:example:council:westminster", "--key", "COA-1", "--data", str(data)),
    )

    assert done.returncode == 2
    assert "moved_on" in done.stderr
    assert "/nino" in done.stderr
    assert done.stdout == ""
    assert await topic_size(kafka_bootstrap, topic) == 0
