"""An agreement's fields against a contract version: does each path exist, and what does it carry.

Paths walk nested models through optional values and lists (``parents.name`` is the name of
every parent). A path may name a whole object; whatever is inside it is shared with it, except
personal data: naming an object that holds a personal-data field (``deceased`` holds
``deceased.nino``) is refused, so each personal-data field that flows is named in the agreement.
Naming a personal-data field, or a field inside one, is explicit and allowed.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from bus.federation.problems import did_you_mean
from contracts import Event


def nested_model(annotation: Any) -> type[BaseModel] | None:
    """The one model a field holds, through ``Annotated``, ``X | None`` and ``tuple[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = get_origin(annotation)
    if origin is Annotated:
        return nested_model(get_args(annotation)[0])
    if origin in (Union, types.UnionType, tuple, list, frozenset):
        models = {m for arg in get_args(annotation) if (m := nested_model(arg)) is not None}
        return models.pop() if len(models) == 1 else None
    return None


def path_problem(model: type[Event], path: str) -> str | None:
    """Why ``path`` names no field of ``model`` (with a "did you mean"), or ``None`` if it does."""
    current: type[BaseModel] | None = model
    walked: list[str] = []
    for part in path.split("."):
        if current is None:
            return f"{'.'.join(walked)!r} has no fields inside it, so {path!r} names nothing"
        fields = current.model_fields
        if part not in fields:
            where = ".".join(walked) or model.contract.cloudevents_type
            prefix = f"{'.'.join(walked)}." if walked else ""
            close = did_you_mean(part, fields, prefix=prefix)
            return f"{where} has no field {part!r}{close}"
        walked.append(part)
        current = nested_model(fields[part].annotation)
    return None


def implied_personal_data(model: type[Event], path: str) -> list[str]:
    """The contract's personal-data paths strictly inside ``path``: shared only by implication."""
    return [p for p in model.contract.personal_data if p.startswith(f"{path}.")]


def is_personal(model: type[Event], path: str) -> bool:
    """Whether ``path`` is a personal-data field of the contract or lies inside one."""
    return any(path == p or path.startswith(f"{p}.") for p in model.contract.personal_data)
