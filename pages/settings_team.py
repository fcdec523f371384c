"""Two panels of Settings: my usage (a bar chart of the last 30 days, the month's total
and my limit) and my API keys (create, shown once with a copy button; list; revoke)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from nicegui import ui
from pydantic import ValidationError

from beykusay.db import utcnow
from beykusay.services import team_operations
from beykusay.services.errors import NotFound
from beykusay.services.usage import UsageReport
from beykusay.team_models import ApiKey
from beykusay.team_schemas import KeyCreate
from pages.auth import Viewer
from pages.widgets import copy_to_clipboard

CHART_DAYS = 30
SERIES = (
    ("prompt_tokens", "#a5b4fc"),
    ("output_tokens", "#4f46e5"),
    ("thinking_tokens", "#f59e0b"),
)
LABELS = {"prompt_tokens": "prompt", "output_tokens": "output", "thinking_tokens": "thinking"}


def usage_chart_options(report: UsageReport, title: str) -> dict:
    """Every one of the last 30 UTC days (zero where unused), tokens stacked by kind."""
    today = utcnow().date()
    days = [today - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]
    by_day = {row.day: row for row in report.days}
    muted = "#9ca3af"
    return {
        "title": {"text": title, "textStyle": {"fontSize": 13, "color": muted}},
        "backgroundColor": "transparent",
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "textStyle": {"color": muted}},
        "grid": {"left": 48, "right": 12, "top": 36, "bottom": 48},
        "xAxis": {
            "type": "category",
            "data": [day.strftime("%m-%d") for day in days],
            "axisLabel": {"color": muted},
        },
        "yAxis": {"type": "value", "axisLabel": {"color": muted}},
        "series": [
            {
                "name": LABELS[name],
                "type": "bar",
                "stack": "tokens",
                "itemStyle": {"color": color},
                "data": [getattr(by_day[d], name) if d in by_day else 0 for d in days],
            }
            for name, color in SERIES
        ],
    }


async def usage_panel(viewer: Viewer, section: Callable[[str], ui.column]) -> None:
    t = viewer.t
    report = await asyncio.to_thread(team_operations.usage_report, viewer.user_id, CHART_DAYS)
    with section(t("usage")).mark("usage"):
        limit = report.monthly_token_limit
        total = t("usage_month", tokens=f"{report.month_tokens:,}")
        if limit is not None:
            total += " " + t("usage_limit", limit=f"{limit:,}")
        with ui.row().classes("items-center gap-4 w-full"):
            ui.label(total).classes("font-medium").mark("usage-total")
            if limit is None:
                ui.label(t("usage_no_limit")).classes("bk-muted text-xs")
        if limit:
            ui.linear_progress(min(1.0, report.month_tokens / limit), show_value=False).props(
                "rounded size=8px" + (" color=negative" if report.month_tokens >= limit else "")
            ).mark("usage-progress")
        if not report.days:
            ui.label(t("usage_none")).classes("bk-muted text-sm").mark("usage-none")
        chart = ui.echart(usage_chart_options(report, t("usage_chart_title")))
        chart.classes("w-full").style("height: 240px").mark("usage-chart")


def _when(value: datetime | None, viewer: Viewer) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else viewer.t("never")


async def keys_panel(viewer: Viewer, section: Callable[[str], ui.column], base_url: str) -> None:
    """``base_url``: this server's /v1, shown beside a new key."""
    t = viewer.t
    user_id = viewer.user_id
    with section(t("api_keys")).mark("api-keys"):
        ui.label(t("api_keys_hint", url=base_url)).classes("bk-muted text-sm")
        with ui.row().classes("items-center gap-4 w-full"):
            name = ui.input(t("key_name")).props("outlined dense maxlength=100").classes("w-64")
            name.mark("key-name")
            create = ui.button(t("create_key"), icon="add").props("unelevated no-caps")
            create.mark("create-key")
        problem = ui.label(t("key_name_rules")).classes("bk-error").mark("key-error")
        problem.set_visibility(False)
        shown = ui.column().classes("w-full gap-2").mark("new-key")
        listing = ui.column().classes("w-full gap-0").mark("key-list")

        async def refresh() -> None:
            rows = await asyncio.to_thread(team_operations.list_keys, user_id)
            listing.clear()
            with listing:
                if not rows:
                    ui.label(t("no_keys")).classes("bk-muted text-sm").mark("no-keys")
                for row in rows:
                    _key_row(viewer, row, revoke)

        async def revoke(row: ApiKey) -> None:
            with contextlib.suppress(NotFound):  # revoked in another tab: gone is gone
                await asyncio.to_thread(team_operations.revoke_key, user_id, row.id or 0)
            ui.notify(t("key_revoked", name=row.name), type="positive")
            await refresh()

        async def make() -> None:
            problem.set_visibility(False)
            try:
                body = KeyCreate(name=name.value or "")
            except ValidationError:
                problem.set_visibility(True)
                return
            _, key = await asyncio.to_thread(team_operations.create_key, user_id, body.name)
            name.value = ""
            shown.clear()
            with shown:
                ui.label(t("key_created")).classes("font-medium")
                with ui.row().classes("items-center gap-2 w-full"):
                    field = ui.input(value=key).props("outlined dense readonly").classes("grow")
                    field.style("font-family: monospace").mark("key-value")
                    ui.button(
                        icon="content_copy", on_click=lambda: copy_to_clipboard(viewer, key)
                    ).props("flat round dense").mark("copy-key")
                with ui.row().classes("items-center gap-2 w-full"):
                    ui.label(t("base_url")).classes("bk-muted text-sm")
                    ui.label(base_url).style("font-family: monospace").mark("base-url")
                    ui.button(
                        icon="content_copy", on_click=lambda: copy_to_clipboard(viewer, base_url)
                    ).props("flat round dense").mark("copy-base-url")
            await refresh()

        create.on_click(make)
        name.on("keydown.enter", make)
        await refresh()


def _key_row(viewer: Viewer, row: ApiKey, revoke: Callable) -> None:
    t = viewer.t
    with ui.row().classes("items-center gap-4 w-full py-2").mark(f"key-{row.name}"):
        with ui.column().classes("gap-0 grow"):
            ui.label(row.name).classes("font-medium")
            ui.label(
                f"{t('key_prefix')} {row.prefix}… · {t('col_created')} "
                f"{_when(row.created_at, viewer)} · {t('key_last_used')} "
                f"{_when(row.last_used_at, viewer)}"
            ).classes("bk-muted text-xs")
        ui.button(t("revoke"), on_click=lambda: revoke(row)).props(
            "flat dense no-caps color=negative"
        ).mark(f"revoke-{row.name}")


def v1_base_url() -> str:
    """This server's OpenAI-compatible base URL, as the browser reached it."""
    request = ui.context.client.request
    base = str(request.base_url).rstrip("/") if request is not None else ""
    return f"{base}/v1"
