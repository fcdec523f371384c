"""The chat page: sending, streaming, thinking, stop, regenerate, edit, retry, other tabs."""

from __future__ import annotations

import asyncio

from nicegui import ui
from nicegui.testing import User

from beykusay.state import get_state
from tests.ui.conftest import (
    Register,
    ScriptedProvider,
    eventually,
    messages_of,
    newest_chat,
    second_tab,
    use_provider,
)


async def send(user: User, text: str) -> None:
    user.find(marker="message-input").clear().type(text)
    user.find(marker="send").click()


async def answered(user: User) -> None:
    """Wait until the last answer finished (its Regenerate button shows)."""
    await user.should_see(marker="regenerate", retries=200)


def input_value(user: User) -> str:
    element = next(iter(user.find(marker="message-input").elements))
    assert isinstance(element, ui.textarea)
    return element.value


async def test_an_answer_streams_in_and_the_chat_gets_its_title(
    user: User, register: Register
) -> None:
    await register()
    await send(user, "What is BeykuSay?")
    await user.should_see("What is BeykuSay?")  # the question shows at once
    await answered(user)
    await user.should_see("demo mode")
    await user.should_see("greet")  # the code block, highlighted
    assert input_value(user) == ""
    with user:
        chat = newest_chat()
    await user.should_see(marker=f"chat-{chat.id}")  # the sidebar lists it under its title
    assert chat.title == "What is BeykuSay?"
    saved = messages_of(chat.id or 0)
    assert [m["role"] for m in saved] == ["user", "assistant"]
    assert saved[1]["status"] == "complete"


async def test_the_thinking_block_shows_then_folds(user: User, register: Register) -> None:
    await register()
    use_provider(
        ScriptedProvider(["<think>Let me ", "consider this.", "</think>", "The answer ", "is 42."])
    )
    await send(user, "Think first")
    await answered(user)
    await user.should_see("Let me consider this.")
    expansion = next(iter(user.find(marker="thoughts").elements))
    assert isinstance(expansion, ui.expansion)
    assert expansion.value is False  # folded once the answer started
    assert expansion.text.startswith("Thought")
    await user.should_see("is 42.")


async def test_thinking_is_live_while_the_model_thinks(user: User, register: Register) -> None:
    await register()
    use_provider(ScriptedProvider(["<think>Pondering", " more"] + ["."] * 40, delay=0.02))
    await send(user, "Think slowly")
    await user.should_see("Thinking…", retries=100)
    await user.should_see("Pondering", retries=100)
    expansion = next(iter(user.find(marker="thoughts").elements))
    assert expansion.value is True  # open while thinking
    await user.should_see(marker="stop")
    user.find(marker="stop").click()
    await answered(user)


async def test_the_model_picker_offers_three_models_and_sticks_to_the_chat(
    user: User, register: Register
) -> None:
    await register()
    picker = next(iter(user.find(marker="model-select").elements))
    assert isinstance(picker, ui.select)
    assert list(picker.options.values()) == [
        "Beykus Small · demo",
        "Beykus Chat · demo",
        "Beykus Small R · demo",
    ]
    user.find(marker="model-select").click()
    user.find("Beykus Small R · demo").click()
    await send(user, "hello")
    await answered(user)
    with user:
        chat = newest_chat()
    assert chat.model == "BeykusSmallR"
    await user.should_see(marker="thoughts")  # the demo thinks for the R model
    user.find(marker="model-select").click()
    user.find("Beykus Small · demo").click()
    await eventually(lambda: newest_chat().model == "BeykusSmall")
    await user.open(f"/chat/{chat.id}")
    picker = next(iter(user.find(marker="model-select").elements))
    assert picker.value == "BeykusSmall"


async def test_stop_keeps_what_arrived(user: User, register: Register) -> None:
    await register()
    pieces = ["Alpha ", "beta "] + ["gamma "] * 200
    use_provider(ScriptedProvider(pieces, delay=0.02))
    await send(user, "Go slowly")
    await user.should_see("Alpha", retries=100)
    user.find(marker="stop").click()
    await answered(user)
    await user.should_see("Stopped")
    saved = messages_of(newest_chat().id or 0)
    assert saved[-1]["status"] == "stopped"
    # what had arrived when Stop was pressed, and no more than the model would have said
    kept = saved[-1]["content"]
    assert kept.startswith("Alpha ") and "".join(pieces).startswith(kept)
    assert len(kept) < len("".join(pieces))


async def test_regenerate_shows_the_new_answer_and_keeps_the_old_one(
    user: User, register: Register
) -> None:
    await register()
    use_provider(ScriptedProvider(["First answer."]))
    await send(user, "Question")
    await answered(user)
    use_provider(ScriptedProvider(["Second answer."]))
    user.find(marker="regenerate").click()
    await user.should_see("Second answer.", retries=100)
    await user.should_not_see("First answer.")
    await answered(user)
    await user.should_see("2 / 2")
    saved = messages_of(newest_chat().id or 0)
    assert [m["content"] for m in saved] == ["Question", "First answer.", "Second answer."]


