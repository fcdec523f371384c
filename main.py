"""BeykuSay's launcher: `python main.py` (what `make run` does) equals `beykusay serve`.

Importing it builds the app (the NiceGUI User fixture runs this file for each test).
"""

from __future__ import annotations

from beykusay.extras import exit_if_nicegui_lacks_redis

exit_if_nicegui_lacks_redis()  # before NiceGUI is imported, which opens its storage

from beykusay.server import build_app, serve  # noqa: E402

build_app()

if __name__ in {"__main__", "__mp_main__"}:
    serve()
