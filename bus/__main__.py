"""`python -m bus` is the same program as `govbus`."""

from bus.cli import main

main()
