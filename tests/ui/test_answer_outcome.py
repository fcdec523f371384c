"""How an answer's ending shows: cut off at the length limit, or failed, in the user's language."""

from __future__ import annotations

from collections.abc import AsyncIterator

from nicegui.testing import User

from beykusay.providers.base import (
    AnswerText,
    Finish,
    GenerationRequest,
    ProviderError,
    ProviderEvent,
)
from beykusay.providers.gemini import UNAVAILABLE
from beykusay.schemas import SettingsUpdate
from beykusay.services import operations
from tests.ui.conftest import (
    PASSWORD,
    Register,
    ScriptedProvider,
    messages_of,
    newest_chat,
    use_provider,
)


class CutOffProvider:
    """Writes its chunks and stops at the model's output token limit (MAX_TOKENS)."""

    name = "demo"

    def __init__(self, chunks: list[str]) -> None:
        self.chunks = chunks

    async def stream(self, request: GenerationRequest) -> AsyncIterator[ProviderEvent]:
        for chunk in self.chunks:
            yield AnswerText(chunk)
        yield Finish("MAX_TOKENS")


async def send(user: User, text: str) -> None:
    user.find(marker="message-input").clear().type(text)
    user.find(marker="send").click()


async def test_an_answer_cut_at_the_length_limit_says_so_and_can_be_continued(
    user: User, register: Register
) -> None:
    """An answer cut off by the token limit looked complete; now it says it was cut off
    and offers Continue, which sends "Continue" as a new message."""
    await register()
    use_provider(CutOffProvider(["The first half of a long ", "answer"]))
    await send(user, "Tell me everything")
    await user.should_see(marker="cut-off", retries=200)
    await user.should_see("Cut off at the length limit")
    await user.should_see(marker="continue")
    chat = newest_chat()
    assert messages_of(chat.id or 0)[-1]["finish_reason"] == "MAX_TOKENS"

    await user.open(f"/chat/{chat.id}")  # a reload shows it too
    await user.should_see("Cut off at the length limit")
    use_provider(ScriptedProvider(["And the second half."]))
    user.find(marker="continue").click()
    await user.should_see("And the second half.", retries=200)
    await user.should_see(marker="regenerate", retries=200)
    saved = messages_of(chat.id or 0)
    assert [(m["role"], m["content"]) for m in saved] == [
        ("user", "Tell me everything"),
        ("assistant", "The first half of a long answer"),
        ("user", "Continue"),
        ("assistant", "And the second half."),
    ]
    await user.should_see("Cut off at the length limit")  # the first answer still says so
    await user.should_not_see(marker="continue")  # but only the last answer continues


async def test_a_complete_answer_has_no_cut_off_note(user: User, register: Register) -> None:
    await register()
    use_provider(ScriptedProvider(["A whole answer."]))
    await send(user, "Hi")
    await user.should_see(marker="regenerate", retries=200)
    await user.should_not_see(marker="cut-off")


class FailingProvider:
    """Fails before writing anything, the way Gemini fails when it is overloaded."""

    name = "demo"

    async def stream(self, request: GenerationRequest) -> AsyncIterator[ProviderEvent]:
        raise ProviderError(UNAVAILABLE, retryable=True, code="overloaded")
        yield AnswerText("")  # pragma: no cover  (makes this an async generator)


async def test_a_russian_user_reads_a_provider_error_in_russian(
    user: User, register: Register
) -> None:
    """Provider errors were shown in English to everyone; a Russian user now reads them in
    Russian, while the API keeps the English text in ``error`` (and adds ``error_code``)."""
    await register()
    operations.save_settings(1, SettingsUpdate(language="ru"))
    await user.open("/chat")
    use_provider(FailingProvider())
    await send(user, "Привет")
    await user.should_see(marker="retry", retries=200)
    await user.should_see("Gemini временно недоступен. Попробуйте ещё раз чуть позже.")
    await user.should_not_see(UNAVAILABLE)
    chat = newest_chat()
    await user.open(f"/chat/{chat.id}")  # and after a reload, from the database
    await user.should_see("Gemini временно недоступен. Попробуйте ещё раз чуть позже.")

    login = await user.http_client.post(
        "/api/login", json={"username": "alice", "password": PASSWORD}
    )
    token = login.json()["access_token"]
    response = await user.http_client.get(
        f"/api/chats/{chat.id}/messages", headers={"Authorization": f"Bearer {token}"}
    )
    answer = response.json()["messages"][-1]
    assert answer["status"] == "error"
    assert answer["error"] == UNAVAILABLE
    assert answer["error_code"] == "overloaded"
