"""NiceGUI pages: landing, login/register, chat, settings."""

from pages import element_cost

element_cost.install()  # before any page makes an element

from pages import chat, landing, login, settings  # noqa: E402, F401  (each registers its @ui.page routes)
