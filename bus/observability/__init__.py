"""What operators see: the ``/metrics``, ``/healthz`` and ``/readyz`` server (``health``), the
status page and the figures behind it (``status_page``, ``status``), and consumer lag (``lag``).

Imports ``bus.messaging``, ``bus.broker`` and ``bus.foundation``.
"""
