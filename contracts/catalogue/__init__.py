"""The starter catalogue: one module per owning organisation.

Importing this package registers every contract in `default_registry` and every upcaster in
`default_upcasters`.
"""

from contracts.catalogue import council, dvla, dwp, gro

__all__ = ["council", "dvla", "dwp", "gro"]
