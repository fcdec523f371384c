"""NiceGUI pages: landing, login/register, chat, settings, shared chats."""

from pages import chat, landing, login, settings, share  # noqa: F401  (each registers its @ui.page routes)
