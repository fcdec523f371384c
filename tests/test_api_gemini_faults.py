"""The real google-genai SDK against the fake Gemini, seen through the REST API: failures
become status "error" with a message a user understands (keeping what arrived), retryable
ones are retried, signatures and history go back to Gemini, and the system instruction
comes from the prompt files (edits apply without a restart)."""

from __future__ import annotations

import base64
import itertools
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import fakegemini as g
from tests.apihelpers import (
    assert_message,
    messages,
    new_chat,
    send,
    settled,
    stream,
    wait_for,
)
from tests.conftest import gemini_env, register
from tests.fakegemini import FakeGemini
from tests.serverproc import ROOT, ServerProcess
from tests.sse import joined

PROMPTS = ROOT / "prompts"
RAW_ERROR_WORDS = ("RESOURCE_EXHAUSTED", "INTERNAL", "UNAVAILABLE", "Traceback", "{", "googleapis")


def api_key(fake: FakeGemini) -> str:
    return gemini_env(fake)["GOOGLE_API_KEY"]


def answer_of(api: httpx.Client, auth: dict[str, str], content: str, **chat: object) -> dict:
    """Send in a new chat with stream=false; the assistant message."""
    chat_id = new_chat(api, auth, **chat)["id"]
    return send(api, auth, chat_id, content)["assistant_message"]


def assert_user_facing_error(message: dict) -> str:
    assert message["status"] == "error", message
    error = message["error"]
    assert isinstance(error, str) and len(error.strip()) > 10, message
    for word in RAW_ERROR_WORDS:
        assert word not in error, (word, error)
    return error


def decoded_signature(part: dict) -> bytes:
    value = part["thoughtSignature"]
    return base64.urlsafe_b64decode(
        value.replace("+", "-").replace("/", "_") + "=" * (-len(value) % 4)
    )


# --------------------------------------------------------------------------- retries


def test_429_is_retried_then_the_answer_completes(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.http_error(429, retry_delay="1s")], g.reply("Made it after a 429."))
    answer = answer_of(api, user, "hello")
    assert answer["status"] == "complete"
    assert answer["content"] == "Made it after a 429."
    assert answer["error"] is None
    assert len(gemini.requests) == 2


def test_429_exhausting_retries_ends_in_error_with_a_clear_message(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(*[[g.http_error(429)] for _ in range(5)])
    chat = new_chat(api, user)
    events = stream(api, user, f"/chats/{chat['id']}/messages", {"content": "hello"})
    assert [event["type"] for event in events] == ["start", "error"]
    message = assert_message(events[-1]["message"])
    error = assert_user_facing_error(message)
    assert "rate" in error.lower() or "limit" in error.lower() or "busy" in error.lower()
    assert message["error_code"] == "rate_limited"  # for clients that translate it
    assert message["content"] == ""
    assert len(gemini.requests) == 3  # the first try and GEMINI_MAX_RETRIES=2 more
    assert messages(api, user, chat["id"])[-1] == message


def test_500_and_503_are_retried_then_the_answer_completes(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.http_error(500)], [g.http_error(503)], g.reply("Third time lucky."))
    answer = answer_of(api, user, "hello")
    assert (answer["status"], answer["content"]) == ("complete", "Third time lucky.")
    assert len(gemini.requests) == 3


def test_503_on_every_try_ends_in_error(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(*[[g.http_error(503)] for _ in range(5)])
    answer = answer_of(api, user, "hello")
    error = assert_user_facing_error(answer)
    assert "overloaded" not in error  # Google's own words are not passed through raw
    assert len(gemini.requests) == 3


# --------------------------------------------------------------------------- mid-stream failures


def test_error_event_mid_stream_keeps_the_partial_content(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.text("Partial "), g.text("answer"), g.error_event(500), g.text("never")])
    chat = new_chat(api, user)
    events = stream(api, user, f"/chats/{chat['id']}/messages", {"content": "go"})
    assert events[-1]["type"] == "error"
    message = events[-1]["message"]
    assert_user_facing_error(message)
    assert message["content"] == joined(events, "text") == "Partial answer"
    assert messages(api, user, chat["id"])[-1] == message
    assert len(gemini.requests) == 1  # content had arrived: no silent retry


def test_cut_connection_mid_stream_keeps_the_partial_content(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.text("Before the cut. "), g.pause(0.1), g.cut()])
    chat = new_chat(api, user)
    events = stream(api, user, f"/chats/{chat['id']}/messages", {"content": "go"})
    assert events[-1]["type"] == "error"
    message = events[-1]["message"]
    assert_user_facing_error(message)
    assert message["content"] == joined(events, "text") == "Before the cut. "
    assert messages(api, user, chat["id"])[-1]["status"] == "error"


