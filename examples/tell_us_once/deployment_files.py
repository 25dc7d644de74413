"""The deployment files in ``deployments/``, one per organisation, and the environment they read.

They are plain deployment files: each names the systems it joins up with ``${env:TUO_...}``
references, which ``govbus run`` resolves from its environment. ``make demo`` and the compose
stack (``docker/compose.yaml``) run the same files, each giving its own values:

``TUO_DATA_DIR``
    Folder of the register office, library and DVLA databases and DVLA's inbox.
``TUO_PENSIONS_URL``
    Base URL of the pensions SOAP service (its WSDL is ``<url>/pensions?wsdl``).
``TUO_COUNCIL_TAX_URL``
    Base URL of the council tax REST API.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

DEPLOYMENTS = Path(__file__).parent / "deployments"
ORGANISATIONS = ("gro", "dwp", "dvla", "council", "library")
ENVIRONMENT = ("TUO_DATA_DIR", "TUO_PENSIONS_URL", "TUO_COUNCIL_TAX_URL")


def deployment_file(organisation: str) -> Path:
    """The deployment file ``govbus run`` runs for ``organisation``."""
    return DEPLOYMENTS / f"{organisation}.toml"


def environment(data_dir: Path, *, pensions_url: str, council_tax_url: str) -> dict[str, str]:
    """The ``TUO_*`` variables for systems in ``data_dir`` and at the two base URLs."""
    return {
        "TUO_DATA_DIR": str(data_dir),
        "TUO_PENSIONS_URL": pensions_url.rstrip("/"),
        "TUO_COUNCIL_TAX_URL": council_tax_url.rstrip("/"),
    }


def check_environment(environ: Mapping[str, str]) -> None:
    """Raise a ``KeyError`` naming the first ``TUO_*`` variable that is missing or empty."""
    missing = [name for name in ENVIRONMENT if not environ.get(name)]
    if missing:
        raise KeyError(f"{missing[0]} is not set (needs {', '.join(ENVIRONMENT)})")
