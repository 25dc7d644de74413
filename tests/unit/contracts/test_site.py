"""The static catalogue site: files written, escaping, links and field tables."""

import copy
import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from contracts.export_format import ExportFormatError, load_documents
from contracts.site import render_catalogue
from contracts.site.fields import field_rows

FIXTURES = Path(__file__).parents[2] / "fixtures" / "contracts_export"
GRO = "uk.gov.gro.death-registered/v1.schema.json"
HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'


class _Links(HTMLParser):
    """Collects ids, link targets and a stack check of an HTML page."""

    VOID = frozenset({"meta", "link", "input", "img", "br", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[tuple[str, str, str]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(attributes["id"] or "")
        for name in ("href", "src"):
            if attributes.get(name) is not None:
                self.links.append((tag, attributes[name] or "", attributes.get("rel") or ""))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


@pytest.fixture
def documents():
    return load_documents(FIXTURES)


def test_site_has_index_pages_assets_and_document_copies(documents, tmp_path):
    """Every contract gets a page and every document a downloadable copy, byte for byte JSON."""
    written = render_catalogue(documents, tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    event_types = {path.split("/")[0] for path in documents}
    assert {"index.html", "style.css", "search.js"} <= names
    assert {f"{t}.html" for t in event_types} <= names
    for path, document in documents.items():
        assert json.loads((tmp_path / "schemas" / path).read_text()) == document
    assert all(p.is_file() for p in written)


def test_pages_are_well_formed_with_unique_ids_and_working_relative_links(documents, tmp_path):
    """Ready to publish as-is: every local link resolves; the only absolute link is a licence."""
    render_catalogue(documents, tmp_path)
    for page in sorted(tmp_path.glob("*.html")):
        parsed = _parse(page)
        assert parsed.errors == [], page.name
        assert parsed.stack == [], page.name
        assert len(parsed.ids) == len(set(parsed.ids)), page.name
        for tag, link, rel in parsed.links:
            parts = urlsplit(link)
            if parts.scheme:
                assert (parts.scheme, tag, rel) == ("https", "a", "license noopener noreferrer")
                continue
            target = page if not parts.path else tmp_path / parts.path
            assert target.is_file(), f"{page.name}: {link}"
            if parts.fragment:
                assert parts.fragment in _parse(target).ids, f"{page.name}: {link}"


def test_hostile_text_is_shown_as_text(documents, tmp_path):
    """Markup in descriptions, names and field names is escaped, never executed."""
    schema = copy.deepcopy(documents[GRO])
    schema["description"] = HOSTILE
    schema["x-govbus"]["owner_name"] = HOSTILE
    schema["properties"]["deceased"]["description"] = HOSTILE
    documents[GRO] = schema
    render_catalogue(documents, tmp_path)
    for name in ("index.html", "uk.gov.gro.death-registered.html"):
        text = (tmp_path / name).read_text()
        assert "<script>window" not in text
        assert "<img" not in text
        assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in text


def test_bad_documents_write_nothing(documents, tmp_path):
    """Validation happens before the first file is written."""
    documents[GRO]["x-govbus"]["licence"] = {"name": "x", "url": "javascript:alert(1)"}
    with pytest.raises(ExportFormatError, match=r"x-govbus\.licence\.url"):
        render_catalogue(documents, tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_field_rows_flatten_nested_fields_and_mark_personal_data(documents):
    """Nested objects get dotted paths; fields inside a personal object are personal too."""
    schema = documents[GRO]
    rows = {row.path: row for row in field_rows(schema, schema["x-govbus"]["personal_data"])}
    assert rows["deceased.name.family_name"].personal
    assert rows["deceased.nino"].personal
    assert rows["deceased.nino"].nullable
    assert not rows["registration_id"].personal
    assert rows["registration_id"].required
    assert rows["registered_on"].constraints == ("format: date",)
    assert rows["deceased.name.given_names"].depth == 2
    assert not rows["informant_relationship"].required


def test_field_rows_stop_at_recursive_definitions():
    """A self-referencing definition is listed once and marked, not expanded forever."""
    schema = {
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
            }
        },
    }
    rows = field_rows(schema, ())
    assert [row.path for row in rows] == ["root", "root.children"]
    assert rows[1].type == "array of object (recursive)"


LICENCE = "uk.gov.dvla.licence-surrendered"


def test_pages_show_which_versions_an_upcaster_links(tmp_path: Path) -> None:
    """With a v1 -> v2 upcaster the chain reads `v1 → v2` and v1 says its events are upcast."""
    render_catalogue(load_documents(FIXTURES), tmp_path, upcasts={(LICENCE, 1)})
    page = (tmp_path / f"{LICENCE}.html").read_text(encoding="utf-8")
    assert "<dt>Upcasting</dt><dd>v1 \u2192 v2</dd>" in page
    assert "Events of version 1 are upcast to version 2" in page
    assert "None: this is the latest version." in page
    assert "Versions: v1 \u2192 v2" in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_pages_say_when_no_upcaster_links_two_versions(tmp_path: Path) -> None:
    """Without an upcaster the versions are listed apart and v1 says newer consumers miss it."""
    render_catalogue(load_documents(FIXTURES), tmp_path)
    page = (tmp_path / f"{LICENCE}.html").read_text(encoding="utf-8")
    assert "<dt>Upcasting</dt><dd>v1, v2</dd>" in page
    assert "No upcaster from version 1: consumers of newer versions do not receive them." in page
