"""Builds the app (REST API, pages, start-up) and serves it: for main.py and `beykusay serve`."""

from __future__ import annotations

import gc
import logging
import signal
import sys
import threading
from types import FrameType

from nicegui import app, ui

from beykusay.api.fastlane import route_api_past_pages
from beykusay.api.files import UPLOAD_PATH, UPLOAD_SLACK
from beykusay.api.router import build_api
from beykusay.api.sharing import IMPORT_PATH, IMPORT_SLACK
from beykusay.app import start, stop
from beykusay.catalog import MODELS
from beykusay.config import Settings, StartupError, get_settings
from beykusay.extras import check_extras
from beykusay.hardening import Hardening
from beykusay.prompts import check_prompt_files


def build_app() -> None:
    """Register the API, the pages, the middleware and the start-up on NiceGUI's app."""
    # Imported here, not at the top: the User fixture re-imports the pages per test.
    import pages  # noqa: F401  (registers the @ui.page routes)
    from pages import assets, attachments, session_guard
    from pages.auth import AuthMiddleware
    from pages.share import NoIndex

    settings = get_settings()
    limits = body_limits(settings, attachments.UPLOAD_URL)
    route_api_past_pages(app, build_api(max_body_bytes=settings.max_body_bytes, body_limits=limits))
    app.include_router(attachments.router)  # the page's uploads, on the login session
    app.add_middleware(AuthMiddleware)
    app.add_middleware(NoIndex)
    # Added last, so it wraps everything: every response gets the headers, even redirects.
    app.add_middleware(Hardening, max_body_bytes=settings.max_body_bytes, limits=limits)
    assets.install()
    app.on_startup(start)
    app.on_shutdown(stop)
    session_guard.install()  # after start(): it reads the database


# Where each ui.upload element takes its files (nicegui/elements/upload.py); the only
# one here is Settings → Import chats (pages/transfer.py).
NICEGUI_UPLOAD = "/_nicegui/client/{client}/upload/{element}"


def body_limits(settings: Settings, page_upload_url: str) -> dict[str, int]:
    """The paths whose bodies may be larger than MAX_BODY_BYTES, and by how much.

    Uploads (the API's and the composer's) take MAX_UPLOAD_BYTES, imports (the API's
    and the NiceGUI upload of Settings → Import chats) MAX_IMPORT_BYTES, each with room
    for the multipart framing; the routes check the file itself. Every other path,
    whatever its content type, takes MAX_BODY_BYTES.
    """
    uploads = settings.max_upload_bytes + UPLOAD_SLACK
    imports = settings.max_import_bytes + IMPORT_SLACK
    return {
        UPLOAD_PATH: uploads,
        page_upload_url: uploads,
        IMPORT_PATH: imports,
        NICEGUI_UPLOAD: imports,
    }


def preflight(settings: Settings) -> None:
    """What would fail later, checked before serving: extras, then prompt files."""
    check_extras(settings)
    check_prompt_files(settings.prompts_dir, MODELS)


# Full collections after this many collections of the middle generation (CPython's
# default is 10). Frozen start-up objects do not count as long-lived, so with the default
# a full collection came whenever a quarter as many objects as the rest of the heap had
# lived a while: every page or two of a long chat (its elements live until the tab goes
# away). Each full collection paused every stream on the instance for 100-300 ms under
# load (tests/bench/open_chat.py). Cycles are still found at once while young; older
# ones wait at most 50 x 10 x 700 new container objects.
FULL_COLLECTION_EVERY = 50


def freeze_startup_objects() -> None:
    """What start-up built lives as long as the process: keep the collector off it.

    Full garbage collections otherwise walk every NiceGUI and SDK object again and
    again, and each such pause delays every stream at once; they also come less often.
    """
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)


def _log_to_stderr() -> None:
    """Show BeykuSay's own INFO lines (the start-up summary) unless logging is set up."""
    if logging.getLogger().handlers:
        return  # configured by someone else (pytest, an embedding program)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("beykusay")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _exit_cleanly(_signum: int, _frame: FrameType | None) -> None:
    sys.exit(0)


def serve(*, host: str | None = None, port: int | None = None) -> None:
    """Check the settings, then run the server until SIGTERM or Ctrl+C."""
    settings = get_settings()
    try:
        preflight(settings)
    except StartupError as exc:
        sys.exit(f"BeykuSay cannot start: {exc}")
    _log_to_stderr()
    app.on_startup(freeze_startup_objects)
    # Uvicorn shuts down gracefully on SIGTERM, then raises the signal again to the handler
    # it found: make that one exit with 0, as a service manager expects of a clean stop.
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_cleanly) if in_main_thread else None
    try:
        _run(settings, host=host, port=port)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _run(settings: Settings, *, host: str | None, port: int | None) -> None:
    ui.run(
        host=host or settings.host,
        port=port or settings.port,
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
