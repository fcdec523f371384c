"""The OpenAI-compatible API (/v1) through the official ``openai`` package, sync and async,
streamed and not, against the fake Gemini: what a tool that speaks OpenAI's protocol sees.

Limits, body size and disconnects are in tests/test_v1_limits.py; LiteLLM in
tests/test_v1_litellm.py.
"""

from __future__ import annotations

import asyncio
import base64
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.apihelpers import new_chat, send
from tests.fakegemini import (
    FakeGemini,
    blocked,
    error_event,
    finish,
    http_error,
    reply,
    text,
    thought,
    usage,
)
from tests.serverproc import ROOT
from tests.v1clients import (
    PNG,
    PNG_URL,
    assert_openai_error,
    async_client,
    chunks_of,
    client,
    raw_stream,
    token_for,
    user_says,
)

MODEL_IDS = ["BeykusSmall", "BeykusChat", "BeykusSmallR"]


@pytest.fixture
def token(server: str) -> str:
    return token_for(server)


@pytest.fixture
def oai(server: str, token: str) -> Iterator[openai.OpenAI]:
    with client(server, token) as c:
        yield c


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def last_body(gemini: FakeGemini) -> dict[str, Any]:
    return gemini.requests[-1].body


# --------------------------------------------------------------------------- auth, models


def test_without_a_valid_bearer_token_every_v1_route_is_401_in_openai_shape(server: str) -> None:
    """A tool with a wrong key is told so in the shape its OpenAI client reads."""
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        models = httpx.get(server + "/v1/models", headers=headers, timeout=30)
        error = assert_openai_error(models, 401)
        assert error["type"] == "authentication_error"
        assert models.headers["www-authenticate"] == "Bearer"
        completion = httpx.post(
            server + "/v1/chat/completions",
            json={"model": "BeykusChat", "messages": user_says("hi")},
            headers=headers,
            timeout=30,
        )
        assert_openai_error(completion, 401)
    with client(server, "wrong") as bad, pytest.raises(openai.AuthenticationError):
        bad.models.list()


def test_models_lists_the_three_ids(oai: openai.OpenAI, server: str, token: str) -> None:
    """GET /v1/models: a list object with our three model ids, owned by beykusay."""
    assert [model.id for model in oai.models.list()] == MODEL_IDS
    raw = httpx.get(server + "/v1/models", headers={"Authorization": f"Bearer {token}"}).json()
    assert raw["object"] == "list"
    for card in raw["data"]:
        assert set(card) == {"id", "object", "created", "owned_by"}
        assert card["object"] == "model" and card["owned_by"] == "beykusay"
        assert type(card["created"]) is int


# --------------------------------------------------------------------------- whole answers


def test_a_completion_carries_content_thoughts_finish_and_usage(
    oai: openai.OpenAI, gemini: FakeGemini
) -> None:
    """Without stream: a chat.completion with the answer, the thoughts as
    reasoning_content, finish_reason stop and Gemini's token counts."""
    gemini.enqueue(
        [*reply("Paris is the capital.", thinking="Capital of France?"), usage(11, 7, 5)]
    )
    answer = oai.chat.completions.create(
        model="BeykusSmallR", messages=user_says("Capital of France?")
    )
    assert answer.object == "chat.completion"
    assert answer.id and type(answer.created) is int
    assert answer.model == "BeykusSmallR"
    [choice] = answer.choices
    assert choice.index == 0 and choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content == "Paris is the capital."
    assert choice.message.reasoning_content == "Capital of France?"  # type: ignore[attr-defined]
    assert answer.usage is not None
    assert answer.usage.prompt_tokens == 11
    assert answer.usage.completion_tokens == 7 + 5  # thinking tokens included, as OpenAI does
    assert answer.usage.total_tokens == 11 + 12
    assert answer.usage.completion_tokens_details is not None
    assert answer.usage.completion_tokens_details.reasoning_tokens == 5


def test_async_client_gets_the_same_completion(server: str, token: str, gemini: FakeGemini) -> None:
    """The async client works the same way; without thoughts reasoning_content is null."""
    gemini.enqueue([*reply("Hi from async."), usage(3, 4)])

    async def ask() -> Any:
        async with async_client(server, token) as c:
            return await c.chat.completions.create(model="BeykusChat", messages=user_says("hi"))

    answer = run(ask())
    assert answer.choices[0].message.content == "Hi from async."
    assert answer.choices[0].message.reasoning_content is None
    assert answer.usage.total_tokens == 7


