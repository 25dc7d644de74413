"""The catalogue's pages: the index of all contracts, and one page per event type."""

from __future__ import annotations

import json
from collections.abc import Mapping
from itertools import groupby
from typing import Any

from contracts.export_format import Contract, ContractVersion
from contracts.site.fields import FieldRow, field_names, field_rows
from contracts.site.layout import SITE_TITLE, esc, page

__all__ = ["SCHEMA_DIR", "contract_page", "index_page", "page_name"]

#: Folder of the site that holds copies of the published schema and example files.
SCHEMA_DIR = "schemas"


def page_name(contract: Contract) -> str:
    """The file name of a contract's page, relative to the site root."""
    return f"{contract.event_type}.html"


def index_page(contracts: list[Contract]) -> str:
    """All contracts grouped by owner, with a search box that filters them as the reader types."""
    owners = len({c.owner for c in contracts})
    parts = [
        f"<h1>{esc(SITE_TITLE)}</h1>",
        f'<p class="lead">{len(contracts)} event types from {owners} publishers.'
        " Each event type has a page with its fields, versions, schema and an example.</p>",
        '<form class="search" role="search" hidden data-search-form>'
        '<label for="search">Search by event type, publisher or field name</label>'
        '<input type="search" id="search" name="q" autocomplete="off" spellcheck="false">'
        "</form>",
        '<p id="search-status" class="search-status" aria-live="polite"></p>',
        '<p id="no-results" class="no-results" hidden>No event types match your search.</p>',
    ]
    for owner, group in groupby(contracts, key=lambda c: c.owner):
        members = list(group)
        parts.append(f'<section class="owner" data-owner="{esc(owner)}">')
        parts.append(
            f'<h2>{esc(members[0].owner_name)} <span class="owner-id">({esc(owner)})</span></h2>'
        )
        parts.append('<ul class="contract-list">')
        parts.extend(_index_entry(contract) for contract in members)
        parts.append("</ul></section>")
    return page(title=SITE_TITLE, body="\n".join(parts), scripts=("search.js",))


def _index_entry(contract: Contract) -> str:
    latest = contract.latest
    words = {contract.event_type, contract.owner, contract.owner_name}
    for version in contract.versions:
        words.update(field_names(version.schema))
    search = " ".join(sorted(words)).lower()
    versions = ", ".join(f"v{v.version}" for v in contract.versions)
    return (
        f'<li class="contract" data-search="{esc(search)}">'
        f'<a class="contract-link" href="{esc(page_name(contract))}">{esc(contract.event_type)}</a>'
        f'<p class="owner-line">Published by {esc(contract.owner_name)}</p>'
        f"<p>{esc(latest.description)}</p>"
        f'<p class="tags">{_tags(latest)} <span class="meta">Versions: {esc(versions)}</span></p>'
        "</li>"
    )


def _tags(version: ContractVersion) -> str:
    tags = [f'<strong class="tag">{esc(_marking(version))}</strong>']
    if version.personal_data:
        tags.append('<strong class="tag tag-personal">Personal data</strong>')
    if version.licence is not None:
        tags.append('<strong class="tag tag-open">Open data</strong>')
    return " ".join(tags)


def _marking(version: ContractVersion) -> str:
    if version.handling_caveat:
        return f"{version.classification}-{version.handling_caveat}"
    return version.classification


def contract_page(contract: Contract) -> str:
    """One event type: owner, handling, licence, and every version's fields, schema and example."""
    latest = contract.latest
    version_links = ", ".join(
        f'<a href="#v{v.version}">Version {v.version}</a>' for v in reversed(contract.versions)
    )
    parts = [
        '<p class="breadcrumb"><a href="index.html">All event types</a></p>',
        f"<h1>{esc(contract.event_type)}</h1>",
        f'<p class="lead">{esc(latest.description)}</p>',
        '<dl class="summary">',
        _row("Publisher", f"{esc(contract.owner_name)} ({esc(contract.owner)})"),
        _row("Classification", esc(latest.classification)),
        _row("Handling caveat", esc(latest.handling_caveat or "None")),
        _row("Personal data", _personal_list(latest)),
        _row("Licence", _licence(latest)),
        _row("Versions", version_links),
        "</dl>",
    ]
    parts.extend(_version_section(v) for v in reversed(contract.versions))
    return page(title=contract.event_type, body="\n".join(parts))


