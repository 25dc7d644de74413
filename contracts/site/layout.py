"""The HTML page frame of the catalogue site and the one escaping rule it relies on.

Every piece of text that comes from a contract document goes through `esc` before it is placed in
HTML, in element content and in attribute values alike; page builders only ever join strings that
are either escaped text or markup written in this package.
"""

from __future__ import annotations

import html
from string import Template

__all__ = ["SITE_TITLE", "esc", "page"]

SITE_TITLE = "govbus event catalogue"

_PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>$title</title>
<link rel="stylesheet" href="style.css">
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header">
<div class="width"><a class="site-name" href="index.html">$site_title</a></div>
</header>
<main id="main" class="width" tabindex="-1">
$body
</main>
<footer class="site-footer">
<div class="width"><p>Generated from the published contract schemas.
Schemas are JSON Schema draft 2020-12; each event travels as a CloudEvents 1.0 record on Kafka.</p>
</div>
</footer>
$scripts</body>
</html>
"""
)


def esc(text: object) -> str:
    """Escapes `text` for HTML element content and quoted attribute values."""
    return html.escape(str(text), quote=True)


def page(*, title: str, body: str, scripts: tuple[str, ...] = ()) -> str:
    """Returns a whole HTML5 document; `title` is plain text, `body` is markup."""
    script_tags = "".join(f'<script src="{esc(src)}"></script>\n' for src in scripts)
    return _PAGE.substitute(
        title=esc(f"{title} - {SITE_TITLE}" if title != SITE_TITLE else title),
        site_title=esc(SITE_TITLE),
        body=body,
        scripts=script_tags,
    )
