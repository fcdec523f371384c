"""A config converted once (ConvertedConfigs) makes the very request the SDK's converter
makes of it every time: the same JSON, byte for byte, whatever the config and contents
(tests/test_gemini_contents.py checks the contents against the SDK's)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google import genai
from google.genai import types

from beykusay.providers.base import InlineData, Turn
from beykusay.providers.gemini_contents import encode_signature, request_contents, sdk_contents
from beykusay.providers.gemini_stream import ConvertedConfigs, light_request_body, request_body

MODEL = "gemini-2.5-flash"
CONFIGS: list[dict[str, Any]] = [
    {},
    {"system_instruction": "Be brief."},
    {
        "system_instruction": "Think first.",
        "thinking_config": types.ThinkingConfig(include_thoughts=True),
    },
    {
        "system_instruction": "Search.",
        "tools": [types.Tool(google_search=types.GoogleSearch())],
        "max_output_tokens": 100,
        "temperature": 0.3,
        "top_p": 0.9,
        "stop_sequences": ["END"],
    },
]
HISTORY = [
    Turn("user", "Hello?"),
    Turn("model", "Hi.", signature=encode_signature(b"\x01signature")),
    Turn("user", "", parts=("Look:", InlineData("image/png", b"\x89PNG\r\n"))),
]


@pytest.mark.parametrize("fields", CONFIGS)
def test_a_converted_config_makes_the_sdks_request(fields: dict[str, Any]) -> None:
    client = genai.Client(api_key="test-key")
    made: list[types.GenerateContentConfig] = []

    def make() -> types.GenerateContentConfig:
        made.append(types.GenerateContentConfig(**fields))
        return made[-1]

    configs = ConvertedConfigs()
    config, part = configs.get(client, MODEL, "key", make)
    assert configs.get(client, MODEL, "key", make) == (config, part)
    assert len(made) == 1  # converted once
    sdk = request_body(client, model=MODEL, contents=sdk_contents(HISTORY), config=config)
    ours = light_request_body(part, request_contents(HISTORY))
    assert json.dumps(ours) == json.dumps(sdk)
    again = light_request_body(part, request_contents(HISTORY))
    assert json.dumps(again) == json.dumps(sdk)  # the kept part is never changed


def test_only_the_most_recent_configs_are_kept() -> None:
    client = genai.Client(api_key="test-key")
    configs = ConvertedConfigs(size=2)
    for key in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" comes
        configs.get(client, MODEL, key, types.GenerateContentConfig)
    made: list[str] = []

    def make(key: str) -> types.GenerateContentConfig:
        made.append(key)
        return types.GenerateContentConfig()

    for key in ("a", "c", "b"):
        configs.get(client, MODEL, key, lambda key=key: make(key))
    assert made == ["b"]
