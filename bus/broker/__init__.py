"""Reaching the Kafka cluster: client options from settings, security included (``client``),
topic administration (``topics``), and a real local Kafka for machines without one (``local``).

Imports only ``bus.foundation``.
"""
