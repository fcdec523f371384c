"""The models a user can pick: our aliases, not Gemini's ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ModelId = Literal["BeykusSmall", "BeykusChat", "BeykusSmallR"]
DEFAULT_MODEL: ModelId = "BeykusChat"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: ModelId
    label: str
    description: str
    thinking: bool  # the model's thoughts are asked for and shown


MODELS: dict[str, ModelInfo] = {
    info.id: info
    for info in (
        ModelInfo("BeykusSmall", "Beykus Small", "Fast and light, for quick questions.", False),
        ModelInfo("BeykusChat", "Beykus Chat", "The balanced everyday assistant.", False),
        ModelInfo(
            "BeykusSmallR", "Beykus Small R", "Thinks before it answers; shows its thoughts.", True
        ),
    )
}
