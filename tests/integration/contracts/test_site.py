"""The catalogue site as a reader sees it, in headless Chromium driven through chromedriver."""

import contextlib
import copy
import functools
import json
import threading
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from contracts import default_upcasters
from contracts.export import current_documents
from contracts.export_format import load_documents
from contracts.packages import builtin_models, builtin_registry
from contracts.site import render_catalogue
from contracts.site.pages import Upcasts
from tests.browser import headless_chromium

ROOT = Path(__file__).parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "contracts_export"
GRO = "uk.gov.gro.death-registered"
HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keeps test output free of access logs."""


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    documents = load_documents(FIXTURES)
    # One hostile description, to see that the browser shows it as text and never runs it.
    hostile = copy.deepcopy(documents[f"{GRO}/v1.schema.json"])
    hostile["properties"]["informant_relationship"]["description"] = HOSTILE
    documents[f"{GRO}/v1.schema.json"] = hostile
    return documents


@contextlib.contextmanager
def _served(
    documents: dict[str, dict[str, Any]], out: Path, *, upcasts: Upcasts = ()
) -> Iterator[tuple[str, Path]]:
    """Renders the site into `out` and serves it on 127.0.0.1 from a thread; yields (URL, out)."""
    render_catalogue(documents, out, upcasts=upcasts)
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", out
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def site(documents, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The site of the test documents, served; yields (base URL, folder)."""
    with _served(documents, tmp_path_factory.mktemp("site")) as served:
        yield served


