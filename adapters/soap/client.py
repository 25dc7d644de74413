"""Calling a SOAP operation with zeep, safely, and sorting its failures into three kinds.

XML from the service is untrusted. zeep parses it with ``forbid_dtd``, ``forbid_entities`` and
``forbid_external`` and without lxml's ``huge_tree``, so a reply with a DTD (billion laughs, an
external entity such as ``file:///etc/passwd``) is refused before anything is expanded or
fetched, and libxml2's depth and text-size limits stay on. The transport reads at most
``max_response_bytes`` (counted after decompression) and refuses the rest unparsed. The WSDL is
fetched asynchronously under the same limit and must be self-contained: zeep's own loader, which
would follow ``xsd:import`` to any URL or file, is switched off.

Failures of a call:

* ``NotConnected``: the service cannot be reached, times out, answers an HTTP error without a
  SOAP body, or returns a ``Server`` fault (its own trouble): try again later.
* ``Refused``: a ``Client`` fault or a request zeep cannot build (a missing or mistyped
  argument): the request itself is wrong and repeating it will fail the same way.
* ``BadResponse``: the reply is not a usable SOAP message (invalid or hostile XML, oversized,
  wrong types); it carries the reason and the first bytes of the reply.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import httpx
import requests
import zeep
import zeep.exceptions
from lxml import etree
from zeep.proxy import AsyncServiceProxy
from zeep.transports import AsyncTransport
from zeep.wsdl.utils import etree_to_string

from adapters.soap.config import SoapConfig
from bus.foundation.errors import DeliveryRefused, GovbusError, NotConnected

RAW_KEPT_BYTES = 64 * 1024  # enough to diagnose a bad reply; Kafka's record limit is ~1 MB


class Refused(DeliveryRefused):
    """The service refused the request as invalid (a SOAP ``Client`` fault); not retriable."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class BadResponse(GovbusError):
    """The service's reply is not a usable SOAP message; ``raw`` holds its first bytes."""

    def __init__(self, message: str, *, raw: bytes = b"") -> None:
        super().__init__(message)
        self.raw = raw


class _TooLarge(Exception):
    pass


