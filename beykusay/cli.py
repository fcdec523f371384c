"""The `beykusay` command: `beykusay serve` runs the server from any working folder."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from beykusay import __version__, operator_cli
from beykusay.extras import exit_if_nicegui_lacks_redis


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="beykusay",
        description="BeykuSay, a self-hosted AI chat web app. Settings come from the "
        "environment and from .env in the working folder.",
    )
    parser.add_argument("--version", action="version", version=f"BeykuSay {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the web app and the REST API")
    serve.add_argument("--host", help="address to listen on (default: HOST, or 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT, or 8000)")
    operator_cli.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "users":
        sys.exit(operator_cli.run(args))
    if args.command == "serve":
        exit_if_nicegui_lacks_redis()  # before NiceGUI is imported, which opens its storage
        from beykusay.server import build_app, serve

        try:
            build_app()
        except ValidationError as exc:
            sys.exit(f"BeykuSay cannot start: {exc}")
        serve(host=args.host, port=args.port)


if __name__ == "__main__":
    main()
