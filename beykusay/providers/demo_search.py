"""The demo provider's web search: two fake, labelled example sources, so the UI shows offline."""

from __future__ import annotations

from beykusay.grounding import Citation, Grounding, Source

SEARCHED = """
**Web search (demo).** Nothing was searched: these two sources are made-up examples \
that show how a grounded answer looks.

The first example source supports this sentence.

The second example source supports this one, and so does the first.
"""

SOURCES = (
    Source(1, "Example source one (demo, not a real search result)", "https://example.com/"),
    Source(2, "Example source two (demo, not a real search result)", "https://example.org/"),
)
QUERIES = ("demo web search (nothing was searched)",)
ENTRY_POINT = (
    "<style>.demo-chip{display:inline-block;padding:4px 12px;border:1px solid #999;"
    "border-radius:16px;font:13px sans-serif}</style>"
    '<div class="demo-chip">Search suggestions appear here (demo)</div>'
)
CITED = (
    ("The first example source supports this sentence.", (1,)),
    ("The second example source supports this one, and so does the first.", (2, 1)),
)


def grounding_for(text: str) -> Grounding:
    """The example grounding of a demo answer that ends with ``SEARCHED``."""
    citations = []
    for sentence, sources in CITED:
        start = text.rindex(sentence)
        citations.append(Citation(start, start + len(sentence), sources))
    return Grounding(SOURCES, tuple(citations), QUERIES, ENTRY_POINT)
