"""Gemini's grounding metadata as numbered sources and code-point citations (pure).

The property test's scope: any Unicode text (Cyrillic, emoji, CJK, combining marks,
astral characters: everything UTF-8 can encode), split into any text parts, and any
span of it given as UTF-8 byte offsets comes back as the code-point span of the very
same characters; a byte offset that falls inside a character never yields a citation.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from beykusay.grounding import (
    Citation,
    Grounding,
    GroundingCollector,
    Source,
    char_span,
    domain,
    linkable,
    message_fields,
    onto_content,
    stored,
)
from tests.fakegrounding import metadata, support

PAGES = [
    ("wikipedia.org", "https://en.wikipedia.org/wiki/Istanbul"),
    ("example.com", "https://example.com/"),
]


def byte_offsets(text: str, start: int, end: int) -> tuple[int, int]:
    return len(text[:start].encode()), len(text[:end].encode())


@given(st.text(min_size=1), st.data())
def test_any_span_given_in_bytes_names_the_same_characters(text: str, data: st.DataObject) -> None:
    """Whatever a user's answer holds before a cited sentence, the marker lands after
    exactly the characters Gemini meant."""
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    assert char_span(text.encode(), *byte_offsets(text, start, end)) == (start, end)


@given(st.text(min_size=1), st.data())
def test_a_byte_offset_inside_a_character_is_never_a_citation(
    text: str, data: st.DataObject
) -> None:
    """A span that cuts a character in two is dropped, not moved to a guessed place."""
    raw = text.encode()
    start = data.draw(st.integers(-2, len(raw) + 2))
    end = data.draw(st.integers(-2, len(raw) + 2))
    found = char_span(raw, start, end)
    whole = 0 <= start < end <= len(raw)
    inside = any(0 < offset < len(raw) and (raw[offset] & 0xC0) == 0x80 for offset in (start, end))
    if not whole or inside:
        assert found is None
    else:
        assert found is not None
        assert text[found[0] : found[1]].encode() == raw[start:end]


@given(st.lists(st.text(min_size=1), min_size=1, max_size=6), st.data())
def test_spans_over_many_text_parts_name_the_same_characters(
    parts: list[str], data: st.DataObject
) -> None:
    """An answer streamed in any number of pieces is cited as one text."""
    text = "".join(parts)
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    collector = GroundingCollector()
    for part in parts:
        collector.add_part(part)
    first, last = byte_offsets(text, start, end)
    collector.add_metadata(
        {
            "groundingChunks": [{"web": {"uri": "https://a.example/", "title": "a"}}],
            "groundingSupports": [support(first, last, [0], text[start:end])],
        }
    )
    assert collector.result().citations == (Citation(start, end, (1,)),)


def test_cyrillic_emoji_and_cjk_before_a_span() -> None:
    """Text in three scripts and an emoji before the cited sentence: the citation covers
    exactly that sentence."""
    answer = "Привет, мир! 🌍🇹🇷 東京は大きい。Istanbul spans two continents. Конец."
    collector = GroundingCollector()
    collector.add_part(answer)
    collector.add_metadata(
        metadata(answer, sources=PAGES, cites=[("Istanbul spans two continents.", [0, 1])])
    )
    (found,) = collector.result().citations
    assert answer[found.start : found.end] == "Istanbul spans two continents."
    assert found.sources == (1, 2)


def test_supports_after_their_text_and_before_it() -> None:
    """Metadata in a later chunk than its text is placed; a support whose text has not
    arrived yet waits for it, and one whose text never comes is dropped."""
    answer = "Ёлки растут медленно. 🎄 Later text."
    collector = GroundingCollector()
    collector.add_part(answer[:22])
    meta = metadata(
        answer, sources=PAGES, cites=[("Ёлки растут медленно.", [0]), ("Later text.", [1])]
    )
    assert collector.add_metadata(meta)
    assert [answer[c.start : c.end] for c in collector.result().citations] == [
        "Ёлки растут медленно."
    ]
    assert collector.add_part(answer[22:])  # the waiting support lands
    assert [answer[c.start : c.end] for c in collector.result().citations] == [
        "Ёлки растут медленно.",
        "Later text.",
    ]
    never = GroundingCollector()
    never.add_part("short")
    never.add_metadata(
        {
            "groundingChunks": metadata(answer, sources=PAGES)["groundingChunks"],
            "groundingSupports": [support(0, 500, [0], None)],
        }
    )
    assert never.result().citations == ()


def test_a_part_index_counts_merged_parts_and_thoughts() -> None:
    """With ``partIndex``, offsets count from that part (thought parts are parts too)."""
    collector = GroundingCollector()
    collector.add_part("Let me think", thought=True)
    collector.add_part("Überall ")
    collector.add_part("Sonne.")
    span = "Sonne."
    meta = {
        "groundingChunks": [{"web": {"uri": "https://s.example/", "title": "s"}}],
        "groundingSupports": [
            {
                "segment": {
                    "partIndex": 1,
                    "startIndex": len("Überall ".encode()),
                    "endIndex": len("Überall Sonne.".encode()),
                    "text": span,
                },
                "groundingChunkIndices": [0],
            },
            {"segment": {"partIndex": 0, "endIndex": 3}, "groundingChunkIndices": [0]},
        ],
    }
    collector.add_metadata(meta)
    assert collector.result().citations == (Citation(8, 14, (1,)),)  # the thought's span is dropped


def test_spans_that_do_not_land_inside_the_text_are_dropped() -> None:
    """Offsets inside a character, past the end, or with the wrong text: no marker."""
    answer = "Дом стоит. House."
    collector = GroundingCollector()
    collector.add_part(answer)
    collector.add_metadata(
        metadata(
            answer,
            sources=PAGES,
            supports=[
                support(1, 5, [0], None),  # inside "Д"
                support(0, 4, [0], "Wrong"),  # the text disagrees
                support(5, 3, [0], None),  # reversed
                support(0, 7, [7], None),  # no such source
            ],
            cites=[("House.", [1])],
        )
    )
    assert collector.result().citations == (Citation(11, 17, (2,)),)


def test_sources_are_numbered_in_geminis_order_once_per_url() -> None:
    """The same page twice is one source; numbers follow Gemini's order from 1, and a
    later chunk's metadata keeps the numbers it already had."""
    answer = "One. Two. Three."
    pages = [("b.org", "https://b.org/"), ("a.org", "https://a.org/"), ("b.org", "https://b.org/")]
    collector = GroundingCollector()
    collector.add_part(answer)
    collector.add_metadata(
        metadata(answer, sources=pages, cites=[("One.", [2]), ("Two.", [1, 0])], raw_uris=True)
    )
    collector.add_metadata(
        metadata(answer, sources=pages[1:], cites=[("Three.", [0]), ("One.", [1])], raw_uris=True)
    )
    result = collector.result()
    assert result.sources == (
        Source(1, "b.org", "https://b.org/"),
        Source(2, "a.org", "https://a.org/"),
    )
    assert result.citations == (
        Citation(0, 4, (1,)),
        Citation(5, 9, (2, 1)),
        Citation(10, 16, (2,)),
    )


