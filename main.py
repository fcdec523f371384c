"""BeykuSay: builds the app (REST API, pages, start-up) and runs the server."""

from __future__ import annotations

from nicegui import app, ui

import pages  # noqa: F401  (registers the @ui.page routes)
from beykusay.api.router import install_api
from beykusay.app import start, stop
from beykusay.config import get_settings
from beykusay.hardening import Hardening

settings = get_settings()
app.add_middleware(Hardening, max_body_bytes=settings.max_body_bytes)
install_api(app)
app.on_startup(start)
app.on_shutdown(stop)

if __name__ in {"__main__", "__mp_main__"}:
    ui.run(
        host=settings.host,
        port=settings.port,
        title="BeykuSay",
        reload=False,
        show=False,
        storage_secret=settings.signing_key(),
        dark=None,
        # On SIGTERM open streams get this long to finish before answers are interrupted.
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
