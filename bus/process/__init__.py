"""One govbus process: ``Service`` runs subscriptions, sources and sinks with health and status
(``service``); deployment files say which adapters a process runs (``deployment``), and their
reference documentation is generated from the same models (``config_docs``). What it serves
operators, and the topics it creates before traffic, are wired in ``bus.observability``.

Imports every layer below it; nothing in ``bus`` imports it but ``cli``.
"""
