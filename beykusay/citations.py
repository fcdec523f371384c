"""A grounded answer as HTML: citation markers after the blocks that hold cited spans, the
list of sources, and the search entry point as a sandboxed document.

Markers are placed when rendering, never spliced into the Markdown source (where they
could land inside code or a link): the answer is cut into the same blocks as always,
and each citation's marker goes at the end of the block that holds its span's end.
Titles, URLs and queries come from the web: everything is escaped, only http(s) URLs
become links (new tab, ``noopener noreferrer``), and the result passes nh3 like every
other HTML the UI shows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from beykusay.grounding import domain, linkable
from beykusay.render import Block, BlockSplitter, render_markdown, sanitize

REDIRECT_HOST = "vertexaisearch.cloud.google.com"  # Gemini's opaque links to the sources
_LINES = re.compile(r"[^\n]*\n|[^\n]+$")
# The last closing tag of an inline context at the very end of a block's HTML.
_LAST_INLINE = re.compile(
    r"</(p|li|h[1-6]|td|th)>(?=(?:\s*</(?:ul|ol|blockquote|tr|tbody|table|div)>)*\s*$)"
)
# The entry point's own document: no scripts (the frame is sandboxed too), no remote
# anything; its links open in a new tab.
# What the entry point's frame may load: its own inline styles and data: images, nothing
# else. Given twice: in the document, and as the frame's ``csp`` attribute, which Chromium
# applies before the document is parsed (its preload scanner can run ahead of a meta tag).
ENTRY_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
_ENTRY_HEAD = (
    '<!doctype html><html><head><meta charset="utf-8">'
    '<meta name="color-scheme" content="{scheme}">'
    f'<meta http-equiv="Content-Security-Policy" content="{ENTRY_CSP}">'
    '<base target="_blank">'
    "<style>html,body{margin:0;padding:0;background:transparent;overflow:hidden}</style>"
    "</head><body>"
)


def blocks_with_ends(text: str) -> list[tuple[Block, int]]:
    """The text's blocks (as ``beykusay.render`` cuts them) and where each ends in it."""
    splitter = BlockSplitter()
    found: list[tuple[Block, int]] = []
    at = 0
    for line in _LINES.findall(text):
        for block in splitter.feed(line):
            # prose ends where the line that closed it starts; code with its closing fence
            found.append((block, at + len(line) if block.kind == "code" else at))
        at += len(line)
    found += [(block, len(text)) for block in splitter.finish()]
    return found


def _marker(number: int, sources: Mapping[int, Mapping[str, Any]]) -> str:
    source = sources.get(number)
    if source is None:
        return ""
    label = f"[{number}]"
    url, title = str(source.get("url") or ""), str(source.get("title") or "")
    if not linkable(url):
        return f'<sup><span class="bk-cite">{label}</span></sup>'
    return (
        f'<sup><a class="bk-cite" href="{html.escape(url.strip())}" title="{html.escape(title)}"'
        f' target="_blank" rel="noopener noreferrer">{label}</a></sup>'
    )


def _with_markers(block_html: str, markers: str) -> str:
    found = list(_LAST_INLINE.finditer(block_html))
    if not found:
        return block_html + f'<div class="bk-cites">{markers}</div>'
    at = found[-1].start()
    return block_html[:at] + markers + block_html[at:]


