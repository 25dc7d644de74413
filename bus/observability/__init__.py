"""What operators see: the ``/metrics``, ``/healthz`` and ``/readyz`` server (``health``), the
status page and the figures behind it (``status_page``, ``status``), consumer lag (``lag``) and
dead letters kept (``dead_letter_depth``), the topics a process needs before traffic
(``topic_plan``), and all of it wired once for every long-running process (``operations``).

Imports ``bus.messaging``, ``bus.broker`` and ``bus.foundation``.
"""
