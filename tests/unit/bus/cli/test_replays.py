"""The replay record: a watermark per partition plus the offsets replayed one by one above it."""

from __future__ import annotations

import pytest

from bus.cli.replays import MAX_METADATA_CHARS, Replayed, too_long


def test_offsets_below_the_watermark_or_listed_above_it_count_as_replayed() -> None:
    """A dead letter is replayed if below the watermark or replayed one by one; others not."""
    replayed = Replayed(5, frozenset({7, 9}))
    assert [o for o in range(12) if o in replayed] == [0, 1, 2, 3, 4, 7, 9]


def test_replaying_the_next_offsets_moves_the_watermark_over_them() -> None:
    """Offsets that close the gap fold into the watermark, so the record stays short."""
    replayed = Replayed(5, frozenset({7, 9})).with_offsets([5, 6, 3])
    assert replayed == Replayed(8, frozenset({9}))


def test_a_whole_partition_replayed_keeps_no_offsets_below_its_end() -> None:
    """After a full replay to end 20 only offsets replayed past 20 remain listed."""
    assert Replayed(5, frozenset({7, 25})).up_to(20) == Replayed(20, frozenset({25}))
    assert Replayed(30).up_to(20) == Replayed(30)


def test_the_record_survives_its_round_trip_through_kafka_metadata() -> None:
    """Offsets above the watermark are written as ranges and read back the same."""
    replayed = Replayed(5, frozenset({7, 9, 10, 11, 14}))
    assert replayed.metadata() == "7,9-11,14"
    assert Replayed.parse(5, replayed.metadata()) == replayed
    assert Replayed.parse(3, "") == Replayed(3)


@pytest.mark.parametrize("metadata", ["garbage", "1-x", "-5", "5,,x", "0-999999999999"])
def test_metadata_another_tool_wrote_leaves_the_watermark_alone(metadata: str) -> None:
    """Unreadable or absurd metadata is ignored; the committed offset still holds."""
    assert Replayed.parse(4, metadata) == Replayed(4)


def test_a_record_too_long_for_kafka_is_found_before_anything_is_sent() -> None:
    """Thousands of scattered single offsets exceed Kafka's metadata limit and are reported."""
    scattered = Replayed(0, frozenset(range(1, 4 * MAX_METADATA_CHARS, 2)))
    assert too_long({0: Replayed(3), 2: scattered}) == 2
    assert too_long({0: Replayed(3, frozenset({5}))}) is None
