"""Writing the catalogue site: static HTML, CSS, JS and copies of the published documents."""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from contracts.export_format import read_contracts
from contracts.site.pages import SCHEMA_DIR, Upcasts, contract_page, index_page, page_name

__all__ = ["STATIC_FILES", "render_catalogue"]

#: Files shipped with this package and copied to the site root as they are.
STATIC_FILES = ("style.css", "search.js")


def render_catalogue(
    documents: Mapping[str, Mapping[str, Any]], out_dir: Path, *, upcasts: Upcasts = ()
) -> list[Path]:
    """Writes the catalogue site for `documents` into `out_dir` and returns the files written.

    `upcasts` holds the registered upcasters as (event type, from version), e.g.
    `default_upcasters.steps()`; the pages show which versions are upcast to which.

    The site is self-contained and uses relative links only, so `out_dir` can be published as it
    is (or opened from disk). It holds `index.html`, one `<event-type>.html` per contract, the
    stylesheet and search script, and `schemas/<event-type>/v<N>.{schema,example}.json`.
    All documents are validated before anything is written (`ExportFormatError` on bad input);
    existing files of the same names are overwritten, other files in `out_dir` are left alone.
    """
    contracts = read_contracts(documents)
    outputs: dict[str, str] = {"index.html": index_page(contracts, upcasts)}
    for contract in contracts:
        outputs[page_name(contract)] = contract_page(contract, upcasts)
    static = resources.files("contracts.site").joinpath("static")
    for name in STATIC_FILES:
        outputs[name] = static.joinpath(name).read_text(encoding="utf-8")
    for path in sorted(documents):
        text = json.dumps(documents[path], indent=2, ensure_ascii=False) + "\n"
        outputs[f"{SCHEMA_DIR}/{path}"] = text

    written = []
    for relative, text in outputs.items():
        target = out_dir.joinpath(*relative.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return sorted(written)
