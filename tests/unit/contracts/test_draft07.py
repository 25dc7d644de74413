"""Restating JSON Schema 2020-12 as draft-07 for the AsyncAPI payload."""

from typing import Any

import pytest

from contracts.draft07 import to_draft07
from contracts.export_format import ExportFormatError

BASE = "#/components/messages/m/payload/schema"


def _convert(schema: dict[str, Any]) -> dict[str, Any]:
    return to_draft07(schema, ref_base=BASE, document="t/v1.schema.json")


def test_root_identity_is_dropped_and_refs_point_into_the_copy():
    """`$schema`, `$id` and `x-govbus` go; `#/$defs/X` becomes the copy's pointer."""
    out = _convert(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "urn:x",
            "x-govbus": {},
            "properties": {"a": {"$ref": "#/$defs/A"}},
            "$defs": {"A": {"type": "string"}},
        }
    )
    assert out == {
        "properties": {"a": {"$ref": f"{BASE}/$defs/A"}},
        "$defs": {"A": {"type": "string"}},
    }


def test_ref_with_siblings_is_wrapped_in_all_of():
    """Draft-07 ignores `$ref` siblings, so they move next to an `allOf`."""
    out = _convert({"properties": {"a": {"$ref": "#/$defs/A", "description": "d"}}})
    assert out["properties"]["a"] == {"description": "d", "allOf": [{"$ref": f"{BASE}/$defs/A"}]}


def test_tuples_and_dependencies_are_restated():
    """prefixItems/items and dependentRequired/dependentSchemas get their draft-07 spelling."""
    out = _convert(
        {
            "prefixItems": [{"type": "string"}, {"type": "integer"}],
            "items": False,
            "dependentRequired": {"a": ["b"]},
            "dependentSchemas": {"c": {"required": ["d"]}},
        }
    )
    assert out == {
        "items": [{"type": "string"}, {"type": "integer"}],
        "additionalItems": False,
        "dependencies": {"a": ["b"], "c": {"required": ["d"]}},
    }


def test_data_values_are_not_rewritten():
    """A `default` or `const` that happens to contain "$ref" is data and stays as it is."""
    value = {"$ref": "#/$defs/A"}
    out = _convert({"default": value, "const": value})
    assert out == {"default": value, "const": value}


@pytest.mark.parametrize("keyword", ["unevaluatedProperties", "$dynamicRef", "minContains"])
def test_keywords_without_draft07_meaning_are_refused(keyword):
    """Rather than publish a schema that means something else, the restatement fails."""
    with pytest.raises(ExportFormatError) as caught:
        _convert({"properties": {"a": {keyword: False}}})
    assert f"t/v1.schema.json: /properties/a/{keyword}: 2020-12 keyword" in str(caught.value)


def test_non_schema_where_a_schema_belongs_is_refused():
    """A hostile or corrupt subschema is reported with its location."""
    with pytest.raises(ExportFormatError, match="/properties/a: must be a schema object"):
        _convert({"properties": {"a": "string"}})
