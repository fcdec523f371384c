"""The admin page and the usage chart in a real browser (light and dark), and a disabled
user's two tabs going to the login page."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import text

from beykusay.db import make_engine
from tests.browser.conftest import PASSWORD, SHOTS, Server, register, shot

pytestmark = pytest.mark.browser


def team_shot(page: Page, name: str, **kwargs: object) -> None:
    shot(page, f"team-{name}", **kwargs)


def execute(server: Server, sql: str, **values: object) -> None:
    engine = make_engine(server.database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql), values)
    finally:
        engine.dispose()


def set_theme(server: Server, name: str, theme: str) -> None:
    execute(
        server, "UPDATE users SET theme = :theme WHERE username = :name", theme=theme, name=name
    )


def seed_usage(server: Server, name: str) -> None:
    """Three weeks of answers, as finished answers would have left them."""
    today = datetime.now(UTC).date()
    for back in range(0, 21, 2):
        execute(
            server,
            "INSERT INTO usage_days (user_id, day, messages, prompt_tokens, output_tokens,"
            " thinking_tokens) SELECT id, :day, 3, :p, :o, :t FROM users WHERE username = :name",
            day=today - timedelta(days=back),
            p=900 + 150 * (back % 5),
            o=400 + 90 * (back % 3),
            t=120 * (back % 4),
            name=name,
        )


def test_the_admin_page_and_the_usage_chart_light_and_dark(page: Page, server: Server) -> None:
    """An admin sees every user in a table and their own usage as bars, in both themes."""
    admin = register(page, server, "admin")
    execute(server, "UPDATE users SET role = 'admin' WHERE username = :name", name=admin)
    with httpx.Client(base_url=server.url + "/api", timeout=30) as api:
        for name in ("grace", "linus", "margaret"):
            api.post("/register", json={"username": f"{name}{admin[-4:]}", "password": PASSWORD})
    execute(
        server,
        "UPDATE users SET status = 'pending' WHERE username = :name",
        name=f"linus{admin[-4:]}",
    )
    execute(
        server,
        "UPDATE users SET monthly_token_limit = 50000 WHERE username = :name",
        name=f"grace{admin[-4:]}",
    )
    seed_usage(server, admin)
    for theme in ("light", "dark"):
        set_theme(server, admin, theme)
        page.goto(server.url + "/admin")
        expect(page.get_by_text("Users", exact=True)).to_be_visible()
        # Other tests share this server, so this test's accounts may be past the first
        # page of 25: the admin finds them by name, as they would.
        search = page.get_by_label("Search users")
        search.fill(admin)
        expect(page.get_by_text(admin, exact=True)).to_be_visible()
        search.fill(f"linus{admin[-4:]}")
        expect(page.get_by_text("pending", exact=True)).to_be_visible()
        search.fill("")
        expect(page.get_by_text(re.compile(r"^([2-9]|\d\d+) users$"))).to_be_visible()
        team_shot(page, f"admin-{theme}", full_page=True)
        page.goto(server.url + "/settings")
        chart = page.locator(".bk-card").filter(has_text="This month:")
        chart.scroll_into_view_if_needed()
        expect(chart.locator("canvas").first).to_be_visible()
        page.wait_for_timeout(800)  # echarts animates its bars in
        chart.screenshot(path=str(SHOTS / f"team-usage-{theme}.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server.url + "/admin")
    page.get_by_label("Search users").fill(admin)
    expect(page.get_by_text(admin, exact=True)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the admin page scrolls sideways on a phone ({width} px)"
    team_shot(page, "admin-phone-dark", full_page=True)


def test_a_disabled_users_tabs_go_to_the_login_page(
    context: BrowserContext, server: Server
) -> None:
    """Both open tabs of a user an admin disables end on the login page, logged out."""
    first = context.new_page()
    name = register(first, server, "leaver")
    second = context.new_page()
    second.goto(server.url + "/settings")
    expect(second.get_by_text("API keys", exact=True)).to_be_visible()
    execute(server, "UPDATE users SET status = 'disabled' WHERE username = :name", name=name)
    started = time.monotonic()
    for tab in (first, second):
        tab.wait_for_url("**/login", timeout=15_000)
    elapsed = time.monotonic() - started
    print(f"both tabs reached /login {elapsed:.2f} s after the user was disabled")
    expect(second.get_by_text("Welcome back")).to_be_visible()
    second.goto(server.url + "/chat")  # the session has ended: no way back in
    second.wait_for_url("**/login?redirect_to=*")
