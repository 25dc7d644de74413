"""`python -m examples.legacy.council_tax [--host H] [--port 8082]`: the council tax REST API."""

from __future__ import annotations

import sys

from examples.legacy.council_tax.server import CouncilTaxApi
from examples.legacy.standalone import main

if __name__ == "__main__":
    sys.exit(
        main(
            "council_tax",
            default_port=8082,
            make=lambda host, port: CouncilTaxApi(host=host, port=port),
        )
    )
