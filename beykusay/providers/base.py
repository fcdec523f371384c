"""The provider contract: a model turns a conversation into a stream of events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from beykusay.grounding import Grounding
from beykusay.providers.attachments import Attachment, FileSource


@dataclass(frozen=True, slots=True)
class InlineData:
    """Bytes sent inside a turn (an image), with their MIME type."""

    mime_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier turn of the conversation, as rebuilt from the database."""

    role: Literal["user", "model"]
    text: str
    signature: str | None = None  # Gemini thought signature of a model turn
    files: tuple[Attachment, ...] = ()  # what the user attached to this turn
    parts: tuple[str | InlineData, ...] = ()  # when given, the turn's content in order


@dataclass(frozen=True, slots=True)
class Sampling:
    """Generation parameters a client may set (None: the model's default)."""

    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop_sequences: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Thought:
    text: str


@dataclass(frozen=True, slots=True)
class AnswerText:
    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts so far; providers report cumulative figures (keep the last)."""

    prompt_tokens: int = 0
    output_tokens: int = 0
    thinking_tokens: int = 0
    total_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Signature:
    """Opaque reasoning state to send back with this answer's turn next time."""

    value: str


@dataclass(frozen=True, slots=True)
class Finish:
    """The model ended its answer; ``reason`` is Gemini's finish reason name."""

    reason: str


ProviderEvent = Thought | AnswerText | Usage | Signature | Finish | Grounding


class ProviderError(Exception):
    """A failure told in words fit for a user; ``retryable`` if trying again may help.

    ``code`` names the kind of failure (stored with the message, so the UI can say it in
    the reader's language; ``message`` stays the English text): rate_limited, overloaded,
    auth, model_not_found, bad_request, blocked, timeout, connection, truncated, or
    unknown for a failure the provider could not classify.
    """

    def __init__(self, message: str, *, retryable: bool = False, code: str = "unknown") -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    model: str  # the provider's own model id, e.g. "gemini-2.5-flash"
    system_instruction: str
    history: Sequence[Turn] = field(default_factory=tuple)  # ends with the new user turn
    thinking: bool = False  # ask for the model's thoughts
    web_search: bool = False  # let the model search the web (sources come as Grounding)
    sampling: Sampling = Sampling()
    files: FileSource | None = None  # the bytes of the turns' files


class Provider(Protocol):
    name: str  # "gemini", "demo", ...

    def stream(self, request: GenerationRequest) -> AsyncIterator[ProviderEvent]:
        """Yield events; raise ProviderError on any failure.

        The stream must end with a Finish event; ending without one is a
        truncated answer and the provider raises ProviderError instead.
        """
        ...
