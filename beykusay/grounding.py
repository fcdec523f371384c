"""Web search grounding: Gemini's ``grounding_metadata`` as numbered sources and citations.

Gemini reports each supported span of its answer as UTF-8 *byte* offsets (``segment``
``startIndex``/``endIndex``, the start left out when it is 0) into the answer's text,
and the sources as a list of ``groundingChunks`` that the supports point into by
position. Here they become what the API shows: sources numbered from 1 in Gemini's
order (one number per URL), and citations as spans of the answer in code points.

Offsets without a ``partIndex`` (what streamed answers carry) count from the start of
the whole answer text, however many parts and chunks it came in. A ``partIndex``
counts the parts of the candidate as Gemini merges them (consecutive text parts of
one kind are one part; thought parts count too), and the offsets are then relative to
the start of that part. A span that does not fall on character boundaries inside the
answer, or whose ``segment.text`` disagrees with the answer, is dropped, never guessed.
Supports may arrive in a later chunk than their text; one whose text has not arrived
yet waits for it and is dropped if it never comes.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Source:
    index: int  # from 1, in Gemini's order
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Citation:
    start: int  # code points into the answer's content; end exclusive
    end: int
    sources: tuple[int, ...]  # Source.index values


@dataclass(frozen=True, slots=True)
class Grounding:
    """What web search added to an answer (spans in code points of the provider's text)."""

    sources: tuple[Source, ...] = ()
    citations: tuple[Citation, ...] = ()
    search_queries: tuple[str, ...] = ()
    search_entry_point: str | None = None  # Gemini's rendered suggestion chips (HTML)

    def __bool__(self) -> bool:
        return bool(
            self.sources or self.citations or self.search_queries or self.search_entry_point
        )


# -- byte offsets --------------------------------------------------------------------


def is_boundary(data: bytes, offset: int) -> bool:
    """Whether ``offset`` falls between two characters of UTF-8 ``data`` (or at an end)."""
    if offset < 0 or offset > len(data):
        return False
    return offset == len(data) or (data[offset] & 0xC0) != 0x80


def char_span(data: bytes, start: int, end: int) -> tuple[int, int] | None:
    """UTF-8 byte offsets ``[start, end)`` into ``data`` as code-point offsets into its text.

    None when the span is empty, reversed, outside the text or cuts a character.
    """
    if not (0 <= start < end <= len(data)):
        return None
    if not (is_boundary(data, start) and is_boundary(data, end)):
        return None
    first = len(data[:start].decode("utf-8"))
    return first, first + len(data[start:end].decode("utf-8"))


# -- collecting metadata as it streams --------------------------------------------------


def _get(obj: Any, name: str) -> Any:
    """A field of an SDK object or of a plain dict (tests), by its snake_case name."""
    if isinstance(obj, dict):
        camel = "".join(w.capitalize() if i else w for i, w in enumerate(name.split("_")))
        return obj.get(name, obj.get(camel))
    return getattr(obj, name, None)


@dataclass(slots=True)
class _Part:
    thought: bool
    start: int  # index of the part's first piece in the answer text (answer parts only)


@dataclass(slots=True)
class _Support:
    start: int
    end: int
    part: int | None
    text: str | None
    sources: tuple[int, ...]


def _utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


@dataclass(slots=True)
class _AnswerText:
    """The answer's text as the pieces it came in; offsets are worked out only when asked.

    Adding a piece is an append; a byte offset is converted to code points by finding its
    piece and decoding that piece alone, so neither costs the length of the whole answer.
    """

    pieces: list[str] = field(default_factory=list)
    _byte_starts: list[int] = field(default_factory=list)  # of pieces[:len(...)]
    _char_starts: list[int] = field(default_factory=list)
    _bytes: int = 0  # UTF-8 length of the indexed pieces
    _chars: int = 0

    def add(self, text: str) -> None:
        self.pieces.append(text)

    def _index(self) -> None:
        """Catch the offsets up with the pieces added since the last call."""
        for piece in self.pieces[len(self._byte_starts) :]:
            self._byte_starts.append(self._bytes)
            self._char_starts.append(self._chars)
            self._bytes += _utf8_length(piece)
            self._chars += len(piece)

    def byte_length(self) -> int:
        self._index()
        return self._bytes

    def byte_start(self, piece: int) -> int:
        """The byte offset of ``pieces[piece]`` (the end of the text for the next piece)."""
        self._index()
        return self._byte_starts[piece] if piece < len(self._byte_starts) else self._bytes

    def char_offset(self, offset: int) -> int | None:
        """A byte offset as code points; None outside the text or inside a character."""
        self._index()
        if offset == self._bytes:
            return self._chars
        if not 0 <= offset < self._bytes:
            return None
        i = bisect_right(self._byte_starts, offset) - 1
        local, piece = offset - self._byte_starts[i], self.pieces[i]
        if piece.isascii():
            return self._char_starts[i] + local
        data = piece.encode("utf-8")
        if not is_boundary(data, local):
            return None
        return self._char_starts[i] + len(data[:local].decode("utf-8"))

    def chars(self, start: int, end: int) -> str:
        """The text's code points ``[start, end)``, joined from the pieces they lie in."""
        self._index()
        first = bisect_right(self._char_starts, start) - 1
        last = bisect_right(self._char_starts, end - 1)
        joined = "".join(self.pieces[first:last])
        base = self._char_starts[first]
        return joined[start - base : end - base]


@dataclass
class GroundingCollector:
    """Reads one answer's stream: its text parts and every ``grounding_metadata`` seen."""

    _text: _AnswerText = field(default_factory=_AnswerText)
    _parts: list[_Part] = field(default_factory=list)
    _urls: dict[str, int] = field(default_factory=dict)
    _sources: list[Source] = field(default_factory=list)
    _citations: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    _queries: list[str] = field(default_factory=list)
    _entry: str | None = None
    _waiting: list[_Support] = field(default_factory=list)
    _numbers: list[int | None] = field(default_factory=list)  # the last chunk list seen

    def add_part(self, text: str, *, thought: bool = False) -> bool:
        """A text part of the answer, in order; True if it let waiting supports land."""
        if not self._parts or self._parts[-1].thought != thought:
            self._parts.append(_Part(thought, len(self._text.pieces)))
        if thought or not text:
            return False
        self._text.add(text)
        if not self._waiting:
            return False
        waiting, self._waiting = self._waiting, []
        return any([self._place(support) for support in waiting])

    def add_metadata(self, metadata: Any) -> bool:
        """One chunk's ``grounding_metadata``; True if anything shown changed."""
        changed = False
        for query in _get(metadata, "web_search_queries") or ():
            if isinstance(query, str) and query and query not in self._queries:
                self._queries.append(query)
                changed = True
        entry = _get(metadata, "search_entry_point")
        rendered = _get(entry, "rendered_content") if entry is not None else None
        if isinstance(rendered, str) and rendered and rendered != self._entry:
            self._entry = rendered
            changed = True
        chunks = _get(metadata, "grounding_chunks")
        if chunks:  # supports point into the chunk list they came with (or the last one)
            numbers = [self._number(chunk) for chunk in chunks]
            changed = changed or any(number is not None and number[1] for number in numbers)
            self._numbers = [number[0] if number else None for number in numbers]
        for support in _get(metadata, "grounding_supports") or ():
            read = _read_support(support, self._numbers)
            if read is not None:
                changed = self._place(read) or changed
        return changed

    def _number(self, chunk: Any) -> tuple[int, bool] | None:
        """The source number of a grounding chunk, and whether it is new; None if no web."""
        web = _get(chunk, "web")
        url = _get(web, "uri") if web is not None else None
        if not isinstance(url, str) or not url:
            return None
        if url in self._urls:
            return self._urls[url], False
        title = _get(web, "title")
        index = len(self._sources) + 1
        self._sources.append(Source(index, title if isinstance(title, str) else "", url))
        self._urls[url] = index
        return index, True

    def _place(self, support: _Support) -> bool:
        """Add the support's citation if its span is in the text; True if that changed it."""
        base = 0
        if support.part is not None:
            if not (0 <= support.part < len(self._parts)) or self._parts[support.part].thought:
                return False
            base = self._text.byte_start(self._parts[support.part].start)
        start, end = base + support.start, base + support.end
        if end > self._text.byte_length():
            self._waiting.append(support)  # its text is still on the way
            return False
        if not 0 <= start < end:
            return False
        first, last = self._text.char_offset(start), self._text.char_offset(end)
        if first is None or last is None:
            return False
        if support.text is not None and self._text.chars(first, last) != support.text:
            return False
        cited = self._citations.setdefault((first, last), [])
        new = [index for index in support.sources if index not in cited]
        cited.extend(new)
        return bool(new)

    def result(self) -> Grounding:
        citations = tuple(
            Citation(start, end, tuple(sources))
            for (start, end), sources in sorted(self._citations.items())
            if sources
        )
        return Grounding(tuple(self._sources), citations, tuple(self._queries), self._entry)


def _read_support(support: Any, numbers: list[int | None]) -> _Support | None:
    segment = _get(support, "segment")
    if segment is None:
        return None
    start, end = _get(segment, "start_index") or 0, _get(segment, "end_index")
    part, text = _get(segment, "part_index"), _get(segment, "text")
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    sources: list[int] = []
    for position in _get(support, "grounding_chunk_indices") or ():
        if isinstance(position, int) and 0 <= position < len(numbers):
            number = numbers[position]
            if number is not None and number not in sources:
                sources.append(number)
    if not sources:
        return None
    return _Support(
        start,
        end,
        part if isinstance(part, int) else None,
        text if isinstance(text, str) else None,
        tuple(sources),
    )


# -- from the provider's text to the stored content ---------------------------------------


def onto_content(grounding: Grounding, raw: str, content: str) -> Grounding:
    """The citations moved from the provider's raw text onto the stored content.

    The content is the raw text with a leading ``<think>`` block taken out (or the raw
    text itself); a span is kept only where the content holds the very same characters.
    """
    if raw.startswith(content):
        shift = 0
    elif raw.endswith(content):
        shift = len(raw) - len(content)
    else:
        return Grounding(
            grounding.sources, (), grounding.search_queries, grounding.search_entry_point
        )
    kept = tuple(
        Citation(c.start - shift, c.end - shift, c.sources)
        for c in grounding.citations
        if c.start - shift >= 0
        and c.end - shift <= len(content)
        and content[c.start - shift : c.end - shift] == raw[c.start : c.end]
    )
    return Grounding(
        grounding.sources, kept, grounding.search_queries, grounding.search_entry_point
    )


# -- as the API shows and stores it -------------------------------------------------------


def as_json(grounding: Grounding) -> dict[str, Any]:
    """The message fields: sources, citations and search queries (empty lists when none)."""
    return {
        "sources": [{"index": s.index, "title": s.title, "url": s.url} for s in grounding.sources],
        "citations": [
            {"start": c.start, "end": c.end, "sources": list(c.sources)}
            for c in grounding.citations
        ],
        "search_queries": list(grounding.search_queries),
    }


def sources_event(grounding: Grounding) -> dict[str, Any]:
    """The ``sources`` event of a streaming answer."""
    return {
        "type": "sources",
        **as_json(grounding),
        "search_entry_point": grounding.search_entry_point,
    }


def stored(grounding: Grounding) -> str | None:
    """The JSON kept in ``Message.grounding`` (None when web search added nothing)."""
    return json.dumps(as_json(grounding), ensure_ascii=False) if grounding else None


def message_fields(raw: str | None, entry_point: str | None) -> dict[str, Any]:
    """A message's grounding fields from what is stored; empty lists when none."""
    fields: dict[str, Any] = {"sources": [], "citations": [], "search_queries": []}
    if raw:
        try:
            loaded = json.loads(raw)
        except ValueError:
            loaded = {}
        if isinstance(loaded, dict):
            fields.update({k: loaded[k] for k in fields if isinstance(loaded.get(k), list)})
    fields["search_entry_point"] = entry_point
    return fields


def domain(url: str) -> str:
    """The host a source's URL names ("" when it names none)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def linkable(url: str) -> bool:
    """Only http(s) URLs with a host become links."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