def _row(label: str, value_markup: str) -> str:
    return f"<div><dt>{esc(label)}</dt><dd>{value_markup}</dd></div>"


def _personal_list(version: ContractVersion) -> str:
    if not version.personal_data:
        return "None"
    items = "".join(f"<li><code>{esc(path)}</code></li>" for path in version.personal_data)
    return f'<ul class="personal-fields">{items}</ul>'


def _licence(version: ContractVersion) -> str:
    if version.licence is None:
        return "None: not published as open data"
    return (
        f'<a href="{esc(version.licence.url)}" rel="license noopener noreferrer">'
        f"{esc(version.licence.name)}</a>"
    )


def _version_section(version: ContractVersion) -> str:
    n = version.version
    downloads = [
        f'<li><a href="{esc(_download(version.schema_path))}" download>'
        f"JSON Schema (v{n}.schema.json)</a></li>"
    ]
    if version.example_path is not None:
        downloads.append(
            f'<li><a href="{esc(_download(version.example_path))}" download>'
            f"Example (v{n}.example.json)</a></li>"
        )
    example = (
        f'<pre class="json" tabindex="0"><code>{esc(_json(version.example))}</code></pre>'
        if version.example is not None
        else "<p>No example was published for this version.</p>"
    )
    return "\n".join(
        [
            f'<section class="version" id="v{n}" aria-labelledby="v{n}-heading">',
            f'<h2 id="v{n}-heading">Version {n}</h2>',
            '<dl class="summary">',
            _row("CloudEvents type", f"<code>{esc(version.cloudevents_type)}</code>"),
            _row("Kafka topic", f"<code>{esc(version.topic)}</code>"),
            _row("Schema id", f"<code>{esc(version.schema_id)}</code>"),
            _row("Classification", esc(_marking(version))),
            _row("Personal data", _personal_list(version)),
            _row("Licence", _licence(version)),
            "</dl>",
            _field_table(version, field_rows(version.schema, version.personal_data)),
            f'<h3 id="v{n}-example">Example of version {n}</h3>',
            example,
            f"<h3>Downloads for version {n}</h3>",
            f'<ul class="downloads">{"".join(downloads)}</ul>',
            f"<details><summary>JSON Schema of version {n}</summary>",
            f'<pre class="json" tabindex="0"><code>{esc(_json(version.schema))}</code></pre>',
            "</details>",
            "</section>",
        ]
    )


def _field_table(version: ContractVersion, rows: list[FieldRow]) -> str:
    body = []
    for row in rows:
        marker = ' <strong class="tag tag-personal">Personal data</strong>' if row.personal else ""
        required = "Yes" if row.required else "No"
        kind = f"{row.type} or null" if row.nullable else row.type
        constraints = "".join(f"<li>{esc(c)}</li>" for c in row.constraints)
        body.append(
            f'<tr class="{"personal" if row.personal else "field"}"'
            f' data-field="{esc(row.path)}">'
            f'<th scope="row" class="depth-{min(row.depth, 5)}"><code>{esc(row.path)}</code>'
            f"{marker}</th>"
            f"<td>{esc(kind)}</td><td>{required}</td><td>{esc(row.description)}</td>"
            f'<td><ul class="constraints">{constraints}</ul></td></tr>'
        )
    return (
        '<div class="table-wrap"><table class="fields">'
        f"<caption>Fields of version {version.version}</caption>"
        '<thead><tr><th scope="col">Field</th><th scope="col">Type</th>'
        '<th scope="col">Required</th><th scope="col">Description</th>'
        '<th scope="col">Constraints</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _download(document_path: str) -> str:
    return f"{SCHEMA_DIR}/{document_path}"


def _json(value: Mapping[str, Any] | None) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
