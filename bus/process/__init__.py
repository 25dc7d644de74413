"""One govbus process: ``Service`` runs subscriptions, sources and sinks with health and status
(``service``); deployment files say which adapters a process runs (``deployment``), and their
reference documentation is generated from the same models (``config_docs``); the topics a
process needs, and how they are created before traffic, are in ``topic_plan``.

Imports every layer below it; nothing in ``bus`` imports it but ``cli``.
"""
