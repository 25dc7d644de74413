"""The status page of a govbus process: one self-contained HTML document for operators.

``render(snapshot)`` returns the page: no external assets (inline CSS, no script), refreshed by
the browser every ``REFRESH_S`` seconds. Every value shown comes from a
:class:`bus.observability.status.StatusSnapshot` and is HTML-escaped, including names, topics
and the CloudEvents attributes of last events, which come from records read off Kafka. Event data
is never part of a snapshot, so it cannot appear here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from html import escape

from bus.observability.status import StatusSnapshot

REFRESH_S = 10

_CSS = """
body{margin:0;font-family:Arial,sans-serif;color:#0b0c0c;background:#fff;font-size:16px}
header{background:#0b0c0c;color:#fff;padding:10px 30px;font-weight:700;font-size:20px;
border-bottom:10px solid #1d70b8}
main{max-width:1100px;margin:0 auto;padding:20px 30px 60px}
h1{font-size:36px;margin:20px 0 10px}h2{font-size:24px;margin:40px 0 10px}
.caption{color:#505a5f;margin:0 0 20px}
.tag{display:inline-block;padding:4px 8px;font-weight:700;text-transform:uppercase;
font-size:14px;letter-spacing:1px}
.tag.ok{background:#cce2d8;color:#005a30}.tag.bad{background:#f6d7d2;color:#942514}
.tag.unknown{background:#e5e6e7;color:#383f43}
table{border-collapse:collapse;width:100%;margin-bottom:20px}
th,td{text-align:left;padding:10px 20px 10px 0;border-bottom:1px solid #b1b4b6;
vertical-align:top}
th{font-weight:700}td.num,th.num{text-align:right}
.empty{color:#505a5f}
code{font-family:monospace;font-size:14px;word-break:break-all}
"""


def render(snapshot: StatusSnapshot) -> str:
    """The complete HTML page for ``snapshot``."""
    ready = snapshot.ready
    sections = [
        _section("Readiness", "readiness", ["Condition", "State", "Detail"], _conditions(snapshot)),
        _section(
            "Subscriptions",
            "subscriptions",
            [
                "Subscription",
                "Group",
                "Topics",
                "Handled",
                "Handled/s (1 min)",
                "Duplicates",
                "Dead-lettered",
                "Failed attempts",
            ],
            [
                [
                    s.name,
                    s.group,
                    _codes(s.topics),
                    s.handled,
                    _rate(s.handled_per_s),
                    s.duplicates,
                    s.dead_lettered,
                    s.failed_attempts,
                ]
                for s in snapshot.subscriptions
            ],
        ),
        _section(
            "Published",
            "published",
            ["Event type", "Version", "Topic", "Published", "Published/s (1 min)", "Failures"],
            [
                [
                    p.event_type,
                    p.version,
                    _codes([p.topic] if p.topic else []),
                    p.published,
                    _rate(p.per_s),
                    p.failures,
                ]
                for p in snapshot.published
            ],
        ),
        _section(
            "Consumer lag",
            "lag",
            ["Group", "Topic", "Records waiting"],
            [[lag.group, _codes([lag.topic]), lag.lag] for lag in snapshot.lag],
        ),
        _section(
            "Dead-lettered since this process started",
            "dead-letters",
            ["Subscriber", "Event type", "Version", "Stage", "Records"],
            _dead_letters(snapshot),
        ),
        _section(
            "Dead-letter topics",
            "dead-letter-topics",
            ["Topic", "Dead letters of", "Records kept (from Kafka)", "Inspect with"],
            [
                [
                    _codes([d.topic]),
                    _Markup("<br>".join(escape(owner) for owner in d.owners)),
                    "not yet read" if d.present is None else d.present,
                    _codes([f"govbus dlq list {d.topic}"]),
                ]
                for d in snapshot.dead_letter_topics
            ],
        ),
        _section(
            "Source adapters",
            "adapters",
            [
                "Adapter",
                "Legacy system",
                "Last success",
                "Last record",
                "Read",
                "Published",
                "Rejected",
            ],
            [
                [
                    a.name,
                    _up(a.legacy_up),
                    _time(a.last_success, snapshot.generated_at),
                    _time(a.last_record, snapshot.generated_at, never="none since start"),
                    a.read,
                    a.published,
                    a.rejected,
                ]
                for a in snapshot.adapters
            ],
        ),
        _section(
            "Last event per source",
            "last-events",
            ["Source", "Event type", "Event id", "Event time", "Received", "Subscription"],
            [
                [
                    _codes([e.source]),
                    e.type,
                    _codes([e.id]),
                    _time(e.time, snapshot.generated_at),
                    _time(e.received_at, snapshot.generated_at),
                    e.subscription,
                ]
                for e in snapshot.last_events
            ],
        ),
    ]
    state = _tag("Ready", "ok") if ready else _tag("Not ready", "bad")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="{REFRESH_S}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(snapshot.service)} - govbus status</title>"
        f"<style>{_CSS}</style></head><body>"
        "<header>govbus</header><main>"
        f'<h1 id="service-name">{escape(snapshot.service)}</h1>'
        f'<p class="caption"><span id="ready-state">{state}</span> '
        f"Read at {escape(_iso(snapshot.generated_at))}; this page refreshes every "
        f"{REFRESH_S} seconds. Metrics: <code>/metrics</code>, probes: <code>/healthz</code>, "
        "<code>/readyz</code>.</p>" + "".join(sections) + "</main></body></html>\n"
    )


class _Markup(str):
    """HTML built here from escaped parts; inserted as is."""


Cell = str | int | _Markup


def _section(
    title: str, ident: str, headings: Sequence[str], cells: Iterable[Sequence[Cell]]
) -> str:
    rows = list(cells)
    head = "".join(
        f'<th scope="col"{_num_class(i, rows)}>{escape(h)}</th>' for i, h in enumerate(headings)
    )
    if not rows:
        body = f'<tr><td class="empty" colspan="{len(headings)}">None</td></tr>'
    else:
        body = "".join(
            "<tr>"
            + "".join(f"<td{_num_class(i, rows)}>{_cell(c)}</td>" for i, c in enumerate(r))
            + "</tr>"
            for r in rows
        )
    return (
        f'<section><h2 id="{ident}-heading">{escape(title)}</h2>'
        f'<table id="{ident}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>'
    )


def _num_class(column: int, rows: Sequence[Sequence[Cell]]) -> str:
    numeric = rows and all(isinstance(row[column], int) for row in rows)
    return ' class="num"' if numeric else ""


def _cell(value: Cell) -> str:
    if isinstance(value, _Markup):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return escape(value)


def _conditions(snapshot: StatusSnapshot) -> list[list[Cell]]:
    return [
        [c.name, _tag("ready", "ok") if c.ready else _tag("not ready", "bad"), c.detail]
        for c in snapshot.conditions
    ]


def _dead_letters(snapshot: StatusSnapshot) -> list[list[Cell]]:
    rows: list[list[Cell]] = [
        [d.subscriber, d.event_type, d.version, d.stage, d.count] for d in snapshot.dead_letters
    ]
    rows += [
        [name, "", "", _tag("dead-letter write failed", "bad"), count]
        for name, count in sorted(snapshot.dlq_write_failures.items())
    ]
    return rows


def _tag(text: str, kind: str) -> _Markup:
    return _Markup(f'<strong class="tag {kind}">{escape(text)}</strong>')


def _up(up: bool | None) -> _Markup:
    if up is None:
        return _tag("not yet reached", "unknown")
    return _tag("up", "ok") if up else _tag("down", "bad")


def _codes(values: Iterable[str]) -> _Markup:
    return _Markup("<br>".join(f"<code>{escape(v)}</code>" for v in values))


def _rate(per_s: float | None) -> str:
    return "not yet measured" if per_s is None else f"{per_s:.2f}"


def _iso(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


def _time(moment: datetime | None, now: datetime, *, never: str = "never") -> str:
    if moment is None:
        return never
    seconds = max(0, int((_utc(now) - _utc(moment)).total_seconds()))
    ago = f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"
    return f"{_iso(moment)} ({ago} ago)"


def _utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a time without a zone is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
