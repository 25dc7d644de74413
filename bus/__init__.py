"""The govbus runtime, in layers: each subpackage imports only those on the lines below it.

::

    cli | testing               the `govbus` program | helpers for tests of services and adapters
    process | faststream        Service (one govbus process), deployment files, their docs |
                                FastStream services as govbus subscribers and publishers
    adapter_runtime | observability | federation
                                sources and sinks run by the bus | health, status page, lag,
                                topics | the federation directory: members, publishers,
                                data-sharing agreements
    messaging | broker          events on Kafka: publish, subscribe, dead letters | the cluster
    foundation                  the error tree, settings, metric declarations, lifecycle

Subpackages on one line do not import each other. Everything may import ``contracts``; nothing
here imports ``adapters``. ``make test`` checks these rules (``[tool.importlinter]``).
"""
