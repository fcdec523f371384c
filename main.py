"""BeykuSay: builds the app (REST API, pages, start-up) and runs the server."""

from __future__ import annotations

import gc

from nicegui import app, ui

import pages  # noqa: F401  (registers the @ui.page routes)
from beykusay.api.fastlane import route_api_past_pages
from beykusay.api.router import build_api
from beykusay.app import start, stop
from beykusay.config import get_settings
from beykusay.hardening import Hardening
from pages import assets
from pages.auth import AuthMiddleware

settings = get_settings()
route_api_past_pages(app, build_api(max_body_bytes=settings.max_body_bytes))
app.add_middleware(AuthMiddleware)
# Added last, so it wraps everything: every response gets the headers, even redirects.
app.add_middleware(Hardening, max_body_bytes=settings.max_body_bytes)
assets.install()
app.on_startup(start)
app.on_shutdown(stop)


def freeze_startup_objects() -> None:
    """What start-up built lives as long as the process: keep the collector off it.

    Full garbage collections otherwise walk every NiceGUI and SDK object again and
    again, and each such pause delays every stream at once.
    """
    gc.collect()
    gc.freeze()


if __name__ in {"__main__", "__mp_main__"}:
    app.on_startup(freeze_startup_objects)
    ui.run(
        host=settings.host,
        port=settings.port,
        title="BeykuSay",
        favicon="💬",
        reload=False,
        show=False,
        storage_secret=settings.storage_secret(),
        session_middleware_kwargs={"https_only": settings.session_cookie_is_secure},
        forwarded_allow_ips=settings.forwarded_allow_ips,
        dark=None,
        tailwind=False,  # the few utility classes the pages use are in pages/static/beykusay.css
        # On SIGTERM open streams get this long to finish before answers are interrupted.
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