def cited_markdown(
    text: str,
    citations: Sequence[Mapping[str, Any]],
    sources: Sequence[Mapping[str, Any]],
    copy_label: str = "Copy",
) -> str:
    """The answer as safe HTML with a marker ``[n]`` after each block holding a cited span."""
    by_number = {int(s["index"]): s for s in sources if isinstance(s.get("index"), int)}
    parts = []
    blocks = blocks_with_ends(text)
    ends = [end for _, end in blocks]
    numbers: list[list[int]] = [[] for _ in blocks]
    for citation in citations:
        end = citation.get("end")
        if not isinstance(end, int) or not 0 < end <= len(text):
            continue
        at = next((i for i, block_end in enumerate(ends) if end <= block_end), len(ends) - 1)
        for number in citation.get("sources") or ():
            if number not in numbers[at]:
                numbers[at].append(number)
    for (block, _), cited in zip(blocks, numbers, strict=True):
        rendered = block.html(copy_label=copy_label)
        markers = "".join(_marker(n, by_number) for n in sorted(cited))
        parts.append(_with_markers(rendered, markers) if markers else rendered)
    return sanitize("".join(parts))


def sources_html(message: Mapping[str, Any], *, heading: str, searched: str) -> str:
    """The "Sources" list (number, title, domain; no favicons) and the queries searched."""
    items = []
    for source in message.get("sources") or ():
        number = html.escape(str(source.get("index", "")))
        url, title = str(source.get("url") or ""), str(source.get("title") or "")
        host = domain(url)
        shown_host = "" if host in (REDIRECT_HOST, title) else host
        name = html.escape(title or host or url)
        if linkable(url):
            name = (
                f'<a href="{html.escape(url.strip())}" target="_blank" '
                f'rel="noopener noreferrer">{name}</a>'
            )
        extra = ""
        if shown_host:
            extra = f' <span class="bk-source-domain">{html.escape(shown_host)}</span>'
        items.append(f'<li><span class="bk-source-n">{number}</span> {name}{extra}</li>')
    out = ""
    if items:
        out += (
            f'<div class="bk-sources-head">{html.escape(heading)}</div>'
            f'<div class="bk-source-list"><ol>{"".join(items)}</ol></div>'
        )
    queries = [q for q in message.get("search_queries") or () if isinstance(q, str)]
    if queries:
        shown = " · ".join(f"<span>{html.escape(q)}</span>" for q in queries)
        out += f'<div class="bk-queries">{html.escape(searched)} {shown}</div>'
    return sanitize(out)


_SCHEME = re.compile(r"\(\s*prefers-color-scheme\s*:\s*(light|dark)\s*\)", re.IGNORECASE)
_ALWAYS, _NEVER = "(min-width: 0px)", "(not (min-width: 0px))"


# Elements through which a document loads something (Chromium's preload scanner fetches
# some of them before a CSP meta tag applies), removed from the entry point; a script's
# body goes with it. Gemini's suggestions are styles, inline SVG and links: none of these.
_LOADERS = re.compile(
    r"<script\b.*?(?:</script\s*>|$)"
    r"|</?\s*(?:img|image|link|script|iframe|frame|object|embed|video|audio|source|track"
    r"|input|picture|base|meta|portal)\b[^>]*(?:>|$)",
    re.IGNORECASE | re.DOTALL,
)


def entry_point_document(rendered: str, scheme: str = "light") -> str:
    """Gemini's search entry point as the ``srcdoc`` of a sandboxed frame, in ``scheme``.

    Nothing in it may load anything: elements that would are removed (see ``_LOADERS``),
    and the document's CSP forbids the rest. Its CSS picks light or dark by
    ``prefers-color-scheme``, which inside a frame follows
    the system, not the app's theme: those conditions are fixed to the theme asked for.
    """
    inert = _LOADERS.sub("", rendered)
    themed = _SCHEME.sub(lambda m: _ALWAYS if m.group(1).lower() == scheme else _NEVER, inert)
    return _ENTRY_HEAD.replace("{scheme}", scheme) + themed + "</body></html>"


def render_part(message: Mapping[str, Any], part: str, copy_label: str = "Copy") -> str:
    """A message's ``content`` (with its citation markers) or ``thinking`` as safe HTML."""
    text = message.get(part) or ""
    if part == "content" and message.get("citations"):
        return cited_markdown(text, message["citations"], message.get("sources") or (), copy_label)
    return render_markdown(text, copy_label)
