"""The /v1 translation on its own (no server): what a client's request becomes for Gemini,
and how Gemini's endings read in OpenAI's words."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from beykusay.openai_compat.chunks import Completion, finish_reason, usage_json
from beykusay.openai_compat.errors import OpenAIError
from beykusay.openai_compat.messages import build_request, conversation, inline_image, sampling
from beykusay.openai_compat.schemas import ChatCompletionRequest, ChatMessage, ImagePart
from beykusay.providers.base import InlineData, Usage
from beykusay.services.completions import BLOCKED, Ending, Piece
from tests.serverproc import ROOT
from tests.v1clients import PNG, PNG_URL

GEMINI = {"BeykusSmall": "g-small", "BeykusChat": "g-chat", "BeykusSmallR": "g-r"}


def request(**body: object) -> ChatCompletionRequest:
    return ChatCompletionRequest.model_validate(
        {"model": "BeykusChat", "messages": [{"role": "user", "content": "q"}], **body}
    )


def image(url: str) -> ImagePart:
    return ImagePart.model_validate({"type": "image_url", "image_url": {"url": url}})


def test_consecutive_messages_of_one_role_become_one_turn_in_order() -> None:
    """Two user messages in a row reach Gemini as one user turn with both parts."""
    messages = [
        ChatMessage(role="user", content="one"),
        ChatMessage(role="user", content=[{"type": "text", "text": "two"}, image(PNG_URL)]),  # type: ignore[list-item]
        ChatMessage(role="assistant", content=None),  # a tool call only: nothing to send
        ChatMessage(role="assistant", content="three"),
    ]
    system, turns = conversation(messages)
    assert system == []
    assert [(t.role, t.parts) for t in turns] == [
        ("user", ("one", "two", InlineData("image/png", PNG))),
        ("model", ("three",)),
    ]


def test_an_image_outside_a_user_message_is_refused() -> None:
    with pytest.raises(OpenAIError) as caught:
        conversation([ChatMessage(role="system", content=[image(PNG_URL)])])  # type: ignore[list-item]
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a.png",
        "data:image/png;base64,@@@",
        "data:text/plain;base64,aGk=",
        "data:image/png;base64,",
        "data:image/png,rawbytes",
    ],
)
def test_only_non_empty_base64_data_urls_of_image_types_are_accepted(url: str) -> None:
    with pytest.raises(OpenAIError) as caught:
        inline_image(image(url), "p")
    assert caught.value.status == 400 and caught.value.param == "p"


def test_a_data_url_with_extra_parameters_and_any_case_is_read() -> None:
    data = base64.b64encode(PNG).decode()
    found = inline_image(image(f"data:IMAGE/PNG;name=x.png;base64,{data}"), "p")
    assert found == InlineData("image/png", PNG)


def test_sampling_prefers_max_completion_tokens_and_caps_stop_sequences() -> None:
    params = sampling(request(max_tokens=10, max_completion_tokens=20, stop=["a", "", "b"]))
    assert params.max_output_tokens == 20 and params.stop_sequences == ("a", "b")
    with pytest.raises(OpenAIError) as caught:
        sampling(request(stop=list("abcdef")))
    assert caught.value.param == "stop"


def test_the_request_names_the_gemini_model_and_asks_for_thoughts_where_shown() -> None:
    built = build_request(
        request(model="BeykusSmallR"), prompts_dir=ROOT / "prompts", gemini_models=GEMINI
    )
    assert built.model == "g-r" and built.thinking is True
    chat = build_request(request(), prompts_dir=Path(ROOT / "prompts"), gemini_models=GEMINI)
    assert chat.model == "g-chat" and chat.thinking is False


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        (BLOCKED, "content_filter"),
        ("OTHER", "stop"),
    ],
)
def test_finish_reasons_in_openai_words(reason: str, expected: str) -> None:
    assert finish_reason(reason) == expected


def test_whole_completion_joins_pieces_by_channel() -> None:
    completion = Completion("BeykusSmallR")
    for piece in (Piece("thinking", "a"), Piece("text", "b"), Piece("thinking", "c")):
        completion.add(piece)
    whole = completion.whole(Ending("STOP", Usage(1, 2, 3, 6)))
    assert whole["choices"][0]["message"] == {
        "role": "assistant",
        "content": "b",
        "reasoning_content": "ac",
    }
    assert whole["usage"] == usage_json(Usage(1, 2, 3, 6))
    assert whole["usage"]["completion_tokens"] == 5 and whole["usage"]["total_tokens"] == 6
