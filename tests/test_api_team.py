"""Roles, sign-up and the admin endpoints, through HTTP (API.md "Roles, sign-up, usage")."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from tests import fakegemini as g
from tests.apihelpers import assert_error_body, new_chat, parse_time, send
from tests.conftest import PASSWORD, new_username
from tests.fakegemini import FakeGemini
from tests.teamhelpers import TeamServer, team, team_server_at

__all__ = ["team"]

ADMIN_FIELDS = {
    "id",
    "username",
    "role",
    "status",
    "created_at",
    "last_seen_at",
    "chats",
    "messages",
    "month_tokens",
    "monthly_token_limit",
}


def find_user(team: TeamServer, username: str) -> dict:
    response = team.client.get("/admin/users", params={"q": username}, headers=team.admin)
    assert response.status_code == 200, response.text
    (found,) = [u for u in response.json()["users"] if u["username"].lower() == username.lower()]
    return found


def test_the_first_account_is_an_admin_and_later_ones_are_users(team: TeamServer) -> None:
    """The person who set the server up is its admin; whoever registers next is a user."""
    me = team.client.get("/me", headers=team.admin).json()
    assert me["role"] == "admin"
    _, auth = team.user()
    assert team.client.get("/me", headers=auth).json()["role"] == "user"


def test_admin_lists_users_with_their_counts_searchable_and_paged(
    team: TeamServer, gemini: FakeGemini
) -> None:
    """The admin's table shows each user's chats, messages and tokens this month."""
    name, auth = team.user()
    chat = new_chat(team.client, auth)
    gemini.enqueue([*g.reply("Hello there."), g.usage(40, 10, 5)])
    send(team.client, auth, chat["id"], "Hi")
    row = find_user(team, name.upper())  # the search ignores case
    assert set(row) == ADMIN_FIELDS
    assert row["role"] == "user" and row["status"] == "active"
    assert (row["chats"], row["messages"], row["month_tokens"]) == (1, 2, 55)
    assert row["monthly_token_limit"] is None
    parse_time(row["created_at"])
    parse_time(row["last_seen_at"])

    everyone = team.client.get("/admin/users", headers=team.admin).json()
    assert everyone["total"] >= 2 and len(everyone["users"]) == min(everyone["total"], 50)
    first = team.client.get("/admin/users", params={"limit": 1}, headers=team.admin).json()
    second = team.client.get(
        "/admin/users", params={"limit": 1, "offset": 1}, headers=team.admin
    ).json()
    assert first["total"] == second["total"] == everyone["total"]
    assert [first["users"][0]["id"], second["users"][0]["id"]] == [
        u["id"] for u in everyone["users"][:2]
    ]
    nobody = team.client.get("/admin/users", params={"q": "no_such%"}, headers=team.admin)
    assert nobody.json() == {"users": [], "total": 0}
    bad = team.client.get("/admin/users", params={"limit": 0}, headers=team.admin)
    assert bad.status_code == 422


def admin_calls(user_id: int) -> list[tuple[str, str, dict | None]]:
    return [
        ("GET", "/admin/users", None),
        ("POST", "/admin/users", {"username": new_username(), "password": PASSWORD}),
        ("PATCH", f"/admin/users/{user_id}", {"role": "admin"}),
        ("DELETE", f"/admin/users/{user_id}", None),
        ("GET", "/admin/settings", None),
        ("PATCH", "/admin/settings", {"signup": "closed"}),
    ]


def test_every_admin_endpoint_refuses_a_non_admin_with_a_token_or_a_key(
    team: TeamServer,
) -> None:
    """A user who tries the admin API gets 403 everywhere and changes nothing."""
    name, auth = team.user()
    key = {"Authorization": f"Bearer {team.new_key(auth)['key']}"}
    admin_id = team.user_id(team.admin)
    for headers in (auth, key):
        for method, path, body in admin_calls(admin_id):
            response = team.client.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, (method, path, response.text)
            assert "admin" in assert_error_body(response)
    for method, path, body in admin_calls(admin_id):
        response = team.client.request(method, path, json=body)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert team.client.get("/me", headers=team.admin).json()["role"] == "admin"
    assert find_user(team, name)["role"] == "user"
    assert team.client.get("/admin/settings", headers=team.admin).json() == {"signup": "open"}


def test_an_admin_key_works_on_admin_endpoints(team: TeamServer) -> None:
    """An admin's script can use the admin API with an API key."""
    key = {"Authorization": f"Bearer {team.new_key(team.admin)['key']}"}
    assert team.client.get("/admin/users", headers=key).status_code == 200


