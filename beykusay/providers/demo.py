"""An offline provider so a fresh install is usable at once (labelled demo everywhere)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from beykusay.grounding import Grounding
from beykusay.providers import demo_search
from beykusay.providers.attachments import describe
from beykusay.providers.base import (
    AnswerText,
    Finish,
    GenerationRequest,
    ProviderEvent,
    Usage,
)

THOUGHTS = (
    "<think>The user wrote: {question!r}. This is the demo provider, so I cannot really "
    "answer. I should say that kindly, show what answers look like, and explain how to "
    "connect Gemini.</think>"
)

ANSWER = """\
**This is BeykuSay's demo mode**: no Gemini API key is set, so this canned reply stands in \
for a real answer to *“{question}”*.

Answers stream in as they are written and are rendered as Markdown:

- **lists** and *emphasis*
- `inline code` and fenced blocks with highlighting:

```python
def greet(name: str) -> str:
    return f"Hello, {{name}}!"
```

To talk to Gemini, set `GOOGLE_API_KEY` in `.env` and restart the server.
"""


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


class DemoProvider:
    name = "demo"

    def __init__(self, *, delay: float = 0.04, chunk_chars: int = 12) -> None:
        self.delay = delay
        self.chunk_chars = chunk_chars

    async def stream(self, request: GenerationRequest) -> AsyncIterator[ProviderEvent]:
        question = request.history[-1].text if request.history else ""
        question = " ".join(question.split())
        if len(question) > 80:
            question = question[:80] + "…"
        text = ANSWER.format(question=question)
        if request.web_search:
            text += demo_search.SEARCHED
        files = request.history[-1].files if request.history else ()
        if files:
            text = f"I received {describe(files)}.\n\n" + text
        if request.thinking:
            text = THOUGHTS.format(question=question) + text
        grounding = demo_search.grounding_for(text) if request.web_search else Grounding()
        for piece in _chunks(text, self.chunk_chars):
            await asyncio.sleep(self.delay)
            yield AnswerText(piece)
        if grounding:
            yield grounding
        tokens = len(text) // 4
        yield Usage(prompt_tokens=len(question) // 4 + 1, output_tokens=tokens, total_tokens=tokens)
        yield Finish("STOP")
