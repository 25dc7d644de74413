"""Micro-benchmark: `from_consumed` of the 1 KB planning-application event, dict and JSON.

Run with `python -m bench.from_consumed`; prints the best of 5 x 20,000 per call, next to the
baseline of the same data validated in full (every Python validator run, as for data that is
not in canonical form), and the ratio. No Kafka.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from functools import partial

import orjson

from bench.bus_throughput import CONTRACT, publications

REPEAT, NUMBER = 5, 20_000


def best_us(call: Callable[[], object]) -> float:
    return min(timeit.Timer(call).repeat(number=NUMBER, repeat=REPEAT)) / NUMBER * 1e6


def main() -> None:
    event = publications(1)[0].event
    text = event.model_dump_json().encode()
    data = orjson.loads(text)
    assert CONTRACT.from_consumed(data) == event
    full_dict = partial(CONTRACT.model_validate, data, extra="ignore")
    full_json = partial(CONTRACT.model_validate_json, text, extra="ignore")
    payload: dict[str, object] | bytes
    for name, payload, full in (("dict", data, full_dict), ("json", text, full_json)):
        fast = best_us(partial(CONTRACT.from_consumed, payload))
        baseline = best_us(full)
        print(
            f"from_consumed({name}), {len(text)} bytes: {fast:.2f} us; "
            f"full validation {baseline:.2f} us; ratio {fast / baseline:.2f}"
        )


if __name__ == "__main__":
    main()
