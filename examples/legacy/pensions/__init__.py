"""A State Pension payments system with a SOAP 1.1 interface, as DWP's might be.

``PensionsService`` serves a hand-written WSDL at ``?wsdl`` and two operations:
``ListPaymentStops(since, limit)`` (payments stopped, in sequence order, for a source to poll)
and ``RecordDeath(reference, ...)`` (stops a pensioner's payments; idempotent by reference).
"""

from examples.legacy.pensions.ledger import DeathNotice, Ledger, LedgerRefusal, PaymentStop
from examples.legacy.pensions.server import PensionsService

__all__ = ["DeathNotice", "Ledger", "LedgerRefusal", "PaymentStop", "PensionsService"]
