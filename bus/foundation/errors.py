"""The one error tree of govbus.

Whether the runtime retries is a property of the type: ``retriable`` is ``True`` only under
``RetriableError``. Errors carry their context as keyword-only attributes and their messages
name the offending key, value, path or port, on one line.

::

    GovbusError                       retriable = False
    ├── ConfigError                   a setting or file is invalid; fix it and start again
    │   ├── InvalidSetting            a GOVBUS_ setting is unusable (e.g. an unreadable TLS key)
    │   └── ListenError               the health and metrics server cannot bind its address
    ├── LocalKafkaError               the local Kafka launcher cannot do what was asked
    │   ├── ToolMissing               java, mvn or docker is not installed
    │   ├── ResolveError              Kafka's jars cannot be resolved from Maven Central
    │   ├── PortInUse                 a port the cluster needs is taken by another process
    │   ├── ClusterStateError         an earlier run left a cluster or data that conflicts
    │   └── BrokerStartError          a broker process exited or never became ready
    ├── TopicAdminRefused             Kafka refused to create or change topics (`topics`)
    ├── AclAdminRefused               Kafka refused to list, create or delete ACLs (`bindings`)
    ├── PublishError                  an event cannot be published (invalid, or publisher closed)
    ├── RejectedRecord                a consumed record is bad input; it goes to the DLQ (`stage`)
    │   ├── OversizedRecord           stage "size": the value exceeds the subscriber's limit
    │   ├── InvalidEnvelope           stage "envelope": CloudEvents headers missing or invalid
    │   ├── UnknownEventType          stage "type": no contract for ce_type, or not subscribed
    │   ├── NotJson                   stage "json": the value is not JSON
    │   └── ContractViolation         stage "contract": JSON that breaks the contract (or upcast)
    ├── DeadLetterWriteFailed         the DLQ write failed; the subscriber stops, uncommitted
    ├── DeliveryRefused               a legacy system refused an event for good (dead-letter it)
    ├── MappingError                  a legacy record cannot be mapped to its contract (`field`)
    ├── BadJson                       a legacy system's body is not usable JSON (also ValueError)
    ├── EndOfInput                    a finite source (a file) is drained; stop it cleanly
    └── RetriableError                retriable = True: try again with backoff
        ├── KafkaUnavailable          the Kafka cluster does not answer (yet)
        └── NotConnected              a legacy system is down; reopen the adapter with backoff
"""

from __future__ import annotations


class GovbusError(Exception):
    """Base of every error govbus raises on purpose."""

    retriable: bool = False


class ConfigError(GovbusError):
    """A setting or configuration file is invalid."""


class InvalidSetting(ConfigError):
    """A setting passed validation but cannot be used, e.g. a TLS file that is not PEM."""

    def __init__(self, message: str, *, variable: str) -> None:
        super().__init__(message)
        self.variable = variable


class ListenError(ConfigError):
    """The health and metrics HTTP server cannot bind its host and port."""

    def __init__(self, message: str, *, host: str, port: int) -> None:
        super().__init__(message)
        self.host = host
        self.port = port


class LocalKafkaError(GovbusError):
    """The local Kafka launcher cannot do what was asked."""


class ToolMissing(LocalKafkaError):
    """A program govbus needs (java, mvn, docker) is not installed."""

    def __init__(self, message: str, *, tool: str) -> None:
        super().__init__(message)
        self.tool = tool


class ResolveError(LocalKafkaError):
    """Kafka's jars could not be resolved from Maven Central into the cache."""


class PortInUse(LocalKafkaError):
    """A port the local cluster needs is already bound by another process."""

    def __init__(self, message: str, *, port: int) -> None:
        super().__init__(message)
        self.port = port


class ClusterStateError(LocalKafkaError):
    """A cluster or data directory from an earlier run conflicts with the request."""


class BrokerStartError(LocalKafkaError):
    """A broker process exited during start-up or did not become ready in time."""


class TopicAdminRefused(GovbusError):
    """Kafka refused to create or change ``topics``; ``not_authorised`` when for lack of rights."""

    def __init__(self, message: str, *, topics: tuple[str, ...], not_authorised: bool) -> None:
        super().__init__(message)
        self.topics = topics
        self.not_authorised = not_authorised


class AclAdminRefused(GovbusError):
    """Kafka refused to list, create or delete the ACLs ``bindings`` (their text forms)."""

    def __init__(self, message: str, *, bindings: tuple[str, ...]) -> None:
        super().__init__(message)
        self.bindings = bindings


class PublishError(GovbusError):
    """An event cannot be published: it breaks its contract, or the publisher is closed."""


class RejectedRecord(GovbusError):
    """A consumed record that is bad input. ``stage`` names the check that rejected it."""

    stage: str = "decode"

    def __init__(self, message: str, *, topic: str = "", offset: int = -1) -> None:
        super().__init__(message)
        self.topic = topic
        self.offset = offset


class OversizedRecord(RejectedRecord):
    """The record's value is larger than the subscriber accepts."""

    stage = "size"


class InvalidEnvelope(RejectedRecord):
    """CloudEvents attributes are missing or invalid."""

    stage = "envelope"


class UnknownEventType(RejectedRecord):
    """No registered contract has the record's ``ce_type``, or the subscriber cannot read it."""

    stage = "type"


class NotJson(RejectedRecord):
    """The record's value is not JSON."""

    stage = "json"


class ContractViolation(RejectedRecord):
    """The record's JSON breaks its contract, or cannot be upcast to the version wanted."""

    stage = "contract"


class DeadLetterWriteFailed(GovbusError):
    """A record could not be written to its dead-letter topic; nothing may be committed."""

    def __init__(self, message: str, *, dlq_topic: str) -> None:
        super().__init__(message)
        self.dlq_topic = dlq_topic


class MappingError(GovbusError):
    """A legacy record cannot become a contract event; ``field`` names the target field."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class BadJson(GovbusError, ValueError):
    """A body that is not usable JSON (or not the JSON object expected); the message says why."""


class EndOfInput(GovbusError):
    """A finite source has nothing more to read; the runtime stops it cleanly."""


class DeliveryRefused(GovbusError):
    """A sink's legacy system refused the event itself (a bad request): retrying cannot help."""


class RetriableError(GovbusError):
    """A transient failure: the same call may succeed later."""

    retriable = True


class KafkaUnavailable(RetriableError):
    """The Kafka cluster does not answer a metadata request."""

    def __init__(self, message: str, *, bootstrap: str) -> None:
        super().__init__(message)
        self.bootstrap = bootstrap


class NotConnected(RetriableError):
    """A legacy system cannot be reached; the runtime reopens the adapter with backoff."""

    def __init__(self, message: str, *, system: str = "") -> None:
        super().__init__(message)
        self.system = system
