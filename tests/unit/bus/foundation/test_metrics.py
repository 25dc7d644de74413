"""Every metric govbus declares is prefixed ``govbus_`` and has bounded labels only."""

from __future__ import annotations

from prometheus_client.metrics import MetricWrapperBase

from bus.foundation import metrics

# Label names whose values come from a small, known set. An event id, key, case reference or
# partition number would make a new time series per value and is never a label.
ALLOWED_LABELS = {
    "event_type", "version", "publisher", "subscriber", "outcome", "stage", "group", "topic",
    "adapter",
}  # fmt: skip


def declared() -> dict[str, MetricWrapperBase]:
    """The metrics bus.foundation.metrics declares, by Python name."""
    return {
        name: value for name, value in vars(metrics).items() if isinstance(value, MetricWrapperBase)
    }


def test_bus_metrics_declares_metrics() -> None:
    """The discovery below finds the module's metrics, so the other checks are not vacuous."""
    assert "CONSUMER_LAG" in declared()
    assert len(declared()) >= 10


def test_every_metric_name_starts_with_govbus() -> None:
    """Operators find every govbus series under one prefix."""
    for name, metric in declared().items():
        (family,) = metric.describe()
        assert family.name.startswith("govbus_"), f"{name} is named {family.name}"


def test_every_label_name_is_from_the_bounded_set() -> None:
    """No metric can be labelled with an id: only the allowed, bounded label names occur."""
    for name, metric in declared().items():
        # prometheus_client has no public accessor for a metric's declared label names.
        labels = set(metric._labelnames)
        assert labels <= ALLOWED_LABELS, f"{name} has unbounded labels {labels - ALLOWED_LABELS}"
