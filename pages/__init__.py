"""NiceGUI pages: landing, login/register, chat, settings, shared chats."""

from pages import element_cost

element_cost.install()  # before any page makes an element

from pages import (  # noqa: E402, F401  (each registers its @ui.page routes)
    admin,
    chat,
    landing,
    login,
    pending,
    settings,
    share,
)
