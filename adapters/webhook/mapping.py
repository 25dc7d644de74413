"""A webhook body as a record and its identity.

Bodies are decoded strictly by ``bus.adapter_runtime.json_input``.
"""

from __future__ import annotations

import hashlib

MAX_DELIVERY_ID = 200


def identity(path: str, delivery_id: str | None, body: bytes) -> str:
    """``<path>/<delivery id>``, or ``<path>/sha256:<hash of body>`` without a usable id."""
    if delivery_id and len(delivery_id) <= MAX_DELIVERY_ID and delivery_id.isprintable():
        return f"{path}/{delivery_id.strip()}"
    return f"{path}/sha256:{hashlib.sha256(body).hexdigest()}"
