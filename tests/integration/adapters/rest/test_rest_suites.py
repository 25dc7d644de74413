"""The REST source and sink pass the behaviour suites against the council tax REST API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.rest import RestCall, RestConfig, RestPoll, RestSink, RestSource
from bus.adapter_runtime.mapping import Mapper, MappingConfig
from contracts import Event
from contracts.catalogue.council import CouncilTaxAccountClosedV1
from examples.legacy.council_tax import CouncilTaxApi
from tests.adapters.sink_suite import SinkBehaviour
from tests.adapters.source_suite import SourceBehaviour
from tests.integration.adapters.rest.council_tax import MAPPING, change, number_of


class ChangesFeed:
    """The council tax changes feed, polled seven changes a page; down means connection refused."""

    contract: type[Event] = CouncilTaxAccountClosedV1
    mapping: MappingConfig = MAPPING

    def __init__(self, api: CouncilTaxApi) -> None:
        self.api = api

    async def add(self, numbers: range) -> None:
        for number in numbers:
            self.api.add_change(change(number))

    async def add_bad(self) -> str:
        address = {"lines": ["x"], "town": "Hartlepool", "postcode": "NOT A POSTCODE"}
        number = self.api.add_change(change(999, address=address))
        return f"id {number}"

    def source(self, mapper: Mapper) -> RestSource:
        poll = RestPoll(
            path="/accounts/changes", params={"limit": "7"}, records_path="changes",
            id_field="change_number", cursor_field="change_number",
        )  # fmt: skip
        return RestSource(RestConfig(base_url=self.api.base_url, poll=poll), mapper)

    def number_of(self, event: Any) -> int:
        return number_of(event)

    async def take_down(self) -> None:
        await self.api.stop()

    async def bring_up(self) -> None:
        await self.api.start()


class ClosureEndpoint:
    """``PUT /accounts/{reference}/closure``; down means an HTML 503 page from every request."""

    contract: type[Event] = CouncilTaxAccountClosedV1

    def __init__(self, api: CouncilTaxApi) -> None:
        self.api = api

    def sink(self) -> RestSink:
        call = RestCall(
            path="/accounts/{account_reference}/closure",
            body={"closed_on": "closed_on", "reason": "reason"},
        )
        config = RestConfig(base_url=self.api.base_url, call=call)
        return RestSink(config, CouncilTaxAccountClosedV1)

    def event(self, number: int) -> Event:
        data = {**CouncilTaxAccountClosedV1.contract.example}
        data["account_reference"] = f"CT/{number:08d}"
        return CouncilTaxAccountClosedV1.model_validate(data)

    async def delivered(self) -> list[int]:
        return [int(c["account_reference"].split("/")[1]) for c in self.api.state.closures]

    async def take_down(self) -> None:
        self.api.unavailable = True

    async def bring_up(self) -> None:
        self.api.unavailable = False


@pytest.fixture
async def api() -> AsyncIterator[CouncilTaxApi]:
    async with CouncilTaxApi() as running:
        yield running


class TestRestSource(SourceBehaviour):
    adapter = "rest-council-tax-changes"

    @pytest.fixture
    def harness(self, api: CouncilTaxApi) -> ChangesFeed:
        return ChangesFeed(api)


class TestRestSink(SinkBehaviour):
    @pytest.fixture
    def harness(self, api: CouncilTaxApi) -> ClosureEndpoint:
        return ClosureEndpoint(api)