def test_queries_and_entry_point_are_kept_once() -> None:
    """Search queries appear once each, in order; the entry point is the latest."""
    collector = GroundingCollector()
    collector.add_part("x")
    assert collector.add_metadata(
        {"webSearchQueries": ["a", "b"], "searchEntryPoint": {"renderedContent": "<div>1</div>"}}
    )
    assert not collector.add_metadata(
        {"webSearchQueries": ["b", "a"], "searchEntryPoint": {"renderedContent": "<div>1</div>"}}
    )
    result = collector.result()
    assert result.search_queries == ("a", "b") and result.search_entry_point == "<div>1</div>"


def test_citations_move_onto_content_without_a_think_block() -> None:
    """The stored content lacks the model's leading <think> block: spans follow the text;
    where the content differs otherwise, no citation is guessed."""
    raw = "<think>hm</think>Answer here."
    grounding = Grounding((Source(1, "t", "https://t.example/"),), (Citation(17, 23, (1,)),))
    moved = onto_content(grounding, raw, "Answer here.")
    assert moved.citations == (Citation(0, 6, (1,)),)
    assert onto_content(grounding, raw, "Something else").citations == ()
    assert onto_content(grounding, raw, raw).citations == grounding.citations


def test_stored_fields_round_trip_and_empty_lists() -> None:
    """A message without web search shows empty lists; stored grounding reads back."""
    assert message_fields(None, None) == {
        "sources": [],
        "citations": [],
        "search_queries": [],
        "search_entry_point": None,
    }
    grounding = Grounding(
        (Source(1, "Т", "https://t.example/"),), (Citation(0, 2, (1,)),), ("q",), "<b>"
    )
    fields = message_fields(stored(grounding), "<b>")
    assert fields["sources"] == [{"index": 1, "title": "Т", "url": "https://t.example/"}]
    assert fields["citations"] == [{"start": 0, "end": 2, "sources": [1]}]
    assert fields["search_queries"] == ["q"]
    assert message_fields("not json", None)["sources"] == []


def test_only_http_urls_are_links() -> None:
    """javascript:, data: and other schemes are never links; the domain is shown bare."""
    assert linkable("https://example.com/a") and linkable("http://example.com")
    for bad in (
        "javascript:alert(1)",
        "data:text/html,x",
        "ftp://x.org",
        "//x.org",
        "https://",
        " JavaScript:x",
    ):
        assert not linkable(bad)
    assert domain("https://www.example.com/page") == "example.com"
    assert domain("http://[::1") == ""
