"""Harnesses that put the example pensions SOAP service under the behaviour suites' control."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from adapters.soap import SoapConfig, SoapSink, SoapSinkConfig, SoapSource, SoapSourceConfig
from bus.adapter_runtime.mapping import FieldRule, Mapper, MappingConfig
from bus.messaging.envelope import Envelope
from bus.messaging.subscriber import Delivery
from contracts.catalogue.dwp import StatePensionPaymentStoppedV1
from contracts.catalogue.gro import DeathRegisteredV2
from examples.legacy.pensions import PensionsService

STOPS_MAPPING = MappingConfig(
    contract="uk.gov.dwp.state-pension-payment-stopped.v1",
    key="{nino}",
    identity="{sequence}",
    fields={
        "nino": "nino",
        "pensioner.given_names": "forenames",
        "pensioner.family_name": "surname",
        "stopped_from": "stoppedFrom",
        "reason": "reason",
        "date_of_death": FieldRule(source="dateOfDeath", optional=True),
        "final_payment_due": "finalPaymentDue",
        "tell_us_once_reference": FieldRule(source="tuoReference", optional=True),
    },
)


def nino(number: int) -> str:
    return f"AB{number:06d}C"


def source_config(service: PensionsService, **options: Any) -> SoapConfig:
    return SoapConfig(
        wsdl=service.wsdl_url,
        operation="ListPaymentStops",
        timeout_s=5,
        source=SoapSourceConfig(id_field="sequence", limit_argument="limit", batch_size=10),
        **options,
    )


def sink_config(service: PensionsService, **options: Any) -> SoapConfig:
    sink = SoapSinkConfig(
        arguments={
            "nino": "deceased.nino",
            "forenames": "deceased.name.given_names",
            "surname": "deceased.name.family_name",
            "dateOfDeath": "death.date",
            "tuoReference": "registration.tell_us_once_reference",
        },
        **options,
    )
    return SoapConfig(wsdl=service.wsdl_url, operation="RecordDeath", timeout_s=5, sink=sink)


def death(number: int, **changes: Any) -> DeathRegisteredV2:
    data = copy.deepcopy(dict(DeathRegisteredV2.contract.example))
    data["deceased"]["nino"] = nino(number)
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        node[leaf] = value
    return DeathRegisteredV2.model_validate(data)


def delivery(event_id: str, attempt: int = 1) -> Delivery:
    envelope = Envelope(id=event_id, source="urn:test", type="uk.gov.gro.death-registered.v2")
    return Delivery(envelope, topic="t", partition=0, offset=0, key=None, attempt=attempt)


class SourceHarness:
    """The pensions service's payment stops, read by a soap source."""

    contract = StatePensionPaymentStoppedV1
    mapping = STOPS_MAPPING

    def __init__(self, service: PensionsService) -> None:
        self.service = service

    async def add(self, numbers: range) -> None:
        for number in numbers:
            self.service.ledger.stop_payment(
                nino=nino(number), forenames="Joseph", surname="Oduya",
                stopped_from=date(2025, 3, 2), reason="death", date_of_death=date(2025, 3, 1),
                final_payment_due=True,
            )  # fmt: skip

    async def add_bad(self) -> str:
        stop = self.service.ledger.stop_payment(
            nino="not a nino", forenames="Ann", surname="Lee", stopped_from=date(2025, 3, 2),
            reason="death",
        )  # fmt: skip
        return f"ListPaymentStops id {stop.sequence}"

    def source(self, mapper: Mapper) -> SoapSource:
        return SoapSource(source_config(self.service), mapper=mapper)

    def number_of(self, event: Any) -> int:
        return int(event.nino[2:8])

    async def take_down(self) -> None:
        await self.service.stop()

    async def bring_up(self) -> None:
        await self.service.start()


class SinkHarness:
    """The pensions service's death notices, written by a soap sink calling RecordDeath."""

    contract = DeathRegisteredV2

    def __init__(self, service: PensionsService) -> None:
        self.service = service

    def sink(self) -> SoapSink:
        return SoapSink(sink_config(self.service), contract=DeathRegisteredV2)

    def event(self, number: int) -> DeathRegisteredV2:
        return death(number)

    async def delivered(self) -> list[int]:
        return [int(notice.nino[2:8]) for notice in self.service.ledger.deaths.values()]

    async def take_down(self) -> None:
        await self.service.stop()

    async def bring_up(self) -> None:
        await self.service.start()
