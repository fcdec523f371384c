"""OpenAI messages and parameters as a provider request: pure, no I/O.

The app's prompt files come first in the system instruction, then the client's system
and developer messages in their order. Images come only inline, as ``data:`` URLs: any
other URL is refused, so the server never fetches what a client names.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

from beykusay import prompts
from beykusay.catalog import MODELS
from beykusay.openai_compat.errors import OpenAIError, invalid
from beykusay.openai_compat.schemas import ChatCompletionRequest, ChatMessage, ImagePart
from beykusay.providers.base import GenerationRequest, InlineData, Sampling, Turn

IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")
MAX_STOP_SEQUENCES = 5  # Gemini's limit
_DATA_URL = re.compile(r"data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*),(?P<data>.*)", re.DOTALL)


def check_model(model: str) -> str:
    if model not in MODELS:
        raise OpenAIError(
            404,
            f"The model '{model}' does not exist. Available: {', '.join(MODELS)}.",
            param="model",
            code="model_not_found",
        )
    return model


def inline_image(part: ImagePart, param: str) -> InlineData:
    """The image of a ``data:image/…;base64,…`` URL; anything else is a 400."""
    url = part.image_url.url.strip()
    match = _DATA_URL.fullmatch(url)
    if match is None:
        raise invalid(
            "Only inline images are accepted: send the image as a "
            "'data:image/png;base64,…' URL. The server does not fetch URLs.",
            param,
            "invalid_image_url",
        )
    mime = match["mime"].lower()
    if mime not in IMAGE_TYPES or ";base64" not in match["params"].lower():
        raise invalid(
            f"Unsupported image: send base64 data of one of {', '.join(IMAGE_TYPES)}.",
            param,
            "invalid_image_format",
        )
    try:
        data = base64.b64decode(match["data"], validate=True)
    except (binascii.Error, ValueError):
        raise invalid("The image's base64 data is not valid.", param, "invalid_image_url") from None
    if not data:
        raise invalid("The image is empty.", param, "invalid_image_url")
    return InlineData(mime_type=mime, data=data)


def _pieces(message: ChatMessage, index: int) -> list[str | InlineData]:
    content = message.content
    if content is None:
        return []
    if isinstance(content, str):
        return [content] if content else []
    pieces: list[str | InlineData] = []
    for j, part in enumerate(content):
        param = f"messages.{index}.content.{j}"
        if isinstance(part, ImagePart):
            if message.role != "user":
                raise invalid(f"Only user messages may hold images ({message.role}).", param)
            pieces.append(inline_image(part, param + ".image_url.url"))
        elif part.text:
            pieces.append(part.text)
    return pieces


def _text(pieces: list[str | InlineData]) -> str:
    return "\n".join(piece for piece in pieces if isinstance(piece, str))


def conversation(messages: list[ChatMessage]) -> tuple[list[str], list[Turn]]:
    """The client's system texts, and its user/assistant turns (one per run of a role)."""
    system: list[str] = []
    turns: list[Turn] = []
    for index, message in enumerate(messages):
        pieces = _pieces(message, index)
        if message.role in ("system", "developer"):
            if text := _text(pieces).strip():
                system.append(text)
            continue
        if not pieces:  # e.g. an assistant message that only called tools
            continue
        role = "user" if message.role == "user" else "model"
        if turns and turns[-1].role == role:
            pieces = [*turns[-1].parts, *pieces]
            turns.pop()
        turns.append(Turn(role=role, text=_text(pieces), parts=tuple(pieces)))
    if not any(turn.role == "user" for turn in turns):
        raise invalid("'messages' must hold at least one user message with content.", "messages")
    return system, turns


def sampling(body: ChatCompletionRequest) -> Sampling:
    if body.n is not None and body.n != 1:
        raise invalid("Only one choice is generated: 'n' must be 1.", "n")
    stop = [body.stop] if isinstance(body.stop, str) else list(body.stop or [])
    stop = [sequence for sequence in stop if sequence]
    if len(stop) > MAX_STOP_SEQUENCES:
        raise invalid(f"At most {MAX_STOP_SEQUENCES} stop sequences are accepted.", "stop")
    return Sampling(
        max_output_tokens=body.max_completion_tokens or body.max_tokens,
        temperature=body.temperature,
        top_p=body.top_p,
        stop_sequences=tuple(stop),
    )


def build_request(
    body: ChatCompletionRequest, *, prompts_dir: Path, gemini_models: dict[str, str]
) -> GenerationRequest:
    """The provider request for ``body``; OpenAIError (400/404) for what cannot be sent."""
    model = check_model(body.model)
    params = sampling(body)
    system, turns = conversation(body.messages)
    app_prompt = prompts.system_instruction(prompts_dir=prompts_dir, model_id=model)
    return GenerationRequest(
        model=gemini_models[model],
        system_instruction="\n\n".join(part for part in (app_prompt, *system) if part),
        history=tuple(turns),
        thinking=MODELS[model].thinking,
        sampling=params,
    )