async def test_edit_and_resend_the_last_question(user: User, register: Register) -> None:
    await register()
    use_provider(ScriptedProvider(["About cats."]))
    await send(user, "Tell me about cats")
    await answered(user)
    use_provider(ScriptedProvider(["About dogs."]))
    user.find(marker="edit").click()
    user.find(marker="edit-input").clear().type("Tell me about dogs")
    user.find(marker="edit-send").click()
    await user.should_see("About dogs.", retries=100)
    await answered(user)
    with user.scope(marker="thread"):
        await user.should_see("Tell me about dogs")
        await user.should_not_see("Tell me about cats")
    saved = messages_of(newest_chat().id or 0)
    assert [m["content"] for m in saved] == [
        "Tell me about cats",
        "About cats.",
        "Tell me about dogs",
        "About dogs.",
    ]


async def test_a_failed_answer_shows_its_error_and_can_be_retried(
    user: User, register: Register
) -> None:
    await register()
    use_provider(ScriptedProvider(["Half an ans"], error="The model is overloaded."))
    await send(user, "Please answer")
    await user.should_see(marker="retry", retries=200)
    await user.should_see("The model is overloaded.")
    await user.should_see("Half an ans")  # what arrived stays
    assert input_value(user) == ""  # the question was sent and is in the thread
    await user.should_see("Please answer")
    use_provider(ScriptedProvider(["A whole answer."]))
    user.find(marker="retry").click()
    await user.should_see("A whole answer.", retries=100)
    await answered(user)
    await user.should_not_see(marker="retry")


async def test_when_sending_fails_the_text_stays_in_the_input(
    user: User, register: Register
) -> None:
    await register()
    get_state().generation.accepting = False  # e.g. the server is shutting down
    await send(user, "Do not lose me")
    await user.should_see("The server is restarting", retries=50)
    assert input_value(user) == "Do not lose me"


async def test_an_empty_or_too_long_message_is_not_sent(user: User, register: Register) -> None:
    await register()
    await send(user, "   ")
    await send(user, "x" * 32001)
    await user.should_see("A message can have at most 32,000 characters; this one has 32,001.")
    assert input_value(user) == "x" * 32001
    await user.should_see("How can I help you today?")


async def test_reloading_mid_answer_shows_it_so_far_and_keeps_streaming(
    user: User, register: Register
) -> None:
    await register()
    use_provider(ScriptedProvider(["Beginning. "] + ["more "] * 60 + ["The end."], delay=0.02))
    await send(user, "Long one")
    await user.should_see("Beginning.", retries=100)
    chat = newest_chat()
    await user.open(f"/chat/{chat.id}")  # a reload: a new page for the same browser
    await user.should_see("Beginning.")
    await user.should_see(marker="stop")
    await user.should_see("The end.", retries=200)
    await answered(user)
    assert messages_of(chat.id or 0)[-1]["content"].endswith("The end.")


async def test_a_second_tab_sees_the_answer_live(user: User, register: Register) -> None:
    await register()
    use_provider(ScriptedProvider(["Warm-up."]))
    await send(user, "First")
    await answered(user)
    chat = newest_chat()
    other = second_tab(user)
    await other.open(f"/chat/{chat.id}")
    await other.should_see("Warm-up.")
    use_provider(ScriptedProvider(["Seen ", "from ", "afar"] + ["."] * 30, delay=0.03))
    await send(user, "Second")
    await other.should_see("Second", retries=100)  # the question appears there too
    await other.should_see("Seen from afar", retries=100)
    await other.should_see(marker="stop")
    await answered(other)


async def test_leaving_the_page_does_not_stop_the_answer(user: User, register: Register) -> None:
    await register()
    use_provider(ScriptedProvider(["Keep ", "going"] + ["."] * 20 + [" done"], delay=0.02))
    await send(user, "Background")
    await user.should_see("Keep", retries=100)
    chat = newest_chat()
    await user.open("/settings")  # the chat page goes away
    await eventually(lambda: messages_of(chat.id or 0)[-1]["status"] == "complete", timeout=10)
    assert messages_of(chat.id or 0)[-1]["content"].endswith(" done")


async def test_busy_chat_refuses_a_second_question(user: User, register: Register) -> None:
    await register()
    use_provider(ScriptedProvider(["slow"] * 50, delay=0.02))
    await send(user, "One")
    await user.should_see(marker="stop", retries=50)
    user.find(marker="message-input").clear().type("Two").trigger("keydown")  # Enter
    await user.should_see("An answer is being written", retries=50)
    assert input_value(user) == "Two"
    user.find(marker="stop").click()
    await answered(user)
    await asyncio.sleep(0)


async def test_the_answer_says_when_old_messages_were_left_out(
    user: User, register: Register
) -> None:
    await register()
    get_state().settings.history_max_chars = 1000
    await send(user, "A long first question. " + "x" * 900)
    await answered(user)
    await user.should_not_see(marker="history-trimmed")  # nothing left out yet
    await send(user, "And a second one?")
    await user.should_see(marker="history-trimmed", retries=200)
    await user.should_see("oldest messages were left out")
