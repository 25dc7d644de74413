"""Public helpers for tests of govbus and of the services and adapters built on it: topics and
records on a real Kafka (``kafka``), and adapters run through the real runtime (``adapters``).

May import every layer below ``process``; nothing in ``bus`` imports it.
"""
