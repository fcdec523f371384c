"""An answer's web sources while it streams: mapped onto its content, published on change."""

from __future__ import annotations

from typing import Any

from beykusay.generation.live import Growing, LiveAnswer
from beykusay.grounding import Grounding, onto_content, stored


class AnswerSources:
    """Follows the provider's raw answer text, so its citations can be moved onto the content.

    The provider counts citations in the text it streamed; the content is that text with
    a leading ``<think>`` block (if any) taken out, and may lag a few characters behind
    while a possible tag is held back: each update maps the spans afresh.
    """

    def __init__(self, live: LiveAnswer) -> None:
        self.live = live
        self.raw = Growing()
        self.grounding = Grounding()

    def text(self, delta: str) -> None:
        self.raw.append(delta)

    def update(self, grounding: Grounding | None = None) -> None:
        """New grounding from the provider (or the content grew): publish it if it changed."""
        if grounding is not None:
            self.grounding = grounding
        if self.grounding:
            self.live.set_grounding(onto_content(self.grounding, str(self.raw), self.live.text))

    def values(self) -> dict[str, Any]:
        """The columns the answer is saved with."""
        self.update()
        shown = self.live.grounding
        return {"grounding": stored(shown), "search_entry_point": shown.search_entry_point}