def test_cut_before_any_content_is_retried(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.cut()], g.reply("After reconnecting."))
    answer = answer_of(api, user, "go")
    assert (answer["status"], answer["content"]) == ("complete", "After reconnecting.")
    assert len(gemini.requests) == 2


def test_stall_mid_stream_ends_in_error_after_the_stall_timeout(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """Gemini going silent after some text ends the answer in an error that keeps the
    text: the server hangs up mid-stall (GEMINI_STALL_TIMEOUT is 2 s on the test server)
    rather than waiting the 30 s out, which would have brought " never" and a finish."""
    gemini.enqueue([g.text("Slow start"), g.stall(30), g.text(" never"), g.finish()])
    answer = answer_of(api, user, "go")
    assert_user_facing_error(answer)
    assert answer["content"] == "Slow start"
    assert gemini.requests[-1].wait(5) == "client_disconnected"
    assert len(gemini.requests) == 1  # text had arrived: not retried


def test_stall_before_the_first_chunk_is_retried(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    """Gemini silent from the start is given up on and asked again: the user gets the
    second answer; the first connection was closed mid-stall, never waited out."""
    gemini.enqueue([g.stall(30), *g.reply("late")], g.reply("On time."))
    answer = answer_of(api, user, "go")
    assert (answer["status"], answer["content"]) == ("complete", "On time.")
    first, second = gemini.requests
    assert first.wait(5) == "client_disconnected"
    assert second.wait(5) == "completed"


def test_stream_ending_without_finish_reason_is_not_complete(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(g.reply("A truncated answer", finish_reason=None, chunk_chars=5))
    answer = answer_of(api, user, "go")
    assert_user_facing_error(answer)
    assert answer["content"] == "A truncated answer"


def test_safety_finish_is_an_error_that_keeps_the_text(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.text("Here is how to"), g.finish("SAFETY")])
    chat = new_chat(api, user)
    events = stream(api, user, f"/chats/{chat['id']}/messages", {"content": "something"})
    assert events[-1]["type"] == "error"
    message = events[-1]["message"]
    error = assert_user_facing_error(message)
    assert "safety" in error.lower()
    assert message["content"] == "Here is how to"


def test_blocked_prompt_is_an_error_and_is_not_retried(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.blocked("SAFETY")], g.reply("must not be used"))
    answer = answer_of(api, user, "something bad")
    error = assert_user_facing_error(answer)
    assert "block" in error.lower()
    assert answer["content"] == ""
    assert len(gemini.requests) == 1
    assert gemini.pending() == 1


@pytest.mark.parametrize(
    ("status", "template"),
    [
        (400, "API key not valid. Please pass a valid API key. ({key})"),
        (400, "Invalid argument in request made with key={key}"),
        (401, "Request had invalid authentication credentials: {key}"),
        (403, "Permission denied for API key {key}."),
        (404, "models/x is not found for key {key}"),
    ],
)
def test_provider_errors_never_reveal_the_api_key(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini, status: int, template: str
) -> None:
    key = api_key(gemini)
    gemini.enqueue([g.http_error(status, template.format(key=key))])
    chat = new_chat(api, user)
    with api.stream(
        "POST", f"/chats/{chat['id']}/messages", json={"content": "hi"}, headers=user
    ) as response:
        raw = response.read().decode()
    assert key not in raw
    assert "AIza" not in raw
    message = messages(api, user, chat["id"])[-1]
    assert_user_facing_error(message)
    assert key not in message["error"]
    listing = api.get(f"/chats/{chat['id']}/messages", headers=user).text
    assert key not in listing


def test_invalid_key_error_tells_the_user_to_ask_the_administrator(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue([g.http_error(400, "API key not valid. Please pass a valid API key.")])
    answer = answer_of(api, user, "hi")
    error = assert_user_facing_error(answer)
    assert "key" in error.lower()
    assert api_key(gemini) not in error
    assert len(gemini.requests) == 1  # a bad key is not retried


def test_public_endpoints_never_reveal_the_api_key(api: httpx.Client, gemini: FakeGemini) -> None:
    key = api_key(gemini)
    for path in ("/health", "/models"):
        assert key not in api.get(path).text


def test_cumulative_usage_is_kept_not_summed(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    script = g.reply("Counted answer in several chunks.", thinking="Some thoughts.", chunk_chars=5)
    gemini.enqueue([*script, g.usage(prompt=11, output=22, thoughts=5)])
    answer = answer_of(api, user, "count", model="BeykusSmallR")
    assert answer["status"] == "complete"
    assert (answer["prompt_tokens"], answer["output_tokens"], answer["thinking_tokens"]) == (
        11,
        22,
        5,
    )


# --------------------------------------------------------------------------- what Gemini is sent


def _contents(request: g.RecordedRequest) -> list[dict]:
    return request.body["contents"]


def test_thought_signatures_are_stored_and_sent_back_on_later_turns(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    first_sig = b"sig-one\x00\xff\x10binary"
    second_sig = b"second-signature-bytes"
    gemini.enqueue(
        g.reply("First answer.", signature=first_sig),
        [g.text("Second answer."), g.signature(second_sig), g.finish()],
        g.reply("Third answer."),
    )
    chat = new_chat(api, user, model="BeykusSmallR")["id"]
    send(api, user, chat, "question one")
    send(api, user, chat, "question two")

    second = _contents(gemini.requests[1])
    assert [c["role"] for c in second] == ["user", "model", "user"]
    assert second[1]["parts"][0]["text"] == "First answer."
    assert decoded_signature(second[1]["parts"][0]) == first_sig

    send(api, user, chat, "question three")
    third = _contents(gemini.requests[-1])
    assert [c["role"] for c in third] == ["user", "model", "user", "model", "user"]
    assert decoded_signature(third[1]["parts"][0]) == first_sig
    assert third[3]["parts"][0]["text"] == "Second answer."
    assert decoded_signature(third[3]["parts"][0]) == second_sig


def test_history_sent_to_gemini_is_rebuilt_from_the_saved_messages(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    gemini.enqueue(
        g.reply("Answer one."),
        [g.text("Partial two"), g.pause(10), g.finish()],
        g.reply("Answer three."),
        [g.blocked("OTHER")],
        g.reply("Answer five."),
    )
    chat = new_chat(api, user)["id"]
    send(api, user, chat, "Question one")
    # the second answer is stopped part-way: what arrived is history too
    with api.stream(
        "POST", f"/chats/{chat}/messages", json={"content": "Question two"}, headers=user
    ) as response:
        for line in response.iter_lines():
            if "Partial two" in line:
                break
        api.post(f"/chats/{chat}/stop", headers=user)
    settled(api, user, chat)
    send(api, user, chat, "Question three")
    assert _contents(gemini.requests[-1]) == [
        {"role": "user", "parts": [{"text": "Question one"}]},
        {"role": "model", "parts": [{"text": "Answer one."}]},
        {"role": "user", "parts": [{"text": "Question two"}]},
        {"role": "model", "parts": [{"text": "Partial two"}]},
        {"role": "user", "parts": [{"text": "Question three"}]},
    ]
    # a failed answer with no text leaves no empty model turn behind
    assert send(api, user, chat, "Question four")["assistant_message"]["status"] == "error"
    send(api, user, chat, "Question five")
    contents = _contents(gemini.requests[-1])
    roles = [c["role"] for c in contents]
    assert all(a != b for a, b in itertools.pairwise(roles)), roles
    assert roles[0] == "user" and roles[-1] == "user"
    texts = [part.get("text", "") for c in contents for part in c["parts"]]
    assert all(texts), contents
    last_user = "\n".join(part["text"] for part in contents[-1]["parts"])
    assert "Question five" in last_user
    assert any("Question four" in text for text in texts)


def _instruction(request: g.RecordedRequest) -> str:
    body = request.body
    system = body.get("systemInstruction") or body.get("system_instruction") or {}
    return "\n".join(part.get("text", "") for part in system.get("parts", []))


def _prompt(name: str, folder: Path = PROMPTS) -> str:
    return (folder / f"{name}.txt").read_text(encoding="utf-8").strip()


def test_system_instruction_is_default_then_model_prompt_then_custom_instructions(
    api: httpx.Client, auth: dict[str, str], gemini: FakeGemini
) -> None:
    custom = "Always answer like a ship's captain.\nSecond line of my instructions."
    api.patch("/me/settings", json={"custom_instructions": custom}, headers=auth)
    chat = new_chat(api, auth, model="BeykusSmallR")["id"]
    send(api, auth, chat, "hello")
    send(api, auth, chat, "and now small", model="BeykusSmall")

    for request, model in zip(gemini.requests[-2:], ("BeykusSmallR", "BeykusSmall"), strict=True):
        instruction = _instruction(request)
        default, own = _prompt("default"), _prompt(model)
        assert default in instruction
        assert own in instruction
        assert custom in instruction
        assert instruction.index(default) < instruction.index(own) < instruction.index(custom)
        for other in {"BeykusSmall", "BeykusChat", "BeykusSmallR"} - {model}:
            assert _prompt(other) not in instruction, other


def test_no_custom_instructions_means_only_the_prompt_files(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    chat = new_chat(api, user, model="BeykusChat")["id"]
    send(api, user, chat, "hello")
    instruction = _instruction(gemini.requests[-1])
    assert instruction.startswith(_prompt("default"))
    assert instruction.rstrip().endswith(_prompt("BeykusChat"))


def test_thinking_model_asks_gemini_for_its_thoughts(
    api: httpx.Client, user: dict[str, str], gemini: FakeGemini
) -> None:
    answer_of(api, user, "think", model="BeykusSmallR")
    config = gemini.requests[-1].body.get("generationConfig") or {}
    thinking = config.get("thinkingConfig") or {}
    # proto JSON accepts both spellings of the field name
    assert thinking.get("includeThoughts", thinking.get("include_thoughts")) is True


# --------------------------------------------------------------------------- own server


@dataclass
class OwnServer:
    process: ServerProcess
    env: dict[str, str]
    prompts: Path

    @property
    def api_url(self) -> str:
        return self.process.url + "/api"

    def restart(self, sig: int = signal.SIGTERM) -> None:
        self.process.stop(sig)
        self.process = ServerProcess(self.process.data_dir, self.env).start()


@pytest.fixture(scope="module")
def own_server(
    tmp_path_factory: pytest.TempPathFactory, fake_gemini: FakeGemini
) -> Iterator[OwnServer]:
    """A server of our own: prompts in a folder we may edit, and one we may kill."""
    prompts = tmp_path_factory.mktemp("prompts")
    shutil.copytree(PROMPTS, prompts, dirs_exist_ok=True)
    env = {**gemini_env(fake_gemini), "PROMPTS_DIR": str(prompts)}
    server = OwnServer(ServerProcess(tmp_path_factory.mktemp("own"), env).start(), env, prompts)
    yield server
    server.process.stop()


def test_editing_a_prompt_file_takes_effect_on_the_next_message(
    own_server: OwnServer, gemini: FakeGemini
) -> None:
    with httpx.Client(base_url=own_server.api_url, timeout=30) as api:
        auth = register(api)
        chat = new_chat(api, auth, model="BeykusChat")["id"]
        send(api, auth, chat, "before the edit")
        before = _instruction(gemini.requests[-1])
        assert _prompt("BeykusChat", own_server.prompts) in before

        (own_server.prompts / "default.txt").write_text("EDITED DEFAULT PROMPT 7781\n", "utf-8")
        (own_server.prompts / "BeykusChat.txt").write_text("EDITED CHAT PROMPT 7782\n", "utf-8")
        try:
            send(api, auth, chat, "after the edit")
            after = _instruction(gemini.requests[-1])
        finally:
            shutil.copy(PROMPTS / "default.txt", own_server.prompts / "default.txt")
            shutil.copy(PROMPTS / "BeykusChat.txt", own_server.prompts / "BeykusChat.txt")
        assert "EDITED DEFAULT PROMPT 7781" in after
        assert "EDITED CHAT PROMPT 7782" in after
        assert after.index("7781") < after.index("7782")
        assert _prompt("BeykusChat") not in after


def test_killed_server_leaves_the_answer_interrupted_and_history_survives_a_restart(
    own_server: OwnServer, gemini: FakeGemini
) -> None:
    gemini.enqueue([g.text("Saved before the crash."), g.pause(30), g.finish()])
    with httpx.Client(base_url=own_server.api_url, timeout=30) as api:
        auth = register(api)
        chat = new_chat(api, auth)["id"]
        with api.stream(
            "POST", f"/chats/{chat}/messages", json={"content": "First question"}, headers=auth
        ) as response:
            assert response.status_code == 200
            wait_for(
                lambda: messages(api, auth, chat)[-1]["content"] == "Saved before the crash.",
                timeout=5,
            )
            own_server.process.kill()
    own_server.restart()
    gemini.reset()
    with httpx.Client(base_url=own_server.api_url, timeout=30) as api:
        listed = messages(api, auth, chat)  # the old token still works after a restart
        assert [m["role"] for m in listed] == ["user", "assistant"]
        assert listed[-1]["status"] == "interrupted"
        assert listed[-1]["content"] == "Saved before the crash."
        assert api.get(f"/chats/{chat}/stream", headers=auth).status_code == 204

        gemini.enqueue(g.reply("After the restart."))
        assert send(api, auth, chat, "Second question")["assistant_message"]["status"] == "complete"
        assert _contents(gemini.requests[-1]) == [
            {"role": "user", "parts": [{"text": "First question"}]},
            {"role": "model", "parts": [{"text": "Saved before the crash."}]},
            {"role": "user", "parts": [{"text": "Second question"}]},
        ]
