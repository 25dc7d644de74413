"""`python -m examples.legacy.pensions [--host H] [--port 8081]`: the pensions SOAP service."""

from __future__ import annotations

import sys

from examples.legacy.pensions.server import PATH, PensionsService
from examples.legacy.standalone import main

if __name__ == "__main__":
    sys.exit(
        main(
            "pensions",
            default_port=8081,
            make=lambda host, port: PensionsService(host=host, port=port),
            path=PATH,
        )
    )