@pytest.fixture(scope="module")
def registered_site(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The site of the real registered catalogue, served; yields (base URL, folder)."""
    documents = current_documents(builtin_registry())
    site = tmp_path_factory.mktemp("registered-site")
    with _served(documents, site, upcasts=default_upcasters.steps()) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    """Headless Chromium with its network log enabled; fails clearly if it is not installed."""
    with headless_chromium(performance_log=True) as driver:
        yield driver


def _visible(driver: WebDriver, selector: str) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()]


def _event_types(documents: dict[str, Any]) -> dict[str, str]:
    """Event type -> owner name, read straight from the documents."""
    return {
        doc["x-govbus"]["type"]: doc["x-govbus"]["owner_name"]
        for path, doc in documents.items()
        if path.endswith(".schema.json")
    }


def test_index_lists_every_contract_with_its_publisher(browser, site, documents):
    """Every event type appears on the index, under and naming its publisher."""
    base, _ = site
    browser.get(base + "index.html")
    entries = browser.find_elements(By.CSS_SELECTOR, "li.contract")
    shown = {
        entry.find_element(By.CSS_SELECTOR, "a.contract-link").text: entry.find_element(
            By.CSS_SELECTOR, ".owner-line"
        ).text
        for entry in entries
    }
    expected = _event_types(documents)
    assert set(shown) == set(expected)
    for event_type, owner_name in expected.items():
        assert owner_name in shown[event_type]
    headings = _visible(browser, "section.owner h2")
    assert len(headings) == len(set(expected.values()))


def test_typing_in_the_search_box_filters_the_list(browser, site):
    """The list narrows by field name, publisher or type as the reader types, and comes back."""
    base, _ = site
    browser.get(base + "index.html")
    search = browser.find_element(By.ID, "search")
    assert search.is_displayed()
    total = len(_visible(browser, "a.contract-link"))

    def shown_after(text: str) -> list[str]:
        # Select all and type over it (or delete it), as a reader would.
        search.send_keys(Keys.CONTROL, "a")
        search.send_keys(text or Keys.BACKSPACE)
        WebDriverWait(browser, 5).until(
            lambda d: d.find_element(By.ID, "search").get_attribute("value") == text
        )
        return sorted(_visible(browser, "a.contract-link"))

    assert shown_after("nino") == [GRO]
    assert "1 of" in browser.find_element(By.ID, "search-status").text
    assert shown_after("driver and vehicle") == ["uk.gov.dvla.licence-surrendered"]
    assert shown_after("area_code") == ["uk.gov.ons.population-estimate-published"]
    assert _visible(browser, "section.owner h2") == ["Office for National Statistics (ons)"]
    assert shown_after("no-such-field") == []
    assert browser.find_element(By.ID, "no-results").is_displayed()
    assert len(shown_after("")) == total


def test_contract_page_shows_handling_personal_data_and_example(browser, site, documents):
    """The page shows classification, caveat, highlighted personal fields and the example."""
    base, _ = site
    schema = documents[f"{GRO}/v1.schema.json"]
    browser.get(base + f"{GRO}.html")
    summary = browser.find_element(By.CSS_SELECTOR, "dl.summary").text
    assert schema["x-govbus"]["classification"] in summary
    assert schema["x-govbus"]["handling_caveat"] in summary
    highlighted = {
        row.get_attribute("data-field")
        for row in browser.find_elements(By.CSS_SELECTOR, "#v1 tr.personal")
    }
    assert set(schema["x-govbus"]["personal_data"]) <= highlighted
    assert "registration_id" not in highlighted
    personal_row = browser.find_element(By.CSS_SELECTOR, '#v1 tr[data-field="deceased.nino"]')
    plain_row = browser.find_element(By.CSS_SELECTOR, '#v1 tr[data-field="registration_id"]')
    assert personal_row.value_of_css_property(
        "background-color"
    ) != plain_row.value_of_css_property("background-color")
    assert "Personal data" in personal_row.text
    example = browser.find_element(By.CSS_SELECTOR, "#v1 pre.json").text
    assert json.loads(example) == documents[f"{GRO}/v1.example.json"]


def test_hostile_description_is_text_not_markup(browser, site):
    """A description holding a script tag is displayed literally and never runs."""
    base, _ = site
    browser.get(base + f"{GRO}.html")
    row = browser.find_element(By.CSS_SELECTOR, '#v1 tr[data-field="informant_relationship"]')
    assert "<script>window.pwned = 1</script>" in row.text
    assert browser.execute_script("return window.pwned === undefined") is True


def test_open_contract_shows_licence_and_every_version(browser, site, documents):
    """Licence link, all versions and working downloads are on the page."""
    base, _ = site
    browser.get(base + "uk.gov.ons.population-estimate-published.html")
    licence = documents["uk.gov.ons.population-estimate-published/v1.schema.json"]["x-govbus"][
        "licence"
    ]
    link = browser.find_element(By.CSS_SELECTOR, 'a[rel~="license"]')
    assert link.text == licence["name"]
    assert link.get_attribute("href") == licence["url"]

    browser.get(base + "uk.gov.dvla.licence-surrendered.html")
    headings = _visible(browser, "section.version h2")
    assert headings == ["Version 2", "Version 1"]
    for anchor in browser.find_elements(By.CSS_SELECTOR, "ul.downloads a"):
        href = anchor.get_attribute("href") or ""
        assert href.startswith(base)
        relative = href.removeprefix(base + "schemas/")
        with urllib.request.urlopen(href, timeout=10) as response:  # noqa: S310 (loopback only)
            assert json.loads(response.read()) == documents[relative]


class _AssetLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.absolute: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name in ("href", "src", "action", "poster", "srcset"):
            value = attributes.get(name) or ""
            if urlsplit(value).scheme or value.startswith("//"):
                self.absolute.append((tag, value, attributes.get("rel") or ""))


def test_no_request_leaves_loopback(browser, site):
    """Loading every page fetches only from the local server; no CDN, font or tracker."""
    base, folder = site
    browser.get_log("performance")  # drop what earlier tests logged
    pages = sorted(p.name for p in folder.glob("*.html"))
    for name in pages:
        browser.get(base + name)
    requested = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
    # chrome:// and data: URLs are the browser's own pages; anything that uses the network
    # must go to the local server.
    network = [url for url in requested if urlsplit(url).scheme in {"http", "https", "ws", "wss"}]
    assert len(network) >= len(pages)
    assert [url for url in network if not url.startswith(base)] == []
    for name in pages:
        parser = _AssetLinks()
        parser.feed((folder / name).read_text(encoding="utf-8"))
        assert all(tag == "a" and "license" in rel for tag, _, rel in parser.absolute), name


def test_registered_catalogue_index_lists_every_version_with_its_owner(browser, registered_site):
    """The real catalogue's index shows each registered version under its publisher's name."""
    base, _ = registered_site
    browser.get(base + "index.html")
    shown = {}
    for entry in browser.find_elements(By.CSS_SELECTOR, "li.contract"):
        shown[entry.find_element(By.CSS_SELECTOR, "a.contract-link").text] = entry.text
    registered = [model.contract for model in builtin_models()]
    assert len(registered) == 9
    assert {info.owner.code for info in registered} == {"gro", "council", "dwp", "dvla"}
    assert set(shown) == {info.event_type for info in registered}
    for info in registered:
        assert f"Published by {info.owner.name}" in shown[info.event_type]
        versions = shown[info.event_type].split("Versions:")[1]
        assert f"v{info.version}" in versions.replace(",", " ").split()


def test_registered_death_registered_page_shows_both_versions_and_handling(
    browser, registered_site
):
    """The real death-registered page has v2 and v1, its marking and every personal field."""
    base, _ = registered_site
    versions = {
        m.contract.version: m.contract for m in builtin_models() if m.contract.event_type == GRO
    }
    assert sorted(versions) == [1, 2]
    browser.get(base + f"{GRO}.html")
    assert _visible(browser, "section.version h2") == ["Version 2", "Version 1"]
    summary = browser.find_element(By.CSS_SELECTOR, "dl.summary").text
    assert f"Classification\n{versions[2].classification.value}" in summary
    assert "Upcasting\nv1 \u2192 v2" in summary
    assert f"Handling caveat\n{versions[2].handling_caveat}" in summary
    for number, info in versions.items():
        assert info.personal_data
        highlighted = {
            row.get_attribute("data-field")
            for row in browser.find_elements(By.CSS_SELECTOR, f"#v{number} tr.personal")
        }
        assert set(info.personal_data) <= highlighted, number
        topic = browser.find_element(By.CSS_SELECTOR, f"#v{number} dl.summary").text
        assert info.topic in topic
        assert f"{info.classification.value}-{info.handling_caveat}" in topic
