"""Events on Kafka: the CloudEvents envelope (``envelope``), encoding and decoding against the
contracts (``codec``), publishing (``publisher``), subscribing with per-partition workers, retries
and dedup (``subscriber``, ``partition_worker``, ``dedup``), and dead letters (``dead_letter``).

Imports only ``bus.foundation`` and ``contracts``.
"""
