"""The soap sink: calls one operation per event, with arguments taken from the event.

Idempotence rests on the service, as with real idempotent SOAP services: the event id (ce_id)
goes into ``reference_argument`` and the service carries out a reference once, answering a
repeat with what it did the first time. Services that answer a repeat with a fault instead
list that fault's code in ``duplicate_faults``, which then counts as delivered.

Failures: a ``Client`` fault or arguments zeep cannot send (a required field missing, a wrong
type) raise ``Refused``, which is not retriable, so the event is dead-lettered at once. An
unreachable service, a ``Server`` fault, and a garbled or hostile reply raise ``NotConnected``
and are retried: after a garbled reply we cannot tell whether the call took effect, and the
reference makes a second call safe.

``open`` does not contact the service; the WSDL is loaded on the first delivery (and again
after a failure to load it), so a sink can start while its legacy system is down.
"""

from __future__ import annotations

from adapters.soap.client import BadResponse, Refused, SoapClient
from adapters.soap.config import SoapConfig, SoapSinkConfig
from adapters.soap.mapping import arguments_for
from bus.foundation.errors import ConfigError, NotConnected
from bus.messaging.subscriber import Delivery
from contracts import Event


class SoapSink:
    """Delivers events of one contract into one SOAP operation; see the module docstring."""

    def __init__(self, config: SoapConfig, *, contract: type[Event]) -> None:
        if config.sink is None:
            raise ConfigError("a soap sink needs a [sink] section")
        self.config = config
        self.options: SoapSinkConfig = config.sink
        self.contract = contract
        self._client = SoapClient(config)

    async def open(self) -> None:
        """Nothing to open: the WSDL is loaded on the first delivery."""

    async def deliver(self, event: Event, delivery: Delivery) -> None:
        """Call the operation once for ``event``, under its id as the reference."""
        arguments = arguments_for(event, delivery.envelope.id, self.options)
        try:
            await self._client.call(**arguments)
        except Refused as exc:
            if exc.code and exc.code in self.options.duplicate_faults:
                return  # the service did this before: delivered
            raise
        except BadResponse as exc:
            raise NotConnected(f"{exc} (retrying: the reference makes it safe)") from None

    async def close(self) -> None:
        await self._client.close()
