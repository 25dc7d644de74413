"""Concrete deployment files from the templates in ``deployments/``: one source of truth.

The templates name each legacy system by a ``${placeholder}``; ``render`` fills them in for one
place the stack runs. ``make demo`` fills them with a temporary folder and ephemeral ports;
the Docker compose stack runs ``python -m examples.tell_us_once.render_deployments OUT_DIR``
(through ``compose_driver prepare``) with values from the environment:

``TUO_DATA_DIR``
    Folder of the register office, library and DVLA databases and DVLA's inbox.
``TUO_PENSIONS_URL``
    Base URL of the pensions SOAP service (its WSDL is ``<url>/pensions?wsdl``).
``TUO_COUNCIL_TAX_URL``
    Base URL of the council tax REST API.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).parent / "deployments"
ORGANISATIONS = ("gro", "dwp", "dvla", "council", "library")
ENVIRONMENT = ("TUO_DATA_DIR", "TUO_PENSIONS_URL", "TUO_COUNCIL_TAX_URL")


def values(data_dir: Path, *, pensions_url: str, council_tax_url: str) -> dict[str, str]:
    """The templates' placeholders for systems in ``data_dir`` and at the two base URLs."""
    return {
        "registrar_db": str(data_dir / "register-office.db"),
        "library_db": str(data_dir / "library.db"),
        "dvla_inbox": str(data_dir / "dvla-inbox"),
        "pensions_wsdl": f"{pensions_url.rstrip('/')}/pensions?wsdl",
        "council_tax_url": council_tax_url.rstrip("/"),
    }


def values_from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``values`` from the ``TUO_*`` variables; a ``KeyError`` names the first one missing."""
    missing = [name for name in ENVIRONMENT if not environ.get(name)]
    if missing:
        raise KeyError(f"{missing[0]} is not set (needs {', '.join(ENVIRONMENT)})")
    return values(
        Path(environ["TUO_DATA_DIR"]),
        pensions_url=environ["TUO_PENSIONS_URL"],
        council_tax_url=environ["TUO_COUNCIL_TAX_URL"],
    )


def render(organisation: str, filled: Mapping[str, object]) -> str:
    """The text of ``organisation``'s deployment file; a ``KeyError`` names a missing value."""
    return Template((TEMPLATES / f"{organisation}.toml").read_text()).substitute(filled)


def render_all(out_dir: Path, filled: Mapping[str, object]) -> list[Path]:
    """Write ``<organisation>.toml`` for every organisation into ``out_dir``; return the files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for organisation in ORGANISATIONS:
        path = out_dir / f"{organisation}.toml"
        path.write_text(render(organisation, filled))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m examples.tell_us_once.render_deployments OUT_DIR", file=sys.stderr)
        return 2
    try:
        filled = values_from_environment(os.environ)
    except KeyError as exc:
        print(f"render_deployments: {exc.args[0]}", file=sys.stderr)
        return 2
    for path in render_all(Path(args[0]), filled):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
