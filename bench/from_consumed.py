"""Micro-benchmark: `from_consumed` of the 1 KB planning-application event, dict and JSON.

Run with `python -m bench.from_consumed`; prints the best of 5 x 20,000 per call. No Kafka.
"""

from __future__ import annotations

import timeit
from functools import partial

import orjson

from bench.bus_throughput import CONTRACT, publications

REPEAT, NUMBER = 5, 20_000


def main() -> None:
    event = publications(1)[0].event
    text = event.model_dump_json().encode()
    data = orjson.loads(text)
    assert CONTRACT.from_consumed(data) == event
    payload: dict[str, object] | bytes
    for name, payload in (("dict", data), ("json", text)):
        timer = timeit.Timer(partial(CONTRACT.from_consumed, payload))
        best = min(timer.repeat(number=NUMBER, repeat=REPEAT))
        print(f"from_consumed({name}), {len(text)} bytes: {best / NUMBER * 1e6:.2f} us")


if __name__ == "__main__":
    main()
