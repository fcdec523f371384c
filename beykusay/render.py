"""Markdown for the UI: model and user text become sanitized HTML, block by block.

A growing answer is cut into blocks (paragraphs, lists, code fences) by
``BlockSplitter``; each finished block is rendered once and only the growing tail
is rendered again, so streaming costs grow linearly with the answer. Every HTML
string leaving this module has passed nh3; raw HTML in the text is escaped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import markdown2
import nh3

# highlightjs-lang: fenced code inside lists gets a language class instead of pygments spans
EXTRAS = [
    "fenced-code-blocks",
    "highlightjs-lang",
    "tables",
    "strike",
    "cuddled-lists",
    "code-friendly",
]
PROSE_CAP = 2000  # a tail this long is cut at the next list item or heading
CODE_CHUNK = 4096  # lines of an open code fence are parked in chunks of about this size

_TAGS = {
    "a", "b", "blockquote", "br", "button", "code", "del", "div", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "ol": {"start"},
    "button": {"type", "title", "class"},
    "span": {"class"},
    "div": {"class", "data-lang"},
    "pre": {"class"},
    "code": {"class"},
    "td": {"style"},
    "th": {"style"},
}
_ALIGN = re.compile(r"^\s*text-align:\s*(left|right|center);?\s*$")


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "style":
        return value if _ALIGN.match(value) else None
    if attribute == "class":
        return value if re.fullmatch(r"[\w\-+#. ]{1,80}", value) else None
    # html5ever does not escape < > inside attributes; keep "</script>" out of any HTML.
    return value.replace("<", "").replace(">", "")


_cleaner = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    attribute_filter=_attribute_filter,
    link_rel="noopener noreferrer",
    set_tag_attribute_values={"a": {"target": "_blank"}},
    url_schemes={"http", "https", "mailto"},
)


def sanitize(fragment: str) -> str:
    """HTML that is safe to show: only formatting tags, safe links, no scripts or images."""
    clean = _cleaner.clean(fragment)
    return re.sub(r"</(script)", r"&lt;/\1", clean, flags=re.IGNORECASE)


# -- code ----------------------------------------------------------------------------
# Code goes out as escaped text with its language as a class; the browser highlights it
# (pages/static/highlight.js), which keeps what is rendered and sent close to the code's size.


def _language(info: str) -> str:
    word = info.strip().split(maxsplit=1)[0] if info.strip() else ""
    return re.sub(r"[^\w+#.\-]", "", word)[:24]


def code_html(code: str, language: str, *, copy_label: str) -> str:
    """A code block with its language and a copy button; the browser highlights it."""
    lang = _language(language)
    label = html.escape(copy_label)
    head = (
        f'<div class="bk-code-head"><span class="bk-code-lang">{html.escape(lang or "text")}'
        f'</span><button type="button" class="bk-copy" title="{label}">{label}</button></div>'
    )
    language = f' class="language-{lang}"' if lang else ""
    body = f'<pre class="bk-pre"><code{language}>{html.escape(code, quote=False)}</code></pre>'
    return sanitize(f'<div class="bk-code">{head}{body}</div>')


# -- prose ------------------------------------------------------------------------

_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'\b(src|alt)="([^"]*)"')


def _image_as_link(match: re.Match[str]) -> str:
    attrs = dict(_ATTR.findall(match.group(0)))
    src = attrs.get("src", "")
    label = attrs.get("alt") or src or "image"
    return f'<a href="{src}" class="bk-img-link">🖼 {label}</a>'


def prose_html(text: str) -> str:
    """Markdown to safe HTML: raw HTML stays text, images become links, tables scroll."""
    rendered = markdown2.markdown(text, extras=EXTRAS, safe_mode="escape")
    rendered = _IMG.sub(_image_as_link, rendered)
    rendered = rendered.replace("<table>", '<div class="bk-table"><table>')
    rendered = rendered.replace("</table>", "</table></div>")
    return sanitize(rendered)


# -- cutting a growing text into blocks -----------------------------------------------

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})([^`]*)$")
_CUT_HERE = re.compile(r"^(#{1,6} |[-*+] |\d{1,9}[.)] |> )")


@dataclass(frozen=True, slots=True)
class Block:
    """A piece of an answer: prose (paragraphs, lists, tables...) or a code block."""

    kind: str  # "prose" | "code"
    text: str
    language: str = ""

    def html(self, *, copy_label: str = "Copy") -> str:
        if self.kind == "prose":
            return prose_html(self.text)
        return code_html(self.text, self.language, copy_label=copy_label)


@dataclass(slots=True)
class _Fence:
    char: str
    length: int
    language: str
    top: bool  # a top-level fence is its own block; a nested one stays inside its prose
    code: list[str]  # earlier lines of a long open top-level fence (keeps ``buf`` short)


class BlockSplitter:
    """Cuts a growing markdown text into finished blocks and an unfinished tail.

    Only complete lines are looked at, so any way of cutting the same text into
    chunks gives the same blocks. Work per chunk is bounded by the tail's length.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.buf = ""  # the unfinished text, starting where the last block ended
        self.pos = 0  # start of the first line of ``buf`` not yet looked at
        self.fence: _Fence | None = None
        self.blank_before = False  # the last line looked at was blank

    def feed(self, delta: str) -> list[Block]:
        self.buf += delta
        blocks: list[Block] = []
        while True:
            end = self.buf.find("\n", self.pos)
            if end < 0:
                return blocks
            line = self.buf[self.pos : end + 1]
            start = self.pos
            self.pos = end + 1
            self._line(line, start, blocks)

    def _take(self, end: int) -> str:
        text, self.buf = self.buf[:end], self.buf[end:]
        self.pos -= end
        return text

    def _line(self, line: str, start: int, blocks: list[Block]) -> None:
        fence = self.fence
        if fence is not None:
            self._fence_line(fence, line, start, blocks)
            return
        bare = line.rstrip("\n")
        if not bare.strip():
            self.blank_before = True
            return
        indented = line[0] in " \t"
        opening = _FENCE.match(bare)
        prose_before = self.buf[:start].strip()
        if (
            prose_before
            and not indented
            and (
                self.blank_before
                or (opening is not None and not opening.group(1))
                or (start > PROSE_CAP and _CUT_HERE.match(bare))
            )
        ):
            blocks.append(Block("prose", self._take(start)))
        self.blank_before = False
        if opening is not None:
            top = not opening.group(1)
            self.fence = _Fence(
                char=opening.group(2)[0],
                length=len(opening.group(2)),
                language=opening.group(3).strip(),
                top=top,
                code=[],
            )
            if top:
                self._take(self.pos)  # the opening line is not part of the code

    def _fence_line(self, fence: _Fence, line: str, start: int, blocks: list[Block]) -> None:
        bare = line.strip()
        closing = (
            len(line) - len(line.lstrip(" ")) <= 3
            and len(bare) >= fence.length
            and bare == fence.char * len(bare)
        )
        if not fence.top:
            if closing:
                self.fence = None
            return
        if closing:
            code = "".join(fence.code) + self.buf[:start]
            self._take(self.pos)
            blocks.append(Block("code", code, fence.language))
            self.fence = None
            self.blank_before = False
            return
        if self.pos > CODE_CHUNK:  # park finished lines so appends stay cheap
            fence.code.append(self._take(self.pos))

    def tail(self) -> Block | None:
        """The unfinished rest, as it should be shown now (None when there is nothing)."""
        fence = self.fence
        if fence is not None and fence.top:
            return Block("code", "".join(fence.code) + self.buf, fence.language)
        if not self.buf.strip():
            return None
        return Block("prose", self.buf)

    def finish(self) -> list[Block]:
        """Everything not yet given out, as final blocks (an unclosed fence ends here)."""
        fence = self.fence
        blocks: list[Block] = []
        if fence is not None and fence.top:
            blocks.append(Block("code", "".join(fence.code) + self.buf, fence.language))
        elif self.buf.strip():
            blocks.append(Block("prose", self.buf))
        self._reset()
        return blocks


def split_blocks(text: str) -> list[Block]:
    splitter = BlockSplitter()
    return splitter.feed(text) + splitter.finish()


def render_markdown(text: str, copy_label: str = "Copy") -> str:
    """A whole finished text as safe HTML, the same blocks a live answer ends with."""
    return "".join(block.html(copy_label=copy_label) for block in split_blocks(text))