def test_nothing_is_saved_as_a_chat(oai: openai.OpenAI, server: str, token: str) -> None:
    """A /v1 call leaves no chat behind in the user's chat list."""
    oai.chat.completions.create(model="BeykusChat", messages=user_says("hello"))
    chats = httpx.get(server + "/api/chats", headers={"Authorization": f"Bearer {token}"})
    assert chats.json()["total"] == 0


# --------------------------------------------------------------------------- streaming


def test_stream_sends_role_then_pieces_then_finish_then_done(
    server: str, token: str, gemini: FakeGemini
) -> None:
    """With stream: role first, reasoning_content and content pieces as they come, a last
    chunk with finish_reason, no usage chunk unless asked, then data: [DONE]."""
    gemini.enqueue(reply("The answer is 42.", thinking="Let me count.", chunk_chars=4))
    chunks = chunks_of(
        raw_stream(server, token, {"model": "BeykusSmallR", "messages": user_says("q")})
    )
    ids = {chunk["id"] for chunk in chunks}
    assert len(ids) == 1 and next(iter(ids)).startswith("chatcmpl-")
    for chunk in chunks:
        assert chunk["object"] == "chat.completion.chunk"
        assert chunk["model"] == "BeykusSmallR" and type(chunk["created"]) is int
        assert "usage" not in chunk
        assert len(chunk["choices"]) == 1
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks]
    assert deltas[0] == {"role": "assistant", "content": ""}
    middle = deltas[1:-1]
    assert all(len(delta) == 1 for delta in middle), middle
    thinking = "".join(d.get("reasoning_content", "") for d in middle)
    content = "".join(d.get("content", "") for d in middle)
    assert (thinking, content) == ("Let me count.", "The answer is 42.")
    assert len(middle) >= 8  # pieces as they arrive, not gathered
    assert deltas[-1] == {}
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None] * (len(chunks) - 1) + [
        "stop"
    ]


def test_stream_with_include_usage_ends_with_a_usage_chunk(
    server: str, token: str, gemini: FakeGemini
) -> None:
    """stream_options.include_usage: a last chunk with empty choices carries the usage."""
    gemini.enqueue([*reply("Short.", thinking="Hm."), usage(9, 2, 3)])
    body = {
        "model": "BeykusSmallR",
        "messages": user_says("q"),
        "stream_options": {"include_usage": True},
    }
    chunks = chunks_of(raw_stream(server, token, body))
    *rest, last = chunks
    assert last["choices"] == []
    assert last["usage"] == {
        "prompt_tokens": 9,
        "completion_tokens": 5,
        "total_tokens": 14,
        "completion_tokens_details": {"reasoning_tokens": 3},
    }
    assert rest[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(chunk["usage"] is None for chunk in rest)


def test_official_client_streams_sync_and_async(
    server: str, token: str, gemini: FakeGemini
) -> None:
    """The openai package reads our stream, sync and async, pieces and usage alike."""
    for _ in range(2):
        gemini.enqueue(
            [*reply("Streamed words here.", thinking="Think.", chunk_chars=3), usage(5, 5, 2)]
        )
    with client(server, token) as c:
        stream = c.chat.completions.create(
            model="BeykusSmallR",
            messages=user_says("q"),
            stream=True,
            stream_options={"include_usage": True},
        )
        sync_chunks = list(stream)

    async def ask() -> list[Any]:
        async with async_client(server, token) as c:
            stream = await c.chat.completions.create(
                model="BeykusSmallR",
                messages=user_says("q"),
                stream=True,
                stream_options={"include_usage": True},
            )
            return [chunk async for chunk in stream]

    for chunks in (sync_chunks, run(ask())):
        pieces = [chunk.choices[0].delta for chunk in chunks if chunk.choices]
        assert pieces[0].role == "assistant"
        assert "".join(p.content or "" for p in pieces) == "Streamed words here."
        reasoning = "".join(getattr(p, "reasoning_content", None) or "" for p in pieces)
        assert reasoning == "Think."
        finishes = [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices]
        assert finishes[-1] == "stop"
        assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 12


# --------------------------------------------------------------------------- messages in


def test_system_and_developer_messages_follow_the_prompt_files(
    oai: openai.OpenAI, gemini: FakeGemini
) -> None:
    """Gemini gets the app's prompt files first, then the client's system and developer
    messages in order; user and assistant turns go as the conversation."""
    oai.chat.completions.create(
        model="BeykusChat",
        messages=[
            {"role": "system", "content": "Answer in French."},
            {"role": "user", "content": "First question"},
            {"role": "assistant", "content": "First answer"},
            {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
            {"role": "user", "content": "Second question"},
        ],
    )
    body = last_body(gemini)
    files = [
        (ROOT / "prompts" / name).read_text(encoding="utf-8").strip()
        for name in ("default.txt", "BeykusChat.txt")
    ]
    [instruction] = body["systemInstruction"]["parts"]
    assert instruction["text"] == "\n\n".join([*files, "Answer in French.", "Be brief."])
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "First question"}]},
        {"role": "model", "parts": [{"text": "First answer"}]},
        {"role": "user", "parts": [{"text": "Second question"}]},
    ]


