"""Upload benchmark: a 20 MiB file through POST /api/files, the server's memory and time.

    .venv/bin/python -m tests.bench.upload [--mib 20] [--repeat 3]

Starts the real server (demo provider, a fresh SQLite database) as a child process,
registers a user and uploads a PDF-like file of random bytes (``--mib`` MiB, so that
nothing compresses) ``--repeat`` times, each a new content. Before each upload the
server's peak resident set (``VmHWM``) is reset through ``/proc/<pid>/clear_refs``;
after it, the peak's growth over the resident set before is that upload's memory cost.
Then the file is downloaded once and checked.

The last line is exactly
    upload_mib=<n> seconds=<median> peak_rss_growth_mib=<max> ratio=<growth/size>
(target: ratio < 3; the exit status is 1 when missed).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.serverproc import ServerProcess  # noqa: E402

MIB = 1024 * 1024


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # 5: reset the peak RSS (VmHWM)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    size = args.mib * MIB
    with tempfile.TemporaryDirectory() as folder:
        env = {"MAX_UPLOAD_BYTES": str(size), "USER_STORAGE_BYTES": str(size * (args.repeat + 1))}
        server = ServerProcess(Path(folder), env).start()
        try:
            assert server.process is not None
            pid = server.process.pid
            with httpx.Client(base_url=server.url + "/api", timeout=300) as api:
                user = {"username": "bench", "password": "bench-password"}
                api.post("/register", json=user).raise_for_status()
                token = api.post("/login", json=user).json()["access_token"]
                auth = {"Authorization": f"Bearer {token}"}
                times, growths = [], []
                data = b""
                for _ in range(args.repeat):
                    data = b"%PDF-1.7\n" + os.urandom(size - 9)
                    before = status_kib(pid, "VmRSS")
                    reset_peak(pid)
                    started = time.perf_counter()
                    response = api.post(
                        "/files",
                        files={"file": ("big.pdf", data, "application/pdf")},
                        headers=auth,
                    )
                    times.append(time.perf_counter() - started)
                    response.raise_for_status()
                    growths.append((status_kib(pid, "VmHWM") - before) * 1024)
                    file_id = response.json()["id"]
                    print(f"upload: {times[-1]:.2f} s, peak RSS growth {growths[-1] / MIB:.1f} MiB")
                got = api.get(f"/files/{file_id}/content", headers=auth)
                assert hashlib.sha256(got.content).digest() == hashlib.sha256(data).digest()
        finally:
            server.stop()
    growth = max(growths)
    ratio = growth / size
    print(
        f"upload_mib={args.mib} seconds={statistics.median(times):.2f} "
        f"peak_rss_growth_mib={growth / MIB:.1f} ratio={ratio:.2f}"
    )
    return 0 if ratio < 3 else 1


if __name__ == "__main__":
    sys.exit(main())
