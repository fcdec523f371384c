"""/v1 with the team's accounts: a tool signs in with an API key, its calls count in the
user's usage like chat answers, and the monthly token limit refuses it in OpenAI's shape."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import openai
import pytest

from tests.fakegemini import FakeGemini, reply, usage
from tests.teamhelpers import TeamServer, team
from tests.v1clients import async_client, client, user_says

__all__ = ["team"]


def test_an_api_key_works_on_v1_with_the_official_client(
    team: TeamServer, gemini: FakeGemini
) -> None:
    """A key made in the API (POST /api/me/keys) is the client's api_key, sync and async,
    streamed and not; a revoked key is refused at once."""
    _, auth = team.user()
    key = team.new_key(auth, "editor")
    gemini.enqueue(reply("With a key."), reply("Streamed with a key."), reply("Async key."))
    with client(team.url, key["key"]) as c:
        assert [m.id for m in c.models.list()] == ["BeykusSmall", "BeykusChat", "BeykusSmallR"]
        whole = c.chat.completions.create(model="BeykusChat", messages=user_says("q"))
        assert whole.choices[0].message.content == "With a key."
        streamed = c.chat.completions.create(
            model="BeykusChat", messages=user_says("q"), stream=True
        )
        assert "".join(ch.choices[0].delta.content or "" for ch in streamed) == (
            "Streamed with a key."
        )

    async def ask() -> str | None:
        async with async_client(team.url, key["key"]) as c:
            answer = await c.chat.completions.create(model="BeykusChat", messages=user_says("q"))
            return answer.choices[0].message.content

    assert asyncio.run(ask()) == "Async key."
    assert team.client.delete(f"/me/keys/{key['id']}", headers=auth).status_code == 204
    with client(team.url, key["key"]) as c, pytest.raises(openai.AuthenticationError):
        c.models.list()


def test_v1_calls_count_in_the_users_usage(team: TeamServer, gemini: FakeGemini) -> None:
    """Each /v1 call is one answer in GET /api/me/usage, with Gemini's token counts,
    streamed or not; nothing else is saved."""
    _, auth = team.user()
    key = team.new_key(auth)["key"]
    gemini.enqueue(
        [*reply("One.", thinking="Hm."), usage(10, 4, 3)],
        [*reply("Two."), usage(20, 6)],
    )
    with client(team.url, key) as c:
        c.chat.completions.create(model="BeykusSmallR", messages=user_says("q"))
        list(c.chat.completions.create(model="BeykusChat", messages=user_says("q"), stream=True))
    report = team.client.get("/me/usage", headers=auth).json()
    today = datetime.now(UTC).date().isoformat()
    assert report["days"] == [
        {
            "date": today,
            "messages": 2,
            "prompt_tokens": 30,
            "output_tokens": 10,
            "thinking_tokens": 3,
        }
    ]
    assert report["month_tokens"] == 43
    assert team.client.get("/chats", headers=auth).json()["total"] == 0


def test_the_monthly_limit_refuses_v1_calls_with_a_429_in_openai_shape(
    team: TeamServer, gemini: FakeGemini
) -> None:
    """Once the month's tokens reach the user's limit, /v1 answers 429 insufficient_quota
    with Retry-After and the reset date; Gemini is not asked."""
    _, auth = team.user()
    user_id = team.user_id(auth)
    assert team.patch_user(user_id, monthly_token_limit=50).status_code == 200
    key = team.new_key(auth)["key"]
    gemini.enqueue([*reply("Big answer."), usage(40, 20)])
    with client(team.url, key) as c:
        c.chat.completions.create(model="BeykusChat", messages=user_says("q"))
        asked = len(gemini.requests)
        for stream in (False, True):
            with pytest.raises(openai.RateLimitError) as caught:
                c.chat.completions.create(
                    model="BeykusChat", messages=user_says("q"), stream=stream
                )
            error = caught.value.body
            assert isinstance(error, dict) and error["code"] == "insufficient_quota"
            assert "resets on" in error["message"]
            assert int(caught.value.response.headers["retry-after"]) > 0
    assert len(gemini.requests) == asked
