"""The contract catalogue as a static website (see `render_catalogue`)."""

from contracts.site.render import render_catalogue

__all__ = ["render_catalogue"]
