"""/v1 under the user's limits, and a client that goes away: what a tool sees when it
sends too fast, asks too much at once or sends too much, and what Gemini sees when the
tool hangs up (its request is cancelled; nothing is saved)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.apihelpers import new_chat, open_stream, read_until, wait_for
from tests.conftest import gemini_env
from tests.fakegemini import FakeGemini, finish, pause, text
from tests.serverproc import ServerProcess
from tests.v1clients import PNG_URL, assert_openai_error, client, token_for, user_says

SENDS_PER_WINDOW = 4
MAX_BODY = 4096


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, fake_gemini: FakeGemini) -> Iterator[str]:
    """A server of our own: 4 sends a minute, one answer at a time, 4 KiB bodies."""
    env = {
        **gemini_env(fake_gemini),
        "SEND_MAX_PER_WINDOW": str(SENDS_PER_WINDOW),
        "SEND_WINDOW_SECONDS": "60",
        "MAX_ANSWERS_PER_USER": "1",
        "MAX_BODY_BYTES": str(MAX_BODY),
    }
    process = ServerProcess(tmp_path_factory.mktemp("v1limits"), env).start()
    yield process.url
    process.stop()
    assert "Traceback" not in process.log(), process.log()[-5000:]


def _post(server: str, token: str, **body: object) -> httpx.Response:
    return httpx.post(
        server + "/v1/chat/completions",
        json={"model": "BeykusChat", "messages": user_says("q"), **body},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _assert_limited(response: httpx.Response) -> dict[str, object]:
    error = assert_openai_error(response, 429)
    assert error["type"] == "rate_limit_error"
    assert response.headers["retry-after"].isdigit() and int(response.headers["retry-after"]) > 0
    return error


def test_the_send_rate_is_shared_with_the_chat_and_refused_in_openai_shape(
    limited: str, gemini: FakeGemini
) -> None:
    """Sends through /v1 and through the chat count against one rate; past it the
    official client gets a RateLimitError (429, Retry-After)."""
    token = token_for(limited)
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=limited + "/api", timeout=30) as api:
        chat = new_chat(api, auth)
        sent = api.post(
            f"/chats/{chat['id']}/messages",
            params={"stream": "false"},
            json={"content": "a"},
            headers=auth,
        )
        assert sent.status_code == 201
    for _ in range(SENDS_PER_WINDOW - 1):
        assert _post(limited, token).status_code == 200
    error = _assert_limited(_post(limited, token))
    assert error["code"] == "rate_limit_exceeded"
    assert "too fast" in str(error["message"])
    with client(limited, token) as c, pytest.raises(openai.RateLimitError):
        c.chat.completions.create(model="BeykusChat", messages=user_says("q"))


def test_one_answer_at_a_time_counts_streams_and_chat_answers(
    limited: str, gemini: FakeGemini
) -> None:
    """With one answer allowed, a second call while a /v1 stream or a chat answer runs
    is a 429; once it ends, calls work again."""
    token = token_for(limited)
    auth = {"Authorization": f"Bearer {token}"}
    slow = [text("first"), pause(30), finish("STOP", text=" never")]
    gemini.enqueue(slow)
    with client(limited, token) as c:
        stream = c.chat.completions.create(model="BeykusChat", messages=user_says("q"), stream=True)
        assert next(iter(stream)).choices[0].delta.role == "assistant"
        error = _assert_limited(_post(limited, token))
        assert "answers being generated" in str(error["message"])
        stream.close()
    assert gemini.requests[-1].wait(15) == "client_disconnected"
    wait_for(lambda: _post(limited, token).status_code == 200, timeout=15, interval=0.2)

    gemini.enqueue(slow)
    with httpx.Client(base_url=limited + "/api", timeout=30) as api:
        chat = new_chat(api, auth)
        with open_stream(api, auth, f"/chats/{chat['id']}/messages", {"content": "hi"}) as events:
            read_until(events, "text")
            _assert_limited(_post(limited, token))
            assert api.post(f"/chats/{chat['id']}/stop", headers=auth).json()["stopped"]


def test_a_body_over_max_body_bytes_is_413_in_openai_shape(
    limited: str, gemini: FakeGemini
) -> None:
    """A request larger than MAX_BODY_BYTES (a big inline image) is refused with 413."""
    token = token_for(limited)
    big = PNG_URL + "A" * (MAX_BODY * 2 // 4 * 4)
    image = {"type": "image_url", "image_url": {"url": big}}
    response = _post(limited, token, messages=[{"role": "user", "content": [image]}])
    error = assert_openai_error(response, 413)
    assert error["code"] == "request_too_large"
    with client(limited, token) as c, pytest.raises(openai.APIStatusError) as caught:
        c.chat.completions.create(
            model="BeykusChat", messages=[{"role": "user", "content": [image]}]
        )
    assert caught.value.status_code == 413

    def without_length() -> Iterator[bytes]:  # chunked: refused as it streams in
        yield b'{"model": "BeykusChat", "messages": [{"role": "user", "content": "'
        yield b"x" * MAX_BODY * 2
        yield b'"}]}'

    chunked = httpx.post(
        limited + "/v1/chat/completions",
        content=without_length(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert assert_openai_error(chunked, 413)["code"] == "request_too_large"
    assert gemini.requests == []


def test_a_client_that_hangs_up_cancels_the_gemini_request(
    limited: str, gemini: FakeGemini
) -> None:
    """Closing a stream, or giving up on a whole answer, ends Gemini's request at once;
    no chat is saved."""
    token = token_for(limited)
    slow = [text("begun"), pause(30), finish("STOP")]
    gemini.enqueue(slow)
    with client(limited, token) as c:
        stream = c.chat.completions.create(model="BeykusChat", messages=user_says("q"), stream=True)
        pieces = iter(stream)
        next(pieces)
        assert next(pieces).choices[0].delta.content == "begun"
        stream.close()
    assert gemini.requests[-1].wait(15) == "client_disconnected"

    # gone while waiting for a whole answer, or for a stream's first token
    for stream, script in ((False, slow), (True, [pause(30), *slow])):
        gemini.enqueue(script)
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(
                limited + "/v1/chat/completions",
                json={"model": "BeykusChat", "messages": user_says("q"), "stream": stream},
                headers={"Authorization": f"Bearer {token}"},
                timeout=httpx.Timeout(30, read=2),
            )
        assert gemini.requests[-1].wait(15) == "client_disconnected"
    chats = httpx.get(limited + "/api/chats", headers={"Authorization": f"Bearer {token}"})
    assert chats.json()["total"] == 0
