"""The source and sink behaviour suites, run for both file kinds against real folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adapters.sink_suite import SinkBehaviour
from tests.adapters.source_suite import SourceBehaviour
from tests.integration.adapters.files.folders import DropFolderHarness, OutputFolderHarness


class TestCsvDropFolder(SourceBehaviour):
    adapter = "files-csv-source"

    @pytest.fixture
    def harness(self, tmp_path: Path) -> DropFolderHarness:
        return DropFolderHarness(tmp_path, "csv")


class TestFixedWidthDropFolder(SourceBehaviour):
    adapter = "files-fixed-width-source"

    @pytest.fixture
    def harness(self, tmp_path: Path) -> DropFolderHarness:
        return DropFolderHarness(tmp_path, "fixed-width")


class TestCsvBatchFiles(SinkBehaviour):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> OutputFolderHarness:
        return OutputFolderHarness(tmp_path, "csv")


class TestFixedWidthBatchFiles(SinkBehaviour):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> OutputFolderHarness:
        return OutputFolderHarness(tmp_path, "fixed-width")