def test_approval_sign_up_keeps_new_accounts_pending_until_approved(team: TeamServer) -> None:
    """With approval on, a newcomer is told they wait for approval, until an admin approves."""
    team.set_signup("approval")
    try:
        name = new_username("newcomer")
        created = team.client.post("/register", json={"username": name, "password": PASSWORD})
        assert created.status_code == 201
        login = team.client.post("/login", json={"username": name, "password": PASSWORD})
        assert login.status_code == 403
        assert "waiting for approval" in assert_error_body(login)
        wrong = team.client.post("/login", json={"username": name, "password": "wrong password"})
        assert wrong.status_code == 401  # the status is told only with the right password
        row = find_user(team, name)
        assert row["status"] == "pending"
        approved = team.patch_user(row["id"], status="active")
        assert approved.status_code == 200 and approved.json()["status"] == "active"
        assert team.login(name)
    finally:
        team.set_signup("open")


def test_closed_sign_up_refuses_registering_and_admins_create_accounts(team: TeamServer) -> None:
    """With sign-up closed only an admin makes accounts; those can log in at once."""
    team.set_signup("closed")
    try:
        assert team.client.get("/admin/settings", headers=team.admin).json() == {"signup": "closed"}
        name = new_username()
        refused = team.client.post("/register", json={"username": name, "password": PASSWORD})
        assert refused.status_code == 403 and "closed" in assert_error_body(refused)
        created = team.client.post(
            "/admin/users",
            json={"username": name, "password": PASSWORD, "role": "admin"},
            headers=team.admin,
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert set(body) == ADMIN_FIELDS
        assert (body["username"], body["role"], body["status"]) == (name, "admin", "active")
        assert team.client.get("/me", headers=team.login(name)).json()["role"] == "admin"
        taken = team.client.post(
            "/admin/users", json={"username": name, "password": PASSWORD}, headers=team.admin
        )
        assert taken.status_code == 409
        short = team.client.post(
            "/admin/users", json={"username": new_username(), "password": "x"}, headers=team.admin
        )
        assert short.status_code == 422
    finally:
        team.set_signup("open")
    bad = team.client.patch("/admin/settings", json={"signup": "maybe"}, headers=team.admin)
    assert bad.status_code == 422


def test_disabling_ends_tokens_and_keys_at_once_and_enabling_restores(team: TeamServer) -> None:
    """A disabled user's token and key stop working; they cannot log in; enabling undoes it."""
    name, auth = team.user()
    key = {"Authorization": f"Bearer {team.new_key(auth)['key']}"}
    user_id = team.user_id(auth)
    disabled = team.patch_user(user_id, status="disabled")
    assert disabled.status_code == 200 and disabled.json()["status"] == "disabled"
    for headers in (auth, key):
        response = team.client.get("/me", headers=headers)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    login = team.client.post("/login", json={"username": name, "password": PASSWORD})
    assert login.status_code == 403 and "disabled" in assert_error_body(login)
    assert team.patch_user(user_id, status="active").status_code == 200
    assert team.client.get("/me", headers=auth).status_code == 200
    assert team.client.get("/me", headers=key).status_code == 200
    log = team.process.log()  # who did what, in the server's log
    assert f"admin {team.admin_name} changed user {name} (id {user_id}): status=disabled" in log
    assert f"admin {team.admin_name} changed user {name} (id {user_id}): status=active" in log


def test_an_admin_sets_a_password_and_the_older_tokens_end(team: TeamServer) -> None:
    """After an admin resets a password, old sessions end and the new password works."""
    name, auth = team.user()
    user_id = team.user_id(auth)
    response = team.patch_user(user_id, password="a brand new password")
    assert response.status_code == 200
    assert team.client.get("/me", headers=auth).status_code == 401
    assert (
        team.client.get("/me", headers=team.login(name, "a brand new password")).status_code == 200
    )
    assert team.patch_user(user_id, password="short").status_code == 422


def test_roles_and_limits_change_and_show(team: TeamServer) -> None:
    """An admin makes a user an admin and back, and sets and clears a monthly limit."""
    _, auth = team.user()
    user_id = team.user_id(auth)
    promoted = team.patch_user(user_id, role="admin")
    assert promoted.json()["role"] == "admin"
    assert team.client.get("/admin/users", headers=auth).status_code == 200
    assert team.patch_user(user_id, role="user").json()["role"] == "user"
    assert team.client.get("/admin/users", headers=auth).status_code == 403
    limited = team.patch_user(user_id, monthly_token_limit=5000)
    assert limited.json()["monthly_token_limit"] == 5000
    usage = team.client.get("/me/usage", headers=auth).json()
    assert usage["monthly_token_limit"] == 5000
    assert team.patch_user(user_id, monthly_token_limit=None).json()["monthly_token_limit"] is None
    for bad in ({"role": "root"}, {"status": "gone"}, {"monthly_token_limit": -1}):
        assert team.patch_user(user_id, **bad).status_code == 422
    assert team.patch_user(10**9, role="user").status_code == 404


def test_the_last_active_admin_cannot_be_demoted_disabled_or_deleted(team: TeamServer) -> None:
    """The server always keeps an admin who can act: the last one is refused with 409."""
    rows = team.client.get("/admin/users", params={"limit": 200}, headers=team.admin).json()
    admin_id = team.user_id(team.admin)
    for other in rows["users"]:  # earlier tests may have made other admins
        if other["id"] != admin_id and other["role"] == "admin":
            assert team.patch_user(other["id"], role="user").status_code == 200
    for change in ({"role": "user"}, {"status": "disabled"}, {"status": "pending"}):
        refused = team.patch_user(admin_id, **change)
        assert refused.status_code == 409 and "last active admin" in assert_error_body(refused)
    deleted = team.client.delete(f"/admin/users/{admin_id}", headers=team.admin)
    assert deleted.status_code == 409
    assert team.client.get("/me", headers=team.admin).json()["role"] == "admin"
    # With a second admin, the first may step down.
    _, auth = team.user()
    second = team.user_id(auth)
    assert team.patch_user(second, role="admin").status_code == 200
    disabled_admin = team.patch_user(second, status="disabled")
    assert disabled_admin.status_code == 200  # another active admin remains
    assert team.patch_user(admin_id, role="user").status_code == 409  # the other is disabled
    assert team.patch_user(second, status="active").status_code == 200
    assert team.patch_user(second, role="user").status_code == 200


def test_deleting_a_user_removes_their_chats_and_keys(team: TeamServer, gemini: FakeGemini) -> None:
    """A deleted user is gone with everything they had: no login, no token, no key."""
    name, auth = team.user()
    key = {"Authorization": f"Bearer {team.new_key(auth)['key']}"}
    chat = new_chat(team.client, auth)
    send(team.client, auth, chat["id"], "Remember this")
    user_id = team.user_id(auth)
    assert team.client.delete(f"/admin/users/{user_id}", headers=team.admin).status_code == 204
    for headers in (auth, key):
        assert team.client.get("/me", headers=headers).status_code == 401
    login = team.client.post("/login", json={"username": name, "password": PASSWORD})
    assert login.status_code == 401
    search = team.client.get("/admin/users", params={"q": name}, headers=team.admin)
    assert search.json()["total"] == 0
    with team.engine().connect() as connection:
        for table in ("chats", "api_keys", "usage_days"):
            left = connection.execute(
                text(f"SELECT COUNT(*) FROM {table} WHERE user_id = :id"), {"id": user_id}
            ).scalar()
            assert left == 0, table
        orphans = connection.execute(
            text("SELECT COUNT(*) FROM messages WHERE chat_id = :id"), {"id": chat["id"]}
        ).scalar()
        assert orphans == 0
    missing = team.client.delete(f"/admin/users/{user_id}", headers=team.admin)
    assert missing.status_code == 404


def test_the_environment_sets_the_default_policy_and_limit(
    tmp_path: Path, fake_gemini: FakeGemini
) -> None:
    """SIGNUP=approval and USER_MONTHLY_TOKENS apply until an admin changes them; the very
    first account is still an active admin."""
    server = team_server_at(tmp_path, fake_gemini, SIGNUP="approval", USER_MONTHLY_TOKENS="100")
    try:
        assert server.client.get("/admin/settings", headers=server.admin).json() == {
            "signup": "approval"
        }
        name = new_username()
        assert (
            server.client.post("/register", json={"username": name, "password": PASSWORD})
        ).status_code == 201
        row = find_user(server, name)
        assert (row["status"], row["monthly_token_limit"]) == ("pending", 100)
        usage = server.client.get("/me/usage", headers=server.admin).json()
        assert usage["monthly_token_limit"] == 100
    finally:
        server.close()
