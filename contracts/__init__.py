"""govbus contracts: versioned event models, their registry, upcasters and JSON Schema export.

Depends only on pydantic. Importing this package registers the starter catalogue in
`default_registry` and its upcasters in `default_upcasters`. Contracts kept in other installed
packages are registered by `contracts.packages.load_contract_packages()`, which every `govbus`
command calls at start-up.
"""

# Importing the catalogue registers its contracts and upcasters in the defaults.
from contracts import catalogue
from contracts.base import (
    OGL_V3,
    Classification,
    ContractInfo,
    ContractModel,
    Event,
    Licence,
    Owner,
)
from contracts.errors import (
    ContractDefinitionError,
    ContractError,
    ContractPackageError,
    ContractValidationError,
    DowncastError,
    DuplicateContractError,
    MissingUpcasterError,
    RegistryError,
    SchemaDocumentError,
    UnknownEventTypeError,
    UnknownVersionError,
    UpcastError,
)
from contracts.registry import Registry, default_registry
from contracts.upcasting import Upcasters, default_upcasters

__all__ = [
    "OGL_V3",
    "Classification",
    "ContractDefinitionError",
    "ContractError",
    "ContractInfo",
    "ContractModel",
    "ContractPackageError",
    "ContractValidationError",
    "DowncastError",
    "DuplicateContractError",
    "Event",
    "Licence",
    "MissingUpcasterError",
    "Owner",
    "Registry",
    "RegistryError",
    "SchemaDocumentError",
    "UnknownEventTypeError",
    "UnknownVersionError",
    "UpcastError",
    "Upcasters",
    "catalogue",
    "default_registry",
    "default_upcasters",
]
