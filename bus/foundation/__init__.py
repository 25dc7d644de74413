"""What every other part of the bus shares: the error tree (``errors``), settings from the
environment (``settings``), the Prometheus metric declarations (``metrics``) and the start/stop
lifecycle of background services (``lifecycle``).

Imports nothing else from ``bus``; may import ``contracts``.
"""
