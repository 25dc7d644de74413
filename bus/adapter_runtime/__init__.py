"""What the bus gives adapters: the ``Source`` and ``Sink`` contracts and the runners that drive
them (``source``, ``sink``, ``source_runner``), source offsets the bus owns (``offsets``),
declarative legacy-record-to-event mappings (``mapping``, ``json_input``) and adapter kinds found
by entry point (``plugins``).

Imports ``bus.messaging``, ``bus.broker``, ``bus.foundation`` and ``contracts``; never an adapter.
"""
