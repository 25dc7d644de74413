"""FastStream services as first-class govbus subscribers and publishers (``Govbus``)."""

from bus.faststream.app import CurrentDelivery, Govbus

__all__ = ["CurrentDelivery", "Govbus"]
