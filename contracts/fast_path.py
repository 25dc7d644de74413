"""Canonical fast paths: validating consumed data that is already canonical without Python code.

Consumed events almost always come from govbus producers, so their values are already in the
canonical form our Python validators would produce (upper-case NINO, one-space postcode, NFC text
without edge spaces, ...). Each Python validator may declare its *canonical fast path* with
`@fast_path(build)`: `build(inner)` receives the schema the validator wraps and returns a
pydantic-core schema, Rust only, that accepts only inputs on which the validator is the identity
and gives what the validator and its inner schema together would give.

`fast_validator(model)` compiles, once per model, a copy of the model's core schema in which
every validator with a fast path is replaced by it and unknown fields are ignored at every level.
Whatever it accepts validates to an instance equal to full validation's; whatever it refuses is
left to full validation, which alone produces error messages. Validators without a fast path stay
in the copy as they are, so the fast validator is never wrong, only slower.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final, TypeVar, cast

from pydantic import BaseModel
from pydantic_core import CoreSchema, SchemaValidator, core_schema

_F = TypeVar("_F", bound=Callable[..., Any])

FastPathBuilder = Callable[[CoreSchema], CoreSchema]
"""Given the schema a validator wraps (already on its own fast path), return the fast path."""

_ATTRIBUTE: Final = "__govbus_fast_path__"
# Keys of a core schema node whose values are data (defaults, classes, enum members, hooks),
# never schemas: copied as they are.
_NOT_SCHEMAS: Final = frozenset(
    {"cls", "config", "default", "expected", "function", "members", "metadata", "serialization"}
)


@dataclass(frozen=True, slots=True)
class FastPath:
    """A validator's declared fast path; `json_only` keeps the validator for Python input."""

    build: FastPathBuilder
    json_only: bool = False


def fast_path(build: FastPathBuilder, *, json_only: bool = False) -> Callable[[_F], _F]:
    """Declare `build` as the canonical fast path of the decorated validator function.

    With `json_only`, the fast path is used for JSON input only and Python input still goes
    through the validator: for rules pydantic-core cannot state for Python objects (it accepts
    int subclasses as strict ints, for example).
    """
    declared = FastPath(build=build, json_only=json_only)

    def declare(function: _F) -> _F:
        setattr(function, _ATTRIBUTE, declared)
        return function

    return declare


def fast_path_of(function: object) -> FastPath | None:
    """The fast path declared on a validator function, or None."""
    declared = getattr(function, _ATTRIBUTE, None)
    return declared if isinstance(declared, FastPath) else None


def strict_inner(inner: CoreSchema) -> CoreSchema:
    """Fast path of a normaliser whose inner schema admits only canonical values: it, strict."""
    return cast(CoreSchema, {**inner, "strict": True})


def after_strict_str(pattern: str, *, max_length: int | None = None) -> FastPathBuilder:
    """Fast path of a validator that passes a matching string on to its inner schema."""

    def build(inner: CoreSchema) -> CoreSchema:
        text = core_schema.str_schema(strict=True, pattern=pattern, max_length=max_length)
        return core_schema.chain_schema([text, inner])

    return build


def canonical_schema(schema: CoreSchema) -> CoreSchema:
    """A copy of `schema` with each declared fast path in place and unknown fields ignored."""
    return cast(CoreSchema, _transform(schema))


def _transform(node: Any) -> Any:
    if isinstance(node, list):
        return [_transform(item) for item in node]
    if not isinstance(node, dict):
        return node
    copied = {
        key: value if key in _NOT_SCHEMAS else _transform(value) for key, value in node.items()
    }
    kind = copied.get("type")
    if kind == "model":
        copied["config"] = {**node.get("config", {}), "extra_fields_behavior": "ignore"}
    elif kind == "model-fields" and "extra_behavior" in copied:
        copied["extra_behavior"] = "ignore"
    elif kind in ("function-before", "function-after"):
        declared = fast_path_of(node["function"]["function"])
        if declared is not None:
            fast = declared.build(copied["schema"])
            if declared.json_only:
                # The original node, untouched, for Python input.
                return core_schema.json_or_python_schema(json_schema=fast, python_schema=node)
            return fast
    return copied


_VALIDATORS: Final[dict[type[BaseModel], SchemaValidator]] = {}
_COMPILING: Final = threading.Lock()


def fast_validator(model: type[BaseModel]) -> SchemaValidator:
    """The fast validator of `model`, compiled on first use and kept until forgotten.

    It returns instances of `model` itself and ignores unknown fields at every level.
    """
    try:
        return _VALIDATORS[model]
    except KeyError:
        pass
    with _COMPILING:
        schema = canonical_schema(model.__pydantic_core_schema__)
        validator = _VALIDATORS[model] = _compile(schema)
        return validator


def _compile(schema: CoreSchema) -> SchemaValidator:
    # pydantic-core builds a `model` node of a complete class from the validator the class
    # already has, ignoring the node: the copy would validate exactly like the original. It
    # reads `__pydantic_complete__` from the class's own __dict__, so the classes are marked
    # incomplete while compiling (validation does not read the flag).
    classes = {node["cls"] for node in _nodes(schema) if node.get("type") == "model"}
    marked = {
        cls: cls.__dict__["__pydantic_complete__"]
        for cls in classes
        if cls.__dict__.get("__pydantic_complete__")
    }
    try:
        for cls in marked:
            cls.__pydantic_complete__ = False
        return SchemaValidator(schema)
    finally:
        for cls, complete in marked.items():
            cls.__pydantic_complete__ = complete


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every schema node in `node`, depth first."""
    if isinstance(node, list):
        for item in node:
            yield from _nodes(item)
    elif isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key not in _NOT_SCHEMAS:
                yield from _nodes(value)


def forget_fast_validators() -> None:
    """Drop every compiled fast validator, so the next use compiles it from fresh fast paths.

    For fast paths that depend on the time (see `contracts.identifiers`): they are built with
    a bound known to be safe, and the bound is refreshed by compiling again.
    """
    _VALIDATORS.clear()
