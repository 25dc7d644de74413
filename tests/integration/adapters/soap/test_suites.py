"""The soap source and sink pass the behaviour suites against the example pensions service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from examples.legacy.pensions import PensionsService
from tests.adapters.sink_suite import SinkBehaviour
from tests.adapters.source_suite import SourceBehaviour
from tests.integration.adapters.soap.pensions import SinkHarness, SourceHarness


@pytest.fixture
async def service() -> AsyncIterator[PensionsService]:
    async with PensionsService() as running:
        yield running


class TestSoapSource(SourceBehaviour):
    adapter = "suite-soap-source"

    @pytest.fixture
    def harness(self, service: PensionsService) -> SourceHarness:
        return SourceHarness(service)


class TestSoapSink(SinkBehaviour):
    @pytest.fixture
    def harness(self, service: PensionsService) -> SinkHarness:
        return SinkHarness(service)
