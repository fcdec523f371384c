"""Grounded answers for the fake Gemini: ``groundingMetadata`` as Google Search grounding sends it.

What the real API does, and this copies:
- offsets are UTF-8 *byte* offsets into the answer's text (``segment.startIndex`` left
  out when it is 0, as proto3 JSON leaves out zeros), ``endIndex`` exclusive, with the
  span's ``text``; streamed, they count from the start of the whole answer, however
  many chunks and parts it came in;
- ``groundingChunks`` are ``{"web": {"uri", "title"}}``: the URI a
  ``vertexaisearch.cloud.google.com/grounding-api-redirect/…`` link, the title the
  site's domain; supports point into them by position (``groundingChunkIndices``), with
  a ``confidenceScores`` entry for each;
- ``webSearchQueries`` and ``searchEntryPoint.renderedContent`` (a ``<style>`` block
  and a ``div`` of suggestion chips, themed by ``prefers-color-scheme``);
- the metadata comes with the last chunk (with the finish reason), after all the
  text it describes; ``early_queries`` also sends the queries and the entry point on
  the first chunk, as Gemini sometimes does.

``grounded(answer, sources=[…], cites=[(span text, [source positions])…])`` is a whole
script; ``metadata(…)`` builds the object alone, ``support(…)`` one raw support (for
spans that are wrong on purpose).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from tests.fakegemini import Chunk, Step, finish, pause

REDIRECT = "https://vertexaisearch.cloud.google.com/grounding-api-redirect/"

ENTRY_POINT_STYLE = """<style>
.container { align-items: center; border-radius: 8px; display: flex; font-family: \
Google Sans, Roboto, sans-serif; font-size: 14px; line-height: 20px; padding: 8px 12px; }
.chip { display: inline-block; border: solid 1px; border-radius: 16px; min-width: 14px; \
padding: 5px 16px; text-align: center; user-select: none; margin: 0 8px; }
.carousel { overflow: auto; scrollbar-width: none; white-space: nowrap; margin-right: -12px; }
.headline { display: flex; margin-right: 4px; }
@media (prefers-color-scheme: light) {
  .container { background-color: #fafafa; box-shadow: 0 0 0 1px #0000000f; }
  .headline-label { color: #1f1f1f; }
  .chip { background-color: #ffffff; border-color: #d2d2d2; color: #5e5e5e; \
text-decoration: none; }
}
@media (prefers-color-scheme: dark) {
  .container { background-color: #1f1f1f; box-shadow: 0 0 0 1px #ffffff26; }
  .headline-label { color: #fff; }
  .chip { background-color: #2c2c2c; border-color: #3c4043; color: #fff; \
text-decoration: none; }
}
</style>"""


def redirect(url: str) -> str:
    """The opaque redirect URI Gemini gives for a source page."""
    return REDIRECT + hashlib.sha256(url.encode()).hexdigest()[:40]


def entry_point(queries: Sequence[str]) -> str:
    chips = "".join(
        f'<a class="chip" href="https://www.google.com/search?q={q.replace(" ", "+")}">{q}</a>'
        for q in queries
    )
    return (
        ENTRY_POINT_STYLE + '<div class="container"><div class="headline">'
        '<span class="headline-label">Google Search</span></div>'
        f'<div class="carousel">{chips}</div></div>'
    )


def support(start: int, end: int, positions: Sequence[int], text: str | None) -> dict[str, Any]:
    """One groundingSupport with byte offsets as given."""
    segment: dict[str, Any] = {"endIndex": end}
    if start:
        segment["startIndex"] = start
    if text is not None:
        segment["text"] = text
    return {
        "segment": segment,
        "groundingChunkIndices": list(positions),
        "confidenceScores": [0.9 - 0.1 * i for i in range(len(positions))],
    }


def cite(answer: str, span: str, positions: Sequence[int], *, occurrence: int = 0) -> dict:
    """The support of ``span`` (its ``occurrence``-th place in ``answer``), in bytes."""
    at = -1
    for _ in range(occurrence + 1):
        at = answer.index(span, at + 1)
    start = len(answer[:at].encode())
    return support(start, start + len(span.encode()), positions, span)


def metadata(
    answer: str,
    *,
    sources: Sequence[tuple[str, str]],
    cites: Sequence[tuple[str, Sequence[int]]] = (),
    queries: Sequence[str] = (),
    supports: Sequence[dict[str, Any]] = (),
    raw_uris: bool = False,
) -> dict[str, Any]:
    """groundingMetadata for ``answer``: sources are (title, page URL) pairs."""
    meta: dict[str, Any] = {}
    if queries:
        meta["searchEntryPoint"] = {"renderedContent": entry_point(queries)}
    meta["groundingChunks"] = [
        {"web": {"uri": url if raw_uris else redirect(url), "title": title}}
        for title, url in sources
    ]
    meta["groundingSupports"] = [cite(answer, span, pos) for span, pos in cites] + list(supports)
    if queries:
        meta["webSearchQueries"] = list(queries)
    return meta


def grounded(
    answer: str,
    *,
    sources: Sequence[tuple[str, str]],
    cites: Sequence[tuple[str, Sequence[int]]] = (),
    queries: Sequence[str] = ("fake query",),
    supports: Sequence[dict[str, Any]] = (),
    chunk_chars: int = 20,
    parts_per_chunk: int = 1,
    interval: float = 0.0,
    early_queries: bool = False,
    raw_uris: bool = False,
) -> list[Step]:
    """A streamed grounded answer: text chunks (``parts_per_chunk`` parts each), then the
    finish chunk carrying the metadata."""
    pieces = [answer[i : i + chunk_chars] for i in range(0, len(answer), chunk_chars)]
    steps: list[Step] = []
    for i in range(0, len(pieces), parts_per_chunk):
        parts = tuple({"text": piece} for piece in pieces[i : i + parts_per_chunk])
        early = None
        if early_queries and i == 0:
            early = {
                "searchEntryPoint": {"renderedContent": entry_point(queries)},
                "webSearchQueries": list(queries),
            }
        if interval and steps:
            steps.append(pause(interval))
        steps.append(Chunk(parts=parts, grounding=early))
    last = finish("STOP")
    meta = metadata(
        answer, sources=sources, cites=cites, queries=queries, supports=supports, raw_uris=raw_uris
    )
    if interval:
        steps.append(pause(interval))
    steps.append(Chunk(parts=last.parts, finish_reason=last.finish_reason, grounding=meta))
    return steps
