"""Markdown for the UI: blocks, chunking, sanitizing, code, images, tables."""

from __future__ import annotations

import random
from html.parser import HTMLParser

import pytest

from beykusay.render import (
    CODE_CHUNK,
    BlockSplitter,
    code_html,
    prose_html,
    render_markdown,
    sanitize,
    split_blocks,
)

SAMPLE = """Intro with **bold**, `code` and <b>raw html</b>.

- one
- two
  continued

1. first

2. second

```python
def f(x):
    return "<script>" # c
```
Right after the fence.

| a | b |
|---|:-:|
| 1 | 2 |

~~~
tilde fence with ``` inside
~~~

> quote
    indented code after a quote

![diagram](https://example.com/x.png) and [a link](https://example.com)
"""

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '[t](https://ok.example "</script><script>alert(1)</script>")',
    "![x](javascript:alert(1))",
    '![a" onerror="alert(1)](https://ok.example/i.png)',
    "```\n</script><script>alert(1)</script>\n```",
    "<style>*{display:none}</style>",
    "<details open ontoggle=alert(1)>x</details>",
    "<<script>alert(1)//<</script>",
]


SAFE_TAGS = {
    "a", "b", "blockquote", "br", "button", "code", "del", "div", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip


class Tags(HTMLParser):
    """Every tag and attribute in an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.attributes += attrs


def chunked(text: str, rng: random.Random) -> list[str]:
    pieces, i = [], 0
    while i < len(text):
        n = rng.randint(1, 9)
        pieces.append(text[i : i + n])
        i += n
    return pieces


def blocks_of(pieces: list[str]) -> list[tuple[str, str]]:
    splitter = BlockSplitter()
    out = []
    for piece in pieces:
        out += splitter.feed(piece)
    out += splitter.finish()
    # code parts are replaced by their whole block when the fence closes
    return [(b.kind, b.text) for b in out]


def test_blocks_follow_markdown_structure() -> None:
    kinds = [(b.kind, b.text.split("\n", 1)[0]) for b in split_blocks(SAMPLE)]
    assert kinds[0] == ("prose", "Intro with **bold**, `code` and <b>raw html</b>.")
    assert ("code", "def f(x):") in kinds
    assert ("code", "tilde fence with ``` inside") in kinds
    assert ("prose", "Right after the fence.") in kinds


@pytest.mark.parametrize("seed", range(30))
def test_any_chunking_gives_the_same_blocks(seed: int) -> None:
    rng = random.Random(seed)
    text = SAMPLE + "\n```js\n" + "let x = 1;\n" * 200 + "```\ntail text"
    assert blocks_of(chunked(text, rng)) == blocks_of([text])


def test_a_long_open_fence_stays_cheap_to_extend() -> None:
    code = "".join(f"line_{n} = {n}\n" for n in range(2000))
    splitter = BlockSplitter()
    finished = []
    for line in ("```python\n" + code + "```\n").splitlines(keepends=True):
        finished += splitter.feed(line)
        assert len(splitter.buf) <= CODE_CHUNK + 40  # appends copy little
        if not finished:
            tail = splitter.tail()
            assert tail is not None and tail.kind == "code"  # shown whole while it grows
    assert [(b.kind, b.text) for b in finished] == [("code", code)]


def test_a_never_ending_paragraph_is_cut_at_list_items() -> None:
    text = "".join(f"- item {n} with some words\n" for n in range(400))
    splitter = BlockSplitter()
    longest = 0
    for line in text.splitlines(keepends=True):
        splitter.feed(line)
        tail = splitter.tail()
        longest = max(longest, len(tail.text) if tail else 0)
    assert longest < 2200


def test_whole_render_is_the_blocks_rendered() -> None:
    assert render_markdown(SAMPLE) == "".join(b.html() for b in split_blocks(SAMPLE))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_come_out_inert(payload: str) -> None:
    html = render_markdown(payload + "\n\nafter")
    assert "</script" not in html.lower()
    tags = Tags()
    tags.feed(html)
    assert tags.names <= SAFE_TAGS
    for name, value in tags.attributes:
        assert not name.startswith("on")
        assert not (value or "").strip().lower().startswith(("javascript:", "data:"))
    assert "after" in html


def test_raw_html_is_shown_as_text() -> None:
    assert "&lt;b&gt;raw html&lt;/b&gt;" in prose_html("<b>raw html</b>")


def test_links_open_in_a_new_tab_without_referrer() -> None:
    html = prose_html("[site](https://example.com)")
    assert 'target="_blank"' in html
    assert 'rel="noopener noreferrer"' in html


def test_images_become_links_and_are_never_fetched() -> None:
    html = prose_html("![cat](https://example.com/cat.png)")
    assert "<img" not in html
    assert 'href="https://example.com/cat.png"' in html
    assert "cat" in html


def test_tables_scroll_in_their_own_box() -> None:
    html = prose_html("| a | b |\n|---|---|\n| 1 | 2 |")
    assert html.startswith('<div class="bk-table"><table>')


def test_code_blocks_have_language_and_copy_button() -> None:
    html = code_html('print("hi")\n', "python", copy_label="Copy")
    assert 'class="bk-copy"' in html and ">Copy</button>" in html
    assert 'class="bk-code-lang">python<' in html
    assert '<code class="language-python">print("hi")' in html  # the browser highlights it
    assert "&lt;b&gt;" in code_html("<b>\n", "", copy_label="Copy")
    assert 'language-c++"' in code_html("int x;\n", "c++ {.numbered}", copy_label="Copy")
    assert "<script" not in code_html("x\n", '"><script>', copy_label="Copy")


def test_sanitize_keeps_only_formatting() -> None:
    """Model HTML keeps its formatting but loses handlers and styles; a table cell
    outside any table is dropped by the HTML parser, leaving only its text."""
    assert sanitize('<p onclick="x()">hi</p>') == "<p>hi</p>"
    assert sanitize('<td style="color:red">x</td>') == "x"
