"""My usage, the monthly limit, and API keys, through HTTP (API.md "Roles, sign-up,
usage" and "API keys")."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text

from tests import fakegemini as g
from tests.apihelpers import (
    assert_error_body,
    new_chat,
    open_stream,
    parse_time,
    read_until,
    send,
    settled,
)
from tests.conftest import PASSWORD
from tests.fakegemini import FakeGemini
from tests.teamhelpers import TeamServer, team

__all__ = ["team"]

KEY_FIELDS = {"id", "name", "prefix", "created_at", "last_used_at"}


def today() -> date:
    return datetime.now(UTC).date()


def add_usage_row(team: TeamServer, user_id: int, day: date, tokens: tuple[int, int, int]) -> None:
    """Seed a day of use in the past, as answers on that day would have left it."""
    with team.engine().begin() as connection:
        connection.execute(
            text(
                "INSERT INTO usage_days (user_id, day, messages, prompt_tokens, output_tokens,"
                " thinking_tokens) VALUES (:user_id, :day, 1, :p, :o, :t)"
            ),
            {"user_id": user_id, "day": day, "p": tokens[0], "o": tokens[1], "t": tokens[2]},
        )


def test_usage_sums_the_tokens_gemini_reports_per_utc_day(
    team: TeamServer, gemini: FakeGemini
) -> None:
    """After two answers the user sees today's answers and tokens, and the month's total."""
    _, auth = team.user()
    empty = team.client.get("/me/usage", headers=auth)
    assert empty.status_code == 200
    assert empty.json() == {"days": [], "month_tokens": 0, "monthly_token_limit": None}
    chat = new_chat(team.client, auth, model="BeykusSmallR")
    gemini.enqueue(
        [*g.reply("One.", thinking="Let me think."), g.usage(100, 20, 7)],
        [*g.reply("Two."), g.usage(200, 30, 0)],
    )
    send(team.client, auth, chat["id"], "First")
    send(team.client, auth, chat["id"], "Second")
    body = team.client.get("/me/usage", headers=auth).json()
    assert body["days"] == [
        {
            "date": today().isoformat(),
            "messages": 2,
            "prompt_tokens": 300,
            "output_tokens": 50,
            "thinking_tokens": 7,
        }
    ]
    assert body["month_tokens"] == 357


def test_usage_lists_days_oldest_first_and_the_month_starts_on_the_first(
    team: TeamServer,
) -> None:
    """Older days show in order, days without use are left out, last month is not counted."""
    _, auth = team.user()
    user_id = team.user_id(auth)
    now = today()
    last_month = now.replace(day=1) - timedelta(days=1)
    add_usage_row(team, user_id, last_month, (1000, 1000, 1000))
    if now.day > 1:
        add_usage_row(team, user_id, now.replace(day=1), (10, 20, 30))
    add_usage_row(team, user_id, now - timedelta(days=40), (5, 5, 5))
    body = team.client.get("/me/usage", headers=auth).json()
    dates = [day["date"] for day in body["days"]]
    assert dates == sorted(dates)
    assert (now - timedelta(days=40)).isoformat() not in dates  # older than 30 days
    assert last_month.isoformat() in dates or now - last_month > timedelta(days=29)
    assert body["month_tokens"] == (60 if now.day > 1 else 0)
    longer = team.client.get("/me/usage", params={"days": 60}, headers=auth).json()
    assert (now - timedelta(days=40)).isoformat() in [day["date"] for day in longer["days"]]
    assert team.client.get("/me/usage", params={"days": 0}, headers=auth).status_code == 422


def test_the_monthly_limit_refuses_new_answers_with_the_reset_date_and_a_running_one_finishes(
    team: TeamServer, gemini: FakeGemini
) -> None:
    """Past the limit, sending says when the month resets; the answer running meanwhile ends."""
    _, auth = team.user()
    user_id = team.user_id(auth)
    assert team.patch_user(user_id, monthly_token_limit=100).status_code == 200
    chat = new_chat(team.client, auth)
    gemini.enqueue(
        [*g.reply("Slow and long answer.", chunk_chars=4, interval=0.05), g.usage(90, 40)]
    )
    with open_stream(
        team.client, auth, f"/chats/{chat['id']}/messages", {"content": "Go"}
    ) as events:
        read_until(events, "text")
        done = read_until(events, "done")[-1]
    assert done["message"]["status"] == "complete"
    assert done["message"]["content"] == "Slow and long answer."
    refused = team.client.post(
        f"/chats/{chat['id']}/messages",
        params={"stream": "false"},
        json={"content": "More"},
        headers=auth,
    )
    assert refused.status_code == 429
    detail = assert_error_body(refused)
    first = today().replace(day=1)
    reset = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    assert reset.isoformat() in detail and "limit" in detail
    assert int(refused.headers["retry-after"]) > 0
    regenerate = team.client.post(
        f"/chats/{chat['id']}/regenerate", params={"stream": "false"}, headers=auth
    )
    assert regenerate.status_code == 429
    assert len(settled(team.client, auth, chat["id"])) == 2  # nothing was saved
    usage = team.client.get("/me/usage", headers=auth).json()
    assert usage["month_tokens"] == 130 and usage["monthly_token_limit"] == 100
    assert team.patch_user(user_id, monthly_token_limit=1000).status_code == 200
    gemini.enqueue(g.reply("Fine again."))
    assert send(team.client, auth, chat["id"], "More")["assistant_message"]["status"] == "complete"


def test_a_key_is_shown_once_and_kept_only_as_a_hash(team: TeamServer) -> None:
    """Creating a key shows it once; the list and the database never hold it."""
    _, auth = team.user()
    created = team.client.post("/me/keys", json={"name": "  laptop  "}, headers=auth)
    assert created.status_code == 201
    body = created.json()
    assert set(body) == KEY_FIELDS | {"key"}
    assert body["name"] == "laptop" and body["last_used_at"] is None
    key = body["key"]
    assert key.startswith("bk_") and re.fullmatch(r"bk_[A-Za-z0-9_-]{43,}", key)  # 256 bits
    assert key.startswith(body["prefix"]) and len(body["prefix"]) < len(key) // 2
    parse_time(body["created_at"])
    listed = team.client.get("/me/keys", headers=auth).json()
    assert listed == {"keys": [{k: body[k] for k in KEY_FIELDS}]}
    with team.engine().connect() as connection:
        rows = connection.execute(text("SELECT * FROM api_keys WHERE id = :id"), {"id": body["id"]})
        stored = [str(value) for value in rows.one()]
    assert key not in stored
    assert hashlib.sha256(key.encode()).hexdigest() in stored
    for bad in ({"name": ""}, {"name": "   "}, {"name": "x" * 101}, {}):
        assert team.client.post("/me/keys", json=bad, headers=auth).status_code == 422


def test_a_key_works_like_a_token_but_cannot_manage_keys_or_the_password(
    team: TeamServer,
) -> None:
    """A script with a key reads and writes chats; keys and the password need a login."""
    name, auth = team.user()
    created = team.new_key(auth)
    key = {"Authorization": f"Bearer {created['key']}"}
    me = team.client.get("/me", headers=key)
    assert me.status_code == 200 and me.json()["username"] == name
    chat = new_chat(team.client, key, title="By key")
    assert team.client.get(f"/chats/{chat['id']}", headers=auth).json()["title"] == "By key"
    for method, path, body in (
        ("GET", "/me/keys", None),
        ("POST", "/me/keys", {"name": "another"}),
        ("DELETE", f"/me/keys/{created['id']}", None),
        ("POST", "/me/password", {"current_password": PASSWORD, "new_password": "x" * 12}),
    ):
        response = team.client.request(method, path, json=body, headers=key)
        assert response.status_code == 403, (method, path)
        assert "API key" in assert_error_body(response)
    assert [k["id"] for k in team.client.get("/me/keys", headers=auth).json()["keys"]] == [
        created["id"]
    ]
    assert team.login(name)  # the password is unchanged


def test_last_used_is_noted_but_written_at_most_once_a_minute(team: TeamServer) -> None:
    """The keys list tells when a key was last used, without a database write per call."""
    _, auth = team.user()
    created = team.new_key(auth)
    key = {"Authorization": f"Bearer {created['key']}"}
    assert team.client.get("/me", headers=key).status_code == 200
    (first,) = team.client.get("/me/keys", headers=auth).json()["keys"]
    used = parse_time(first["last_used_at"])
    assert used >= parse_time(created["created_at"])
    for _ in range(3):
        assert team.client.get("/chats", headers=key).status_code == 200
    (again,) = team.client.get("/me/keys", headers=auth).json()["keys"]
    assert again["last_used_at"] == first["last_used_at"]


def test_a_revoked_key_stops_at_once_and_others_keys_are_not_found(team: TeamServer) -> None:
    """Revoking answers 204 and the key gets 401 on its very next call."""
    _, auth = team.user()
    _, stranger = team.user()
    created = team.new_key(auth)
    other = team.new_key(auth, "other")
    key = {"Authorization": f"Bearer {created['key']}"}
    assert team.client.delete(f"/me/keys/{created['id']}", headers=stranger).status_code == 404
    assert team.client.get("/me", headers=key).status_code == 200
    assert team.client.delete(f"/me/keys/{created['id']}", headers=auth).status_code == 204
    gone = team.client.get("/me", headers=key)
    assert gone.status_code == 401 and gone.headers["www-authenticate"] == "Bearer"
    assert team.client.delete(f"/me/keys/{created['id']}", headers=auth).status_code == 404
    assert [k["id"] for k in team.client.get("/me/keys", headers=auth).json()["keys"]] == [
        other["id"]
    ]
    forged = {"Authorization": "Bearer bk_" + "A" * 43}
    assert team.client.get("/me", headers=forged).status_code == 401
