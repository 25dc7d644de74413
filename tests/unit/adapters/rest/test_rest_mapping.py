"""Unit tests of the REST adapter's JSON handling and config."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from adapters.rest.config import RestCall, RestConfig, RestPoll
from adapters.rest.mapping import build_body, render_path
from bus.adapter_runtime.json_input import BadJson, decode_json, flat_record


def test_strict_json_keeps_big_integers_exact() -> None:
    """An integer past 64 bits decodes to the same integer."""
    assert decode_json(b'{"id": 123456789012345678901234567890}') == {
        "id": 123456789012345678901234567890
    }


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"[NaN]", "NaN"), (b"[-Infinity]", "-Infinity"), (b"[1e309]", "too large"),
     (b"\xff", "not UTF-8"), (b"[" * 50_000, "nested too deeply")],
)  # fmt: skip
def test_strict_json_refuses_what_json_loads_lets_through(body: bytes, reason: str) -> None:
    """Non-finite numbers, bad UTF-8 and runaway nesting raise BadJson saying which."""
    with pytest.raises(BadJson, match=reason):
        decode_json(body)


def test_a_flat_record_has_dotted_keys_for_nested_fields() -> None:
    """Nested objects stay whole and also appear as dotted keys for the mapping."""
    record = flat_record({"id": 1, "address": {"town": "Hull", "geo": {"x": 1}}})
    assert record["address.town"] == "Hull"
    assert record["address.geo.x"] == 1
    assert record["address"] == {"town": "Hull", "geo": {"x": 1}}


def test_a_path_template_percent_encodes_event_values() -> None:
    """A slash or space in a value cannot change the URL's shape."""
    assert render_path("/a/{ref}/b/{p.q}", {"ref": "CT/1 2", "p": {"q": "?x"}}) == (
        "/a/CT%2F1%202/b/%3Fx"
    )
    with pytest.raises(KeyError):
        render_path("/a/{missing}", {})


def test_a_body_takes_event_paths_and_sends_null_for_absent_ones() -> None:
    """Body fields are filled from event fields; a field the event lacks is null."""
    body = build_body({"a.b": "x.y", "c": "nope"}, {"x": {"y": 3}})
    assert body == {"a": {"b": 3}, "c": None}


def test_a_config_needs_a_role_and_absolute_paths() -> None:
    """Neither poll nor call, or a relative path, is refused at start-up."""
    with pytest.raises(ValidationError, match="poll section"):
        RestConfig(base_url="http://x")
    with pytest.raises(ValidationError, match="must start with /"):
        RestPoll(path="changes", id_field="id", cursor_field="id")
    with pytest.raises(ValidationError, match="4xx"):
        RestCall(path="/x", done_statuses=(500,))


def test_the_secret_is_sent_with_its_scheme_and_hidden_from_repr() -> None:
    """The auth header carries the secret; the config's text does not."""
    config = RestConfig(
        base_url="http://x/",
        secret="tok",  # noqa: S106 - a test secret
        call=RestCall(path="/y"),
    )
    assert config.request_headers()["Authorization"] == "Bearer tok"
    assert "tok" not in repr(config)
    assert config.root == "http://x"


def test_a_body_combines_event_fields_and_constants() -> None:
    """Constants fill fields an API needs that no event carries, e.g. a closure reason."""
    data = {"death": {"date": "2025-03-01"}}
    body = build_body({"closed_on": "death.date"}, data, {"reason": "death"})
    assert body == {"closed_on": "2025-03-01", "reason": "death"}
