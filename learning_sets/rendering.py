"""Newsletter Markdown to safe HTML: Python-Markdown renders, nh3 (ammonia) keeps only what we allow.

Raw HTML in the Markdown is passed to the sanitiser like everything else: a
script or style element goes with its content, any other tag we do not allow
goes and leaves its text, every attribute but a link's address and title goes,
and a link to anything but http, https or mailto loses its address. Headings
move down a level, because the page (and the email) already has the subject as
its only h1.
"""

from __future__ import annotations

import re

import markdown
import nh3

TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "b",
    "i",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
HEADING = re.compile(r"<(/?)h([1-5])>")


def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    html = HEADING.sub(lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}>", html)
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