def test_multi_part_content_sends_data_url_images_inline(
    oai: openai.OpenAI, gemini: FakeGemini
) -> None:
    """Text and data-URL image parts reach Gemini in order, the image as inline data."""
    oai.chat.completions.create(
        model="BeykusChat",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this picture?"},
                    {"type": "image_url", "image_url": {"url": PNG_URL, "detail": "low"}},
                ],
            }
        ],
    )
    [content] = last_body(gemini)["contents"]
    text_part, image_part = content["parts"]
    assert text_part == {"text": "What is in this picture?"}
    inline = image_part.get("inlineData") or image_part["inline_data"]  # the SDK's spelling
    assert inline.get("mimeType", inline.get("mime_type")) == "image/png"
    assert base64.b64decode(inline["data"]) == PNG


@pytest.fixture
def watched_url() -> Iterator[tuple[str, list[str]]]:
    """A web server that records every request it gets (none is expected)."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/cat.png", hits
    httpd.shutdown()


@pytest.mark.parametrize(
    "url",
    ["WATCHED", "data:image/svg+xml;base64,PHN2Zy8+", "data:image/png,not-base64", "ftp://x/y.png"],
)
def test_an_image_that_is_not_an_inline_data_url_is_400_and_nothing_is_fetched(
    oai: openai.OpenAI, gemini: FakeGemini, watched_url: tuple[str, list[str]], url: str
) -> None:
    """Other URLs are refused with a message saying to send the image inline; the
    server fetches nothing and asks Gemini nothing."""
    address, hits = watched_url
    image = {"type": "image_url", "image_url": {"url": address if url == "WATCHED" else url}}
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(
            model="BeykusChat",
            messages=[{"role": "user", "content": [{"type": "text", "text": "see"}, image]}],
        )
    error = caught.value.body
    assert isinstance(error, dict) and error["type"] == "invalid_request_error"
    assert error["param"] == "messages.0.content.1.image_url.url"
    assert "data:" in error["message"] or "image" in error["message"].lower()
    assert hits == [] and gemini.requests == []


def test_generation_parameters_are_mapped_to_gemini(oai: openai.OpenAI, gemini: FakeGemini) -> None:
    """max_tokens / max_completion_tokens, temperature, top_p and stop become Gemini's
    maxOutputTokens, temperature, topP and stopSequences."""
    oai.chat.completions.create(
        model="BeykusChat",
        messages=user_says("q"),
        max_tokens=50,
        temperature=0.25,
        top_p=0.5,
        stop=["END", "STOP"],
    )
    config = last_body(gemini)["generationConfig"]
    assert config["maxOutputTokens"] == 50
    assert config["temperature"] == 0.25
    assert config["topP"] == 0.5
    assert config["stopSequences"] == ["END", "STOP"]
    oai.chat.completions.create(
        model="BeykusChat", messages=user_says("q"), max_completion_tokens=77, stop="###"
    )
    config = last_body(gemini)["generationConfig"]
    assert config["maxOutputTokens"] == 77 and config["stopSequences"] == ["###"]
    oai.chat.completions.create(model="BeykusChat", messages=user_says("q"))
    assert "maxOutputTokens" not in last_body(gemini).get("generationConfig", {})


def test_n_other_than_1_is_400_and_unknown_fields_are_ignored(
    oai: openai.OpenAI, gemini: FakeGemini
) -> None:
    """n=2 is refused (param n); n=1 and fields we do not know (user, seed, a message's
    name, anything else) are accepted."""
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(model="BeykusChat", messages=user_says("q"), n=2)
    assert caught.value.body["param"] == "n"  # type: ignore[index]
    answer = oai.chat.completions.create(
        model="BeykusChat",
        messages=[{"role": "user", "content": "q", "name": "ada"}],
        n=1,
        user="someone",
        seed=7,
        extra_body={"frobnicate": {"level": 3}},
    )
    assert answer.choices[0].message.content == "Hello from the fake Gemini."


def test_bad_requests_are_400_with_the_param_and_unknown_models_404(
    server: str, token: str, gemini: FakeGemini
) -> None:
    """Invalid bodies are 400 naming the offending field; an unknown model is 404
    model_not_found; Gemini is never asked."""
    url = server + "/v1/chat/completions"
    auth = {"Authorization": f"Bearer {token}"}
    cases = [
        ({"model": "BeykusChat", "messages": []}, "messages"),
        ({"model": "BeykusChat", "messages": [{"role": "tool", "content": "x"}]}, None),
        ({"model": "BeykusChat", "messages": user_says("q"), "temperature": 5}, "temperature"),
        ({"messages": user_says("q")}, "model"),
        ({"model": "BeykusChat", "messages": [{"role": "system", "content": "only"}]}, "messages"),
    ]
    for body, param in cases:
        error = assert_openai_error(httpx.post(url, json=body, headers=auth, timeout=30), 400)
        assert error["type"] == "invalid_request_error"
        if param is not None:
            assert error["param"] == param, error
    not_json = httpx.post(
        url, content=b"{nope", headers={**auth, "Content-Type": "application/json"}
    )
    assert_openai_error(not_json, 400)
    unknown = httpx.post(url, json={"model": "gpt-4o", "messages": user_says("q")}, headers=auth)
    error = assert_openai_error(unknown, 404)
    assert error["code"] == "model_not_found" and error["param"] == "model"
    assert gemini.requests == []


# --------------------------------------------------------------------------- finishes, thoughts


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ([text("Cut sho"), finish("MAX_TOKENS")], "length"),
        ([text("Unsafe"), finish("SAFETY")], "content_filter"),
        ([text("Quoted"), finish("RECITATION")], "content_filter"),
        ([blocked("SAFETY")], "content_filter"),
        ([text("Fine."), finish("STOP")], "stop"),
    ],
    ids=["max_tokens", "safety", "recitation", "blocked_prompt", "stop"],
)
def test_finish_reasons_are_mapped(
    server: str, token: str, gemini: FakeGemini, script: list[Any], expected: str
) -> None:
    """MAX_TOKENS is length; SAFETY, RECITATION and a blocked prompt are content_filter."""
    gemini.enqueue(script, script)
    with client(server, token) as c:
        whole = c.chat.completions.create(model="BeykusChat", messages=user_says("q"))
        streamed = list(
            c.chat.completions.create(model="BeykusChat", messages=user_says("q"), stream=True)
        )
    assert whole.choices[0].finish_reason == expected
    assert streamed[-1].choices[0].finish_reason == expected


def test_think_tags_are_split_into_reasoning_like_the_chat_shows_them(
    server: str, token: str, gemini: FakeGemini, api: httpx.Client
) -> None:
    """<think> text and native thought parts become reasoning_content: exactly the text
    the chat shows as thinking for the same answer."""
    script = [
        thought("Native thought. "),
        text("  <thi"),
        text("nk>Tagged  thought </think>"),
        text("\n\nThe answer."),
        finish("STOP"),
    ]
    gemini.enqueue(script, script, script)
    with client(server, token) as c:
        whole = c.chat.completions.create(model="BeykusSmallR", messages=user_says("q"))
        streamed = list(
            c.chat.completions.create(model="BeykusSmallR", messages=user_says("q"), stream=True)
        )
    auth = {"Authorization": f"Bearer {token}"}
    chat = new_chat(api, auth, model="BeykusSmallR")
    shown = send(api, auth, chat["id"], "q")["assistant_message"]
    message = whole.choices[0].message
    assert message.reasoning_content == shown["thinking"]  # type: ignore[attr-defined]
    assert message.content == shown["content"] == "The answer."
    deltas = [chunk.choices[0].delta for chunk in streamed if chunk.choices]
    assert "".join(getattr(d, "reasoning_content", None) or "" for d in deltas) == shown["thinking"]
    assert "".join(d.content or "" for d in deltas) == "The answer."


# --------------------------------------------------------------------------- provider errors


def test_a_provider_failure_before_the_first_token_is_an_http_error(
    server: str, token: str, gemini: FakeGemini
) -> None:
    """Gemini failing before anything arrived: an ordinary HTTP error in OpenAI's shape
    (its rate limit a 429 with Retry-After, an outage a 503), streamed or not."""
    auth = {"Authorization": f"Bearer {token}"}
    url = server + "/v1/chat/completions"
    for stream in (False, True):
        gemini.enqueue(*[[http_error(429)]] * 3)  # the first try and the server's two retries
        limited = httpx.post(
            url,
            json={"model": "BeykusChat", "messages": user_says("q"), "stream": stream},
            headers=auth,
            timeout=30,
        )
        error = assert_openai_error(limited, 429)
        assert error["type"] == "rate_limit_error"
        assert limited.headers["retry-after"].isdigit()
        gemini.enqueue(*[[http_error(503)]] * 3)
        with client(server, token) as c, pytest.raises(openai.InternalServerError) as caught:
            c.chat.completions.create(model="BeykusChat", messages=user_says("q"), stream=stream)
        assert caught.value.status_code == 503
        assert "unavailable" in caught.value.message.lower()


def test_a_provider_failure_mid_stream_sends_an_error_event_and_ends(
    server: str, token: str, gemini: FakeGemini
) -> None:
    """After the first token a failure is a data: {"error": …} event, then the end (no
    [DONE]); the official client raises it as an APIError after the pieces it gave."""
    script = [text("Partial "), text("answer"), error_event(500)]
    gemini.enqueue(script)
    data = raw_stream(server, token, {"model": "BeykusChat", "messages": user_says("q")})
    assert data[-1] != "[DONE]"
    last = json.loads(data[-1])
    assert set(last) == {"error"}
    assert set(last["error"]) == {"message", "type", "param", "code"}
    pieces = [json.loads(item)["choices"][0]["delta"].get("content", "") for item in data[:-1]]
    assert "".join(pieces) == "Partial answer"

    gemini.enqueue(script)
    got: list[str] = []
    with client(server, token) as c, pytest.raises(openai.APIError) as caught:
        for chunk in c.chat.completions.create(
            model="BeykusChat", messages=user_says("q"), stream=True
        ):
            got.append(chunk.choices[0].delta.content or "")
    assert "".join(got) == "Partial answer"
    assert caught.value.message


def test_other_openai_endpoints_are_404_in_openai_shape(oai: openai.OpenAI, server: str) -> None:
    """A tool that tries embeddings (which BeykuSay does not offer) gets a 404 it can read."""
    with pytest.raises(openai.NotFoundError) as caught:
        oai.embeddings.create(model="BeykusChat", input="hello")
    assert "/v1/chat/completions" in caught.value.message
    assert_openai_error(httpx.get(server + "/v1/files", timeout=30), 404)


# --------------------------------------------------------------------------- docs


def test_the_openapi_docs_list_the_v1_routes(server: str) -> None:
    """/openapi.json (and so /docs) describes GET /v1/models and POST /v1/chat/completions."""
    paths = httpx.get(server + "/openapi.json", timeout=30).json()["paths"]
    assert "get" in paths["/v1/models"]
    operation = paths["/v1/chat/completions"]["post"]
    assert "requestBody" in operation
    assert {"200", "400", "401", "404", "413", "429"} <= set(operation["responses"])
