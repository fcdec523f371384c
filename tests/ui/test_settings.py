"""Settings: theme (applied before paint), language, default model, instructions."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from beykusay.schemas import SettingsUpdate
from beykusay.services import operations
from tests.ui.conftest import Register, eventually, newest_chat


def element(user: User, marker: str) -> ui.element:
    return next(iter(user.find(marker=marker).elements))


def head_of(user: User) -> str:
    assert user.client is not None
    return user.client.head_html


async def test_settings_page_shows_every_section(user: User, register: Register) -> None:
    await register()
    user.find(marker="menu-settings").click()
    for text in ("Appearance", "Chats", "Change password", "Account", "Signed in as alice"):
        await user.should_see(text, retries=30)


async def test_theme_is_kept_and_set_in_the_head(user: User, register: Register) -> None:
    await register()
    assert 'window.bkTheme("auto")' in head_of(user)
    await user.open("/settings")
    toggle = element(user, "theme")
    with user:
        toggle.value = "dark"
    await eventually(lambda: operations.load_user(1).theme == "dark")
    await user.open("/chat")
    assert 'window.bkTheme("dark")' in head_of(user)  # the class is on <html> before paint
    dark = next(iter(user.find(kind=ui.dark_mode).elements))
    assert dark.value is True


async def test_the_header_button_flips_what_the_page_shows(user: User, register: Register) -> None:
    """One click always changes what the user sees: the browser reports whether the page
    shows dark (what "auto" looks like is the system's choice), the button shows the other."""
    await register()
    toggle = user.find(marker="theme-toggle")
    toggle.trigger("click", False)  # auto on a light system -> dark
    await eventually(lambda: operations.load_user(1).theme == "dark")
    toggle.trigger("click", True)  # dark -> light
    await eventually(lambda: operations.load_user(1).theme == "light")
    await user.open("/settings")
    assert 'window.bkTheme("light")' in head_of(user)

    operations.save_settings(1, SettingsUpdate(theme="auto"))
    await user.open("/chat")
    user.find(marker="theme-toggle").trigger("click", True)  # auto on a dark system -> light
    await eventually(lambda: operations.load_user(1).theme == "light")


async def test_visitors_keep_their_theme_in_the_browser(user: User) -> None:
    await user.open("/login")
    user.find(marker="theme-toggle").trigger("click", False)
    await user.open("/")
    assert 'window.bkTheme("dark")' in head_of(user)


async def test_language_can_be_chosen_in_settings(user: User, register: Register) -> None:
    await register()
    await user.open("/settings")
    with user:
        element(user, "language").value = "ru"
    await user.should_see("Оформление", retries=50)
    await user.open("/chat")
    await user.should_see("Чем могу помочь?")
    assert operations.load_user(1).language == "ru"


async def test_default_model_is_used_for_new_chats(user: User, register: Register) -> None:
    await register()
    await user.open("/settings")
    with user:
        element(user, "default-model").value = "BeykusSmallR"
    await eventually(lambda: operations.load_user(1).default_model == "BeykusSmallR")
    await user.open("/chat")
    assert element(user, "model-select").value == "BeykusSmallR"
    user.find(marker="message-input").type("hi")
    user.find(marker="send").click()
    await user.should_see(marker="regenerate", retries=200)
    assert newest_chat().model == "BeykusSmallR"


async def test_custom_instructions_are_saved(user: User, register: Register) -> None:
    await register()
    await user.open("/settings")
    user.find(marker="instructions").type("Answer like a pirate.")
    user.find(marker="save-instructions").click()
    await user.should_see("Saved.", retries=30)
    assert operations.load_user(1).custom_instructions == "Answer like a pirate."
    await user.open("/settings")
    assert element(user, "instructions").value == "Answer like a pirate."


async def test_new_password_rules_are_explained(user: User, register: Register) -> None:
    await register()
    await user.open("/settings")
    user.find(marker="current-password").type("whatever")
    user.find(marker="new-password").type("short")
    user.find(marker="repeat-password").type("short")
    user.find(marker="change-password").click()
    await user.should_see("At least 8 characters (at most 128).", retries=30)
    user.find(marker="new-password").clear().type("long enough one")
    user.find(marker="repeat-password").clear().type("long enough two")
    user.find(marker="change-password").click()
    await user.should_see("The passwords do not match.", retries=30)


async def test_log_out_from_settings(user: User, register: Register) -> None:
    await register()
    await user.open("/settings")
    user.find(marker="logout").click()
    await user.should_see("Welcome back", retries=30)
    await user.open("/settings")
    await user.should_see("Welcome back")
