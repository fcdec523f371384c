"""NiceGUI pages: landing, login/register, chat, settings, shared chats."""

from pages import change_cost, element_cost, response_cost

element_cost.install()  # before any page makes an element
change_cost.install()
response_cost.install()

from pages import (  # noqa: E402, F401  (each registers its @ui.page routes)
    admin,
    chat,
    landing,
    login,
    pending,
    settings,
    share,
)
