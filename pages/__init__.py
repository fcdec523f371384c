"""NiceGUI pages: landing, login/register, chat, settings."""

from pages import (  # noqa: F401  (each registers its @ui.page routes)
    admin,
    chat,
    landing,
    login,
    pending,
    settings,
)
