"""CPU to build one Gemini request: the SDK's way (config and contents validated and
converted every time), the SDK's way for the contents with the config converted once
(gemini_stream.ConvertedConfigs, the light path before gemini_contents), and the light
path's way: config converted once, contents written as JSON from the turns
(gemini_contents.request_contents, gemini_stream.light_request_body).

    .venv/bin/python -m tests.bench.request_body [--rounds 500]

The request is an answer's: the default prompt of BeykusChat, thoughts asked for, and a
conversation of a few turns (three questions answered, each answer with its thought
signature, then a fourth question). Prints CPU ms per request for each, several passes
(the machine is shared).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from google import genai
from google.genai import _common, types
from google.genai import models as sdk_models

from beykusay import prompts
from beykusay.providers.base import Turn
from beykusay.providers.gemini_contents import encode_signature, request_contents, sdk_contents
from beykusay.providers.gemini_stream import ConvertedConfigs, light_request_body, request_body

MODEL = "gemini-2.5-flash"
PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
ANSWER = "Istanbul lies on two continents, and was Constantinople for centuries. " * 8


def conversation(questions: int = 4) -> list[Turn]:
    """``questions`` user turns, each but the last answered (with a thought signature)."""
    turns: list[Turn] = []
    for n in range(1, questions + 1):
        turns.append(Turn("user", f"Question {n}: what about Istanbul?"))
        if n < questions:
            signature = encode_signature(bytes(range(n, n + 200)))
            turns.append(Turn("model", f"{n}. {ANSWER}", signature=signature))
    return turns


def cpu_ms(job: Callable[[], object], rounds: int) -> float:
    job()
    began = time.process_time()
    for _ in range(rounds):
        job()
    return (time.process_time() - began) / rounds * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=500)
    ap.add_argument("--passes", type=int, default=3)
    args = ap.parse_args()
    client = genai.Client(api_key="bench-key")
    instruction = prompts.system_instruction(prompts_dir=PROMPTS, model_id="BeykusChat")
    history = conversation()
    configs = ConvertedConfigs()

    def make() -> types.GenerateContentConfig:
        return types.GenerateContentConfig(
            system_instruction=instruction,
            thinking_config=types.ThinkingConfig(include_thoughts=True),
        )

    def each_time() -> object:
        contents = sdk_contents(history)
        return request_body(client, model=MODEL, contents=contents, config=make())

    def once() -> object:  # as request_body did with a converted config before
        _, part = configs.get(client, MODEL, (instruction, True), make)
        api = client.aio._api_client
        parameters = types._GenerateContentParameters(model=MODEL, contents=sdk_contents(history))
        request = sdk_models._GenerateContentParameters_to_mldev(api, parameters, None, parameters)
        request.update(part)
        return _common.encode_unserializable_types(_common.convert_to_dict(request))

    def written() -> object:
        _, part = configs.get(client, MODEL, (instruction, True), make)
        return light_request_body(part, request_contents(history))

    for _ in range(args.passes):
        print(
            f"request_body cpu_ms sdk_each_time={cpu_ms(each_time, args.rounds):.3f} "
            f"converted_once={cpu_ms(once, args.rounds):.3f} "
            f"contents_written={cpu_ms(written, args.rounds):.3f}"
        )


if __name__ == "__main__":
    main()
