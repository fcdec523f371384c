"""NiceGUI pages: landing, login/register, chat, settings."""

from pages import chat, landing, login, settings  # noqa: F401  (each registers its @ui.page routes)