class LimitedTransport(AsyncTransport):
    """zeep's async transport, reading at most ``max_bytes`` of a reply and loading nothing."""

    def __init__(self, *, timeout_s: float, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.last_body = b""
        super().__init__(  # type: ignore[no-untyped-call]  # zeep leaves it unannotated
            client=httpx.AsyncClient(timeout=timeout_s, follow_redirects=False),
            wsdl_client=httpx.Client(timeout=timeout_s),  # zeep wants one; load() never uses it
        )

    def load(self, url: str) -> bytes:
        raise zeep.exceptions.ExternalReferenceForbidden(url)

    async def aclose(self) -> None:
        await self.client.aclose()
        self.wsdl_client.close()

    async def fetch(self, url: str) -> bytes:
        """GET ``url`` within the size limit (the WSDL)."""
        async with self.client.stream("GET", url) as response:
            body = await self._read(response)
        if response.status_code != 200:
            raise NotConnected(f"GET {url}: HTTP {response.status_code}", system=url)
        return body

    async def post_xml(self, address: str, envelope: Any, headers: Any) -> requests.Response:
        async with self.client.stream(
            "POST", address, content=etree_to_string(envelope), headers=headers
        ) as response:
            body = await self._read(response)
        reply = requests.Response()
        reply._content = body
        reply.status_code = response.status_code
        reply.headers = requests.structures.CaseInsensitiveDict(response.headers)
        reply.encoding = response.encoding
        return reply

    async def _read(self, response: httpx.Response) -> bytes:
        self.last_body = b""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise _TooLarge(f"{declared} bytes declared")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():  # decoded, so a gzip bomb is capped too
            size += len(chunk)
            chunks.append(chunk)
            if size > self.max_bytes:
                self.last_body = b"".join(chunks)[:RAW_KEPT_BYTES]
                raise _TooLarge(f"more than {self.max_bytes} bytes")
        self.last_body = b"".join(chunks)
        return self.last_body


def settings() -> zeep.Settings:
    """zeep settings for untrusted XML: no DTDs, entities, external loads or huge trees."""
    return zeep.Settings(
        strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True,
        xml_huge_tree=False,
    )  # fmt: skip


class SoapClient:
    """One operation of one WSDL service; ``connect`` loads the WSDL, ``call`` calls it."""

    def __init__(self, config: SoapConfig) -> None:
        self.config = config
        self.transport: LimitedTransport | None = None
        self._proxy: Any = None
        self.address = config.address or ""
        self.service_name = ""

    @property
    def last_body(self) -> bytes:
        """The last reply read (its first bytes if it was too large)."""
        return self.transport.last_body if self.transport is not None else b""

    async def connect(self) -> None:
        """Load the WSDL and bind the operation; ``NotConnected`` if the WSDL is unreachable."""
        config = self.config
        self.transport = LimitedTransport(
            timeout_s=config.timeout_s, max_bytes=config.max_response_bytes
        )
        try:
            wsdl = await self._wsdl(self.transport)
            client = zeep.AsyncClient(
                io.BytesIO(wsdl), transport=self.transport, settings=settings()
            )
            service = client.wsdl.services[config.service] if config.service else None
            service = service or next(iter(client.wsdl.services.values()))
            port = service.ports[config.port] if config.port else next(iter(service.ports.values()))
        except (httpx.HTTPError, OSError) as exc:
            raise NotConnected(f"WSDL {config.wsdl}: {exc!r}", system=config.wsdl) from None
        except (zeep.exceptions.Error, etree.Error, KeyError, StopIteration, _TooLarge) as exc:
            raise NotConnected(
                f"WSDL {config.wsdl} is unusable: {exc!r}", system=config.wsdl
            ) from None
        self.service_name = service.name
        self.address = config.address or port.binding_options["address"]
        self._proxy = AsyncServiceProxy(client, port.binding, address=self.address)
        if config.operation not in port.binding.all():
            raise NotConnected(f"WSDL {config.wsdl} has no operation {config.operation!r}")

    async def _wsdl(self, transport: LimitedTransport) -> bytes:
        location = self.config.wsdl
        if location.startswith(("http://", "https://")):
            return await transport.fetch(location)
        return await asyncio.to_thread(_read_file, Path(location), self.config.max_response_bytes)

    async def call(self, **arguments: Any) -> Any:
        """Call the operation; return zeep's result or raise as the module docstring says."""
        if self._proxy is None or self.transport is None:
            await self.connect()
        transport = self.transport
        assert transport is not None  # noqa: S101 - connect() set it
        where = f"{self.address} {self.config.operation}"
        try:
            return await getattr(self._proxy, self.config.operation)(**arguments)
        except httpx.HTTPError as exc:
            raise NotConnected(f"{where}: {exc!r}", system=self.address) from None
        except _TooLarge as exc:
            raise BadResponse(f"{where}: reply refused, {exc}", raw=transport.last_body) from None
        except zeep.exceptions.Fault as fault:
            code = _local(fault.code)
            if code.startswith("Client"):
                raise Refused(f"{where}: fault {code}: {fault.message}", code=code) from None
            raise NotConnected(
                f"{where}: fault {code}: {fault.message}", system=self.address
            ) from None
        except zeep.exceptions.TransportError as exc:
            if exc.status_code != 200:  # an HTTP error page, e.g. from a proxy in front
                raise NotConnected(f"{where}: {exc.message}", system=self.address) from None
            raise BadResponse(
                f"{where}: {_first_line(exc.message)}", raw=transport.last_body
            ) from None
        except zeep.exceptions.DTDForbidden:
            message = f"{where}: reply has a DTD (<!DOCTYPE>); refused, nothing expanded or fetched"
            raise BadResponse(message, raw=transport.last_body) from None
        except zeep.exceptions.EntitiesForbidden as exc:
            message = f"{where}: reply declares entity {exc.name!r}; refused, nothing expanded"
            raise BadResponse(message, raw=transport.last_body) from None
        except zeep.exceptions.ValidationError as exc:
            raise Refused(f"{where}: request cannot be built: {exc}") from None
        except (zeep.exceptions.Error, etree.Error, ValueError, TypeError, AttributeError) as exc:
            # not a SOAP envelope, or a reply zeep cannot read as the WSDL's types
            raise BadResponse(
                f"{where}: bad reply: {_first_line(str(exc) or repr(exc))}", raw=transport.last_body
            ) from None

    async def close(self) -> None:
        if self.transport is not None:
            transport, self.transport, self._proxy = self.transport, None, None
            await transport.aclose()


def _read_file(path: Path, limit: int) -> bytes:
    with path.open("rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise _TooLarge(f"{path} is larger than {limit} bytes")
    return data


def _local(code: Any) -> str:
    text = str(code or "")
    return text.rsplit("}", 1)[-1].rsplit(":", 1)[-1] if text else "Server"


def _first_line(text: str) -> str:
    return text.splitlines()[0][:500] if text else text
