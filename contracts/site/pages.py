"""The catalogue's pages: the index of all contracts, and one page per event type."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from itertools import groupby
from typing import Any

from contracts.export_format import Contract, ContractVersion
from contracts.site.fields import FieldRow, field_names, field_rows
from contracts.site.layout import SITE_TITLE, esc, page

__all__ = ["SCHEMA_DIR", "Upcasts", "contract_page", "index_page", "page_name"]

#: Folder of the site that holds copies of the published schema and example files.
SCHEMA_DIR = "schemas"

#: The registered upcasters as (event type, from version): each converts to the next version.
Upcasts = Collection[tuple[str, int]]
_UPCAST_ARROW = " \u2192 "


def page_name(contract: Contract) -> str:
    """The file name of a contract's page, relative to the site root."""
    return f"{contract.event_type}.html"


def index_page(contracts: list[Contract], upcasts: Upcasts = ()) -> str:
    """All contracts grouped by owner, with a search box that filters them as the reader types.

    Each entry lists its versions, joined by an arrow where an upcaster converts one to the next.
    """
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
        parts.extend(_index_entry(contract, upcasts) for contract in members)
        parts.append("</ul></section>")
    return page(title=SITE_TITLE, body="\n".join(parts), scripts=("search.js",))


def _index_entry(contract: Contract, upcasts: Upcasts) -> str:
    latest = contract.latest
    words = {contract.event_type, contract.owner, contract.owner_name}
    for version in contract.versions:
        words.update(field_names(version.schema))
    search = " ".join(sorted(words)).lower()
    versions = _version_chain(contract, upcasts)
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


def _upcast_to(contract: Contract, version: ContractVersion, upcasts: Upcasts) -> int | None:
    """The version an upcaster converts `version`'s events to, if it is published too."""
    following = version.version + 1
    published = any(v.version == following for v in contract.versions)
    return following if published and (contract.event_type, version.version) in upcasts else None


def _version_chain(contract: Contract, upcasts: Upcasts) -> str:
    """The versions oldest first, `v1 → v2` where an upcaster links them and `v1, v2` if not."""
    chain = f"v{contract.versions[0].version}"
    for previous, version in zip(contract.versions, contract.versions[1:], strict=False):
        linked = _upcast_to(contract, previous, upcasts) == version.version
        chain += (_UPCAST_ARROW if linked else ", ") + f"v{version.version}"
    return chain


def _upcast_text(contract: Contract, version: ContractVersion, upcasts: Upcasts) -> str:
    """What happens to `version`'s events for consumers of newer versions, in words."""
    n = version.version
    to = _upcast_to(contract, version, upcasts)
    if to is not None:
        return (
            f"Events of version {n} are upcast to version {to}: consumers of version {to} "
            f"also receive them."
        )
    if any(v.version > n for v in contract.versions):
        return f"No upcaster from version {n}: consumers of newer versions do not receive them."
    return "None: this is the latest version."


def contract_page(contract: Contract, upcasts: Upcasts = ()) -> str:
    """One event type: owner, handling, licence, and every version's fields, schema and example.

    The summary shows the version chain (`v1 → v2` where an upcaster converts one to the next)
    and each version says whether its events are upcast to the next.
    """
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
        _row("Upcasting", esc(_version_chain(contract, upcasts))),
        "</dl>",
    ]
    parts.extend(
        _version_section(v, _upcast_text(contract, v, upcasts)) for v in reversed(contract.versions)
    )
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


def _version_section(version: ContractVersion, upcast: str) -> str:
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
            _row("Upcast to a newer version", esc(upcast)),
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
