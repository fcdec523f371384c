"""Citation markers and the sources list as HTML (beykusay.citations)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from beykusay.citations import blocks_with_ends, cited_markdown, entry_point_document, sources_html
from beykusay.render import split_blocks

SOURCES = [
    {"index": 1, "title": "One", "url": "https://one.example/"},
    {"index": 2, "title": "Two", "url": "javascript:alert(1)"},
]


def cite(text: str, part: str, sources: list[int]) -> dict:
    start = text.index(part)
    return {"start": start, "end": start + len(part), "sources": sources}


def test_markers_follow_the_block_and_never_enter_code_or_links() -> None:
    """A paragraph ending in a link gets its marker after the link; a cited line of code
    gets it after the code block, not inside; only http(s) sources are links."""
    text = "See [the page](https://x.example/) here\n\n```\nprint(1)\n```\n\n- a\n- b cited\n"
    html = cited_markdown(
        text,
        [cite(text, "here", [1]), cite(text, "print(1)", [2]), cite(text, "b cited", [2, 1])],
        SOURCES,
    )
    assert '</a> here<sup><a class="bk-cite" href="https://one.example/"' in html
    assert '</code></pre></div><div class="bk-cites"><sup><span class="bk-cite">[2]' in html
    assert "b cited<sup>" in html and html.count("[1]") == 2
    assert "javascript" not in html
    assert 'rel="noopener noreferrer"' in html and 'target="_blank"' in html


def test_marker_titles_are_escaped() -> None:
    """A source title with markup shows as text in the marker's tooltip."""
    text = "Cited."
    html = cited_markdown(
        text,
        [cite(text, "Cited.", [1])],
        [{"index": 1, "title": '"><script>', "url": "https://a.b/"}],
    )
    assert "<script" not in html and 'title="&quot;' in html


@given(st.text(alphabet=st.sampled_from("ab \n`-#>*1.|"), max_size=120))
def test_block_ends_match_the_blocks_the_answer_is_shown_in(text: str) -> None:
    """Whatever the Markdown, markers are placed over the same blocks the answer renders as,
    and each block ends where the next begins or later."""
    found = blocks_with_ends(text)
    assert [block for block, _ in found] == split_blocks(text)
    ends = [end for _, end in found]
    assert ends == sorted(ends) and all(0 <= end <= len(text) for end in ends)


def test_sources_and_queries_are_escaped_and_only_http_links() -> None:
    """Titles and queries with markup show as text; a javascript: source is no link."""
    html = sources_html(
        {
            "sources": [*SOURCES, {"index": 3, "title": "<b>x</b>", "url": "http://www.x.org/p"}],
            "search_queries": ["<img src=x>"],
        },
        heading="Sources",
        searched="Searched for:",
    )
    assert html.count("<a ") == 2 and "javascript" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "x.org" in html and "&lt;img src=x&gt;" in html
    assert sources_html({}, heading="Sources", searched="Searched for:") == ""


def test_the_entry_point_document_fixes_its_colour_scheme_and_allows_nothing_remote() -> None:
    """The suggestions' CSS picks the app's theme, not the system's; the document forbids
    scripts and remote loads and opens its links in a new tab."""
    css = "@media (prefers-color-scheme: dark) { .chip { color: white } }"
    dark, light = entry_point_document(css, "dark"), entry_point_document(css, "light")
    assert "(min-width: 0px)" in dark and "(not (min-width: 0px))" in light
    for document in (dark, light):
        assert "default-src 'none'" in document and '<base target="_blank">' in document


def test_the_entry_point_loses_every_element_that_would_load_something() -> None:
    """A suggestions box with images, scripts, links, frames or a base URL shows only its
    chips: the browser is never asked to fetch anything for it (Chromium's preload scanner
    can fetch an <img> before the document's CSP applies)."""
    rendered = (
        '<style>.chip{color:red}</style><div class="container">'
        '<svg viewBox="0 0 4 4"><path d="M0 0h4"/></svg>'
        '<img src="https://e.example/a.png"><IMG/SRC=//e.example/b.png>'
        '<script src="https://e.example/s.js"></script><script>parent.x=1</script>'
        '<link rel="preload" href="https://e.example/c.css"><iframe src="//e.example"></iframe>'
        '<video poster="//e.example/p.png"><source src="//e.example/v.mp4"></video>'
        '<input type="image" src="//e.example/i.png"><base href="//e.example/">'
        '<a class="chip" href="https://www.google.com/search?q=ankara">ankara</a></div>'
        "<img src=//e.example/unclosed"
    )
    document = entry_point_document(rendered, "light")
    body = document.split("<body>", 1)[1]
    assert "e.example" not in body and "parent.x" not in body
    assert '<a class="chip" href="https://www.google.com/search?q=ankara">ankara</a>' in body
    assert '<path d="M0 0h4"/>' in body and "<style>.chip{color:red}</style>" in body
