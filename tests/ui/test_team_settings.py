"""Settings: the usage panel and the API keys panel (User-fixture stories)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from nicegui import core, ui
from nicegui.testing import User

from beykusay.db import new_session, utcnow
from beykusay.services import keys, usage
from tests.ui.conftest import Register, eventually


def element(user: User, marker: str) -> ui.element:
    return next(iter(user.find(marker=marker).elements))


async def test_a_new_key_is_shown_once_with_the_v1_base_url_and_can_be_revoked(
    user: User, register: Register
) -> None:
    """The key appears once beside /v1 and a copy button; it works until revoked."""
    await register("alice")
    await user.open("/settings")
    await user.should_see("API keys", retries=30)
    await user.should_see(marker="no-keys")
    user.find(marker="create-key").click()
    await user.should_see("A key name has 1–100 characters.")
    user.find(marker="key-name").type("laptop")
    user.find(marker="create-key").click()
    await user.should_see("Copy the key now: it is shown only once.", retries=30)
    key = element(user, "key-value").value
    assert key.startswith("bk_")
    await user.should_see("http://test/v1")
    await user.should_see(marker="copy-key")
    await user.should_see(marker="key-laptop")
    with new_session() as session:
        (row,) = keys.list_keys(session=session, user_id=1)
        assert row.prefix in key and key not in row.model_dump().values()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(core.app), base_url="http://test"
    ) as client:
        me = await client.get("/api/me", headers={"Authorization": f"Bearer {key}"})
        assert me.status_code == 200 and me.json()["username"] == "alice"
        await user.open("/settings")  # a reload: the key is not shown again
        await user.should_see(marker="key-laptop", retries=30)
        await user.should_not_see(marker="key-value")
        user.find(marker="revoke-laptop").click()
        await user.should_see("Key laptop revoked.")
        await user.should_see(marker="no-keys")
        gone = await client.get("/api/me", headers={"Authorization": f"Bearer {key}"})
        assert gone.status_code == 401


async def test_usage_shows_the_month_the_limit_and_a_chart_of_30_days(
    user: User, register: Register
) -> None:
    """Two days of use show as bars; the month's total sits beside the limit."""
    await register("alice")
    today = utcnow().date()
    with new_session() as session:
        usage.record_usage(session=session, user_id=1, prompt_tokens=1200, output_tokens=300)
        usage.record_usage(
            session=session, user_id=1, output_tokens=50, day=today - timedelta(days=3)
        )
        session.commit()
    with new_session() as session:
        user_row = session.get(usage.User, 1)
        assert user_row is not None
        user_row.monthly_token_limit = 10_000
        session.add(user_row)
        session.commit()
    await user.open("/settings")
    await user.should_see(marker="usage-chart", retries=30)
    month = 1500 + (50 if (today - timedelta(days=3)).month == today.month else 0)
    await user.should_see(f"This month: {month:,} tokens of 10,000")
    chart = element(user, "usage-chart")
    options = chart.options
    assert len(options["xAxis"]["data"]) == 30
    assert options["xAxis"]["data"][-1] == today.strftime("%m-%d")
    prompt, output, _ = options["series"]
    assert prompt["data"][-1] == 1200 and output["data"][-1] == 300
    assert output["data"][-4] == 50 and sum(output["data"]) == 350
    progress = element(user, "usage-progress")
    await eventually(lambda: abs(progress.value - month / 10_000) < 1e-9)


async def test_sending_past_the_monthly_limit_says_when_it_resets(
    user: User, register: Register
) -> None:
    """The composer refuses with the reset date and keeps what was typed."""
    await register("alice")
    with new_session() as session:
        usage.record_usage(session=session, user_id=1, prompt_tokens=500)
        row = session.get(usage.User, 1)
        assert row is not None
        row.monthly_token_limit = 100
        session.add(row)
        session.commit()
    reset = usage.next_month(utcnow().date()).isoformat()
    user.find(marker="message-input").clear().type("One more question")
    user.find(marker="send").click()
    await user.should_see(
        f"Your monthly token limit is used up. It resets on {reset} (UTC).", retries=50
    )
    assert element(user, "message-input").value == "One more question"
