"""The batch-file sink against a real folder (no Kafka): safety, fit, batching, recovery."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from adapters.files import csv_sink, fixed_width_sink
from adapters.files.config import FixedWidthField
from adapters.files.fixed_width import LayoutError, format_record, parse_record
from adapters.files.mapping import neutralise
from bus.foundation.errors import MappingError, NotConnected
from bus.messaging.envelope import Envelope
from bus.messaging.subscriber import Delivery
from tests.integration.adapters.files.folders import (
    OutputFolderHarness,
    Unplug,
    csv_config,
    fixed_width_config,
)


def delivery(ce_id: str) -> Delivery:
    envelope = Envelope(
        id=ce_id, source="urn:test", type="uk.gov.dvla.driving-licence-cancelled.v1"
    )
    return Delivery(envelope=envelope, topic="t", partition=0, offset=0, key=None, attempt=1)


def event(number: int, **holder: str) -> Any:
    made = OutputFolderHarness.event(None, number)  # type: ignore[arg-type]
    if holder:
        made = made.model_copy(update={"holder": made.holder.model_copy(update=holder)})
    return made


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_trigger_is_prefixed_with_a_quote(trigger):
    """A cell starting with = + - @ tab or CR gets a leading apostrophe (OWASP)."""
    assert neutralise(trigger + "SUM(A1:A9)") == "'" + trigger + "SUM(A1:A9)"
    assert neutralise("Oduya") == "Oduya"


async def test_a_formula_in_an_event_reaches_the_csv_file_neutralised(tmp_path):
    """A family name that is a spreadsheet formula is written as inert text."""
    sink = csv_sink(csv_config(tmp_path, max_records_per_file=1))
    await sink.open()
    await sink.deliver(event(1, family_name='=HYPERLINK("http://x","y")'), delivery("e-1"))
    await sink.close()
    (batch,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert "'=HYPERLINK(" in batch.read_text()
    assert ",=HYPERLINK" not in batch.read_text()


async def test_batches_close_after_max_records_with_dated_sequence_names(tmp_path):
    """Five events with three per file make two files: -0001 with three, -0002 with two."""
    harness = OutputFolderHarness(tmp_path, "fixed-width")
    sink = harness.sink()
    await sink.open()
    for n in range(1, 6):
        await sink.deliver(event(n), delivery(f"e-{n}"))
    first, *rest = harness.batch_files()
    assert first.name.endswith("-0001.dat")
    assert first.name.startswith("dvla-20")
    assert rest == []  # the second batch is still open, hidden from the collector
    await sink.close()
    files = harness.batch_files()
    assert [p.name[-8:] for p in files] == ["0001.dat", "0002.dat"]
    assert sorted(await harness.delivered()) == [1, 2, 3, 4, 5]


async def test_a_quiet_batch_is_closed_after_its_age_limit(tmp_path):
    """With no more events, the open batch is handed over max_file_age_s after it opened."""
    harness = OutputFolderHarness(tmp_path, "csv")
    sink = harness.sink()
    await sink.open()
    await sink.deliver(event(1), delivery("e-1"))
    assert harness.batch_files() == []
    await asyncio.sleep(0.6)
    assert await harness.delivered() == [1]
    await sink.close()


async def test_batch_names_are_not_reused_after_the_collector_took_the_files(tmp_path):
    """The ledger remembers names: a new batch after the files were removed gets the next seq."""
    harness = OutputFolderHarness(tmp_path, "csv")
    sink = harness.sink()
    await sink.open()
    await sink.deliver(event(1), delivery("e-1"))
    await sink.close()
    (taken,) = harness.batch_files()
    taken.unlink()
    sink = harness.sink()
    await sink.open()
    await sink.deliver(event(2), delivery("e-2"))
    await sink.close()
    (new,) = harness.batch_files()
    assert new.name != taken.name
    assert new.name.endswith("-0002.csv")


async def test_a_crash_mid_write_is_cut_back_and_the_redelivered_event_written_once(tmp_path):
    """A record written without its ledger line, and a torn ledger line, are undone on open."""
    harness = OutputFolderHarness(tmp_path, "csv")
    sink = harness.sink()
    await sink.open()
    await sink.deliver(event(1), delivery("e-1"))
    # Simulate a crash during event 2: its record is in the open batch, its ledger line torn.
    (part,) = tmp_path.joinpath("outbox").glob(".*.part")
    part.write_bytes(
        part.read_bytes() + b"ODUYA407191JE9AB,Oduya,Joseph Emeka,2025-03-05,TUO-2\r\n"
    )
    with tmp_path.joinpath("outbox", ".govbus-ledger").open("ab") as ledger:
        ledger.write(b"e-2\tbatch-2")
    restarted = harness.sink()
    await restarted.open()
    await restarted.deliver(event(1), delivery("e-1"))  # already in: not written again
    await restarted.deliver(event(2), delivery("e-2"))  # redelivered: written once
    await restarted.close()
    assert sorted(await harness.delivered()) == [1, 2]


async def test_a_value_too_long_is_rejected_naming_the_field_unless_truncation_is_on(tmp_path):
    """A 40-character family name does not fit 30 columns: a non-retriable MappingError."""
    config = fixed_width_config(tmp_path, separator="newline")
    sink = fixed_width_sink(config)
    await sink.open()
    with pytest.raises(MappingError, match="family_name") as raised:
        await sink.deliver(event(1, family_name="O" * 40), delivery("e-1"))
    assert not raised.value.retriable
    layout = tuple(
        f.model_copy(update={"truncate": True}) if f.name == "family_name" else f
        for f in config.layout
    )
    cut = format_record(
        {"holder": {"family_name": "O" * 40}}, config.model_copy(update={"layout": layout})
    )
    assert cut[17:47] == "O" * 30
    await sink.close()


def test_numbers_are_zero_padded_and_never_truncated(tmp_path):
    """An int is right-aligned with zeros; one too big for its field is an error, not cut."""
    amount = FixedWidthField(name="amount", start=1, length=7, type="decimal", scale=2)
    config = fixed_width_config(tmp_path, record_length=7, layout=(amount,))
    assert format_record({"amount": "123.45"}, config) == "0012345"
    assert format_record({"amount": -5}, config) == "-000500"
    assert parse_record("0012345", config)["amount"] == Decimal("123.45")
    with pytest.raises(LayoutError, match="never truncated"):
        format_record({"amount": 123456}, config)
    with pytest.raises(LayoutError, match="more than 2 decimal places"):
        format_record({"amount": "1.234"}, config)


def test_text_the_ebcdic_code_page_cannot_hold_is_rejected_naming_the_field(tmp_path):
    """cp500 has no euro sign: the error names the field rather than writing a wrong byte."""
    config = fixed_width_config(tmp_path)
    with pytest.raises(LayoutError, match=r"family_name.*cp500"):
        format_record({"holder": {"family_name": "Price €"}}, config)


def test_a_record_round_trips_through_ebcdic(tmp_path):
    """A record written in cp500 reads back to the same values."""
    config = fixed_width_config(tmp_path)
    data = {
        "driver_number": "ODUYA407191JE9AB",
        "holder": {"family_name": "Ó Dubhghaill", "given_names": "Siân"},
        "cancelled_on": "2025-03-05",
        "reason": "death-of-holder",
        "tell_us_once_reference": "TUO-1",
    }
    raw = format_record(data, config).encode("cp500")
    values = parse_record(raw.decode("cp500"), config)
    assert values["family_name"] == "Ó Dubhghaill"
    assert values["given_names"] == "Siân"
    assert values["cancelled_on"].isoformat() == "2025-03-05"


async def test_an_output_folder_that_is_gone_is_a_retriable_not_connected(tmp_path):
    """Writing into a folder replaced by a file raises NotConnected; after repair it works."""
    harness = OutputFolderHarness(tmp_path, "csv")
    sink = harness.sink()
    await sink.open()
    unplug = Unplug(harness.folder)
    await unplug.take_down()
    with pytest.raises(NotConnected):
        await sink.deliver(event(1), delivery("e-1"))
    await unplug.bring_up()
    await sink.deliver(event(1), delivery("e-1"))
    await sink.close()
    assert await harness.delivered() == [1]


async def test_a_utf8_sig_batch_file_has_one_byte_order_mark_at_its_start(tmp_path):
    """With encoding utf-8-sig the BOM opens each file once; rows do not start with one."""
    sink = csv_sink(csv_config(tmp_path, encoding="utf-8-sig", max_records_per_file=2))
    await sink.open()
    await sink.deliver(event(1, family_name="Ó Súilleabháin"), delivery("e-1"))
    await sink.deliver(event(2), delivery("e-2"))
    await sink.close()
    (batch,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    content = batch.read_bytes()
    assert content.startswith(b"\xef\xbb\xbfdriver_number,")
    assert content.count(b"\xef\xbb\xbf") == 1
    assert "Ó Súilleabháin" in content.decode("utf-8-sig")
