"""Behaviour tests for beykusay.think.ThinkSplitter."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beykusay.think import ThinkSplitter


def run(
    chunks: list[str], *, start_in_think: bool = False, complete: bool = True
) -> tuple[ThinkSplitter, list[tuple[str, str]]]:
    sp = ThinkSplitter(start_in_think=start_in_think)
    deltas: list[tuple[str, str]] = []
    for c in chunks:
        deltas += sp.feed(c)
    deltas += sp.finish(complete=complete)
    return sp, deltas


def split(chunks: list[str], **kw: bool) -> tuple[str, str]:
    sp, deltas = run(chunks, **kw)
    check_invariants(sp, deltas)
    return sp.thinking, sp.text


def check_invariants(sp: ThinkSplitter, deltas: list[tuple[str, str]]) -> None:
    assert all(s for _, s in deltas), "empty delta"
    assert all(ch in ("thinking", "text") for ch, _ in deltas)
    assert "".join(s for ch, s in deltas if ch == "thinking") == sp.thinking
    assert "".join(s for ch, s in deltas if ch == "text") == sp.text


_CLOSED = re.compile(r"\s*<think>(.*?)</think>\s*(.*)", re.S)
_OPEN = re.compile(r"\s*<think>(.*)", re.S)
_CLOSED_PRE = re.compile(r"(.*?)</think>\s*(.*)", re.S)


def reference(s: str, *, start_in_think: bool = False, complete: bool = True) -> tuple[str, str]:
    """Non-incremental (thinking, text) of a whole output."""
    m = (_CLOSED_PRE if start_in_think else _CLOSED).fullmatch(s)
    if m:
        return m[1].strip(), m[2]
    m = None if start_in_think else _OPEN.fullmatch(s)
    if not start_in_think and not m:
        return "", s
    thinking = (m[1] if m else s).strip()
    return thinking, thinking if complete else ""


# --- streaming / hold-back -------------------------------------------------------------


def test_plain_text_is_emitted_immediately() -> None:
    sp = ThinkSplitter()
    assert sp.feed("Hello wor") == [("text", "Hello wor")]
    assert sp.feed("ld <") == [("text", "ld <")]  # answer started: nothing held back
    assert sp.feed("think>") == [("text", "think>")]
    assert sp.finish() == []
    assert (sp.thinking, sp.text, sp.in_think) == ("", "Hello world <think>", False)


def test_only_possible_tag_prefix_is_held() -> None:
    sp = ThinkSplitter()
    assert sp.feed("  \n") == []  # leading whitespace waits for the first real char
    assert sp.feed("<thi") == []
    assert sp.feed("s is html>") == [("text", "  \n<this is html>")]
    sp = ThinkSplitter()
    assert sp.feed("<b>") == [("text", "<b>")]


def test_thinking_streams_and_holds_only_whitespace_and_partial_close() -> None:
    sp = ThinkSplitter()
    assert sp.feed("<think>\nStep one") == [("thinking", "Step one")]
    assert sp.in_think
    assert sp.feed(".\n\n") == [("thinking", ".")]
    assert sp.feed("Step two </th") == [("thinking", "\n\nStep two")]
    assert sp.feed("ink>\n\nAnswer") == [("text", "Answer")]
    assert not sp.in_think
    assert sp.feed(" </think> <think>") == [("text", " </think> <think>")]
    assert sp.finish() == []
    assert sp.thinking == "Step one.\n\nStep two"
    assert sp.text == "Answer </think> <think>"


# --- block structure ---------------------------------------------------------------------


def test_think_then_answer() -> None:
    assert split(["<think>reasoning</think>The answer."]) == ("reasoning", "The answer.")


@pytest.mark.parametrize(
    "full",
    [
        "  <think>\n plan  a\n</think>\n\nAnswer <b>x</b>",
        "<think></think>Answer",
        "<think>a </thin b</think>c",
        "<think>x</think>",
    ],
)
def test_every_split_point(full: str) -> None:
    expected = split([full])
    for i in range(len(full) + 1):
        assert split([full[:i], full[i:]]) == expected, i
        for j in range(i, len(full) + 1):
            assert split([full[:i], full[i:j], full[j:]]) == expected, (i, j)
    assert split(list(full)) == expected


def test_split_tags_at_every_position() -> None:
    full = "<think>deep thought</think>Answer"
    for i in range(len(full) + 1):
        sp, deltas = run([full[:i], full[i:]])
        check_invariants(sp, deltas)
        assert (sp.thinking, sp.text) == ("deep thought", "Answer"), i


def test_start_in_think() -> None:
    assert split(["\nI think", " so.\n</th", "ink>\n\nYes."], start_in_think=True) == (
        "I think so.",
        "Yes.",
    )
    sp = ThinkSplitter(start_in_think=True)
    assert sp.in_think
    assert sp.feed("</think>Hi") == [("text", "Hi")]
    assert sp.thinking == ""


def test_unclosed_block_complete_becomes_text() -> None:
    sp, deltas = run(["<think>half a tho", "ught  \n"], complete=True)
    check_invariants(sp, deltas)
    assert deltas[-1] == ("text", "half a thought")
    assert (sp.thinking, sp.text) == ("half a thought", "half a thought")
    assert sp.in_think


def test_unclosed_block_incomplete_stays_thinking() -> None:
    sp, deltas = run(["<think>half a tho", "ught </thi"], complete=False)
    check_invariants(sp, deltas)
    assert (sp.thinking, sp.text) == ("half a thought </thi", "")
    assert split(["\nstill thinking"], start_in_think=True, complete=False) == (
        "still thinking",
        "",
    )
    assert split(["\nstill thinking"], start_in_think=True) == ("still thinking",) * 2


def test_literal_tags_inside_answer_stay_text() -> None:
    full = "Use the <think> tag like:\n```\n<think>x</think>\n```\n"
    assert split([full]) == ("", full)
    code = "```html\n<think>\n</think>\n```"
    assert split([code]) == ("", code)
    assert split(["<think>t</think>ok ```<think>z</think>```"]) == (
        "t",
        "ok ```<think>z</think>```",
    )


def test_close_without_opener_is_text() -> None:
    assert split(["</think>Answer"]) == ("", "</think>Answer")
    assert split(["hi </th", "ink>"]) == ("", "hi </think>")


def test_second_block_is_text() -> None:
    assert split(["<think>a</think>\n<think>b</think>c"]) == ("a", "<think>b</think>c")


def test_empty_think_block() -> None:
    assert split(["<think>\n\n</think>\n\nHello"]) == ("", "Hello")
    assert split(["<think></think>"]) == ("", "")


def test_whitespace_tidying() -> None:
    assert split([" \n<think> \n a \n\n b \t\n</think> \n\t answer \n"]) == (
        "a \n\n b",
        "answer \n",
    )
    assert split(["  plain\n"]) == ("", "  plain\n")  # no block: untouched
    assert split(["  \n"]) == ("", "  \n")


@pytest.mark.parametrize("rest", ["ing>", "er>", " >", "\n", "x"])
def test_lookalike_tags_are_text(rest: str) -> None:
    sp = ThinkSplitter()
    assert sp.feed("<think") == []  # could still become "<think>"
    assert sp.feed(rest) == [("text", "<think" + rest)]  # released as soon as it cannot
    full = f"<think{rest}x</think>y"
    for i in range(len(full) + 1):
        assert split([full[:i], full[i:]]) == ("", full)
    assert split(["<Think>x</think>y"]) == ("", "<Think>x</think>y")


def test_partial_tag_at_end_is_flushed() -> None:
    assert split(["  <thin"]) == ("", "  <thin")
    assert split(["<think>x </th"], complete=False) == ("x </th", "")
    assert split(["<think> </th"], complete=False) == ("</th", "")


def test_finish_is_idempotent_and_feed_after_finish_fails() -> None:
    sp = ThinkSplitter()
    sp.feed("<think>x")
    assert sp.finish() == [("text", "x")]
    assert sp.finish() == []
    with pytest.raises(RuntimeError):
        sp.feed("more")


# --- property tests ------------------------------------------------------------------------

FRAGMENTS = [
    "<think>", "</think>", "<th", "ink>", "</th", "<", ">", "/", " ", "  ", "\n", "\t",
    "a", "b", "think", "```", "привет", "я думаю", "<thinking>", "x\n",
]  # fmt: skip
texts = st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join)


@st.composite
def chunked(draw: st.DrawFn) -> tuple[str, list[str]]:
    s = draw(texts)
    cuts = sorted(draw(st.lists(st.integers(0, len(s)), max_size=12)))
    bounds = [0, *cuts, len(s)]
    return s, [s[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=300, deadline=None)
@given(chunked(), st.booleans(), st.booleans())
def test_chunking_independent_and_matches_reference(
    case: tuple[str, list[str]], start_in_think: bool, complete: bool
) -> None:
    s, chunks = case
    kw = {"start_in_think": start_in_think, "complete": complete}
    whole, whole_deltas = run([s], **kw)
    parts, part_deltas = run(chunks, **kw)
    check_invariants(whole, whole_deltas)
    check_invariants(parts, part_deltas)
    expected = reference(s, **kw)
    assert (whole.thinking, whole.text) == expected
    assert (parts.thinking, parts.text) == expected
    for ch in ("thinking", "text"):
        assert "".join(x for c, x in part_deltas if c == ch) == "".join(
            x for c, x in whole_deltas if c == ch
        )


@settings(max_examples=200, deadline=None)
@given(texts, st.booleans())
def test_streaming_is_prompt_and_never_retracts(s: str, start_in_think: bool) -> None:
    """Fed char by char, the output so far is a prefix of the final output; with no tag
    at the start, nothing but leading whitespace / a partial "<think>" is held back."""
    final = split([s], start_in_think=start_in_think, complete=False)
    sp = ThinkSplitter(start_in_think=start_in_think)
    plain = not start_in_think and not s.lstrip().startswith("<")
    for i, ch in enumerate(s, 1):
        sp.feed(ch)
        assert final[0].startswith(sp.thinking) and final[1].startswith(sp.text)
        if plain and s[:i].strip():
            assert sp.text == s[:i]
