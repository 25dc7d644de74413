"""A council's council tax system with a small REST API (see ``server``)."""

from examples.legacy.council_tax.server import CouncilTaxApi

__all__ = ["CouncilTaxApi"]
