"""FastStream services as first-class govbus subscribers and publishers (``Govbus``)."""

from bus.faststream.app import CurrentDelivery, Govbus
from bus.faststream.consuming import current_delivery

__all__ = ["CurrentDelivery", "Govbus", "current_delivery"]
