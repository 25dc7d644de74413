"""Loading the WSDL: from a file with an address override, refused when unusable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.soap import SoapConfig, SoapSource, SoapSourceConfig
from bus.adapter_runtime.mapping import Mapper
from bus.foundation.errors import NotConnected
from examples.legacy.pensions import PensionsService
from tests.integration.adapters.soap.pensions import STOPS_MAPPING

WSDL = Path("examples/legacy/pensions/pensions.wsdl")


@pytest.fixture
async def service() -> AsyncIterator[PensionsService]:
    async with PensionsService() as running:
        yield running


def config(wsdl: str, **options: object) -> SoapConfig:
    return SoapConfig(
        wsdl=wsdl, operation="ListPaymentStops", source=SoapSourceConfig(id_field="sequence"),
        **options,
    )  # fmt: skip


async def test_a_wsdl_file_with_an_address_override_reaches_the_service(
    service: PensionsService,
) -> None:
    """A WSDL kept as a file, with the endpoint given in config, reads the real service."""
    source = SoapSource(config(str(WSDL), address=service.url), mapper=Mapper(STOPS_MAPPING))
    await source.open({})
    try:
        assert await source.read() == []
    finally:
        await source.close()


@pytest.fixture
def importing_wsdl(tmp_path: Path) -> Path:
    """The pensions WSDL importing a valid schema from a local file."""
    schema = tmp_path / "other.xsd"
    schema.write_text(
        '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x"/>'
    )
    opening = (
        '<xsd:schema targetNamespace="urn:example:dwp:pensions:v1" elementFormDefault="qualified">'
    )
    text = WSDL.read_text().replace(
        opening, opening + f'<xsd:import namespace="urn:x" schemaLocation="{schema.as_uri()}"/>'
    )
    wsdl = tmp_path / "importing.wsdl"
    wsdl.write_text(text)
    return wsdl


async def test_a_wsdl_importing_another_document_is_refused(
    service: PensionsService, importing_wsdl: Path
) -> None:
    """An xsd:import, even of a valid local schema, is never followed; the WSDL is unusable."""
    source = SoapSource(
        config(str(importing_wsdl), address=service.url), mapper=Mapper(STOPS_MAPPING)
    )
    with pytest.raises(NotConnected, match="ExternalReferenceForbidden"):
        await source.open({})
    await source.close()


async def test_an_unreachable_wsdl_is_not_connected(service: PensionsService) -> None:
    """With the service down, open() reports NotConnected so the runtime retries."""
    await service.stop()
    source = SoapSource(config(service.wsdl_url), mapper=Mapper(STOPS_MAPPING))
    with pytest.raises(NotConnected):
        await source.open({})
    await source.close()
