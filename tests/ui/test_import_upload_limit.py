"""Settings → Import chats uploads through NiceGUI's own route: the body limit map
names that route, so an import gets MAX_IMPORT_BYTES there, not MAX_BODY_BYTES."""

from __future__ import annotations

from nicegui.testing import User

from beykusay.api.sharing import IMPORT_SLACK
from beykusay.hardening import Hardening
from beykusay.server import body_limits
from beykusay.state import get_state
from tests.ui.conftest import Register


async def test_the_import_uploader_posts_where_the_import_limit_holds(
    user: User, register: Register
) -> None:
    """The uploader the user drops an export on posts to a path the map gives the import
    limit (a 300 kB export there is not refused as too large)."""
    await register()
    await user.open("/settings")
    await user.should_see(marker="import-upload")
    uploader = next(iter(user.find(marker="import-upload").elements))
    settings = get_state().settings
    hardening = Hardening(
        lambda *_: None,  # type: ignore[arg-type, return-value]
        max_body_bytes=settings.max_body_bytes,
        limits=body_limits(settings, "/attachments"),
    )
    assert hardening.limit(uploader.props["url"]) == settings.max_import_bytes + IMPORT_SLACK
