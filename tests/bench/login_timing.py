"""Login timing benchmark: does a wrong password take as long as an unknown username?

    .venv/bin/python -m tests.bench.login_timing [--runs 20]

API.md promises "the same message and about the same time for an unknown user and a
wrong password", so that timing does not reveal which names exist. The real server
(`python main.py` in a child process, SQLite, no Gemini) gets --runs failed logins of
each kind, interleaved so that noise from the rest of the machine falls on both alike;
the failure limit is raised so that no attempt is refused with 429. An early return for
unknown names would make them about a hundred times faster (argon2id dominates a login).

The suite checks the cause without a clock (tests/test_login.py: one argon2id check of
the same cost either way); this script shows the effect in figures.

The last line is exactly
    unknown_ms=<median> wrong_password_ms=<median> ratio=<slower/faster>
The exit status is 1 when the ratio exceeds --max-ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from tests.serverproc import ServerProcess

PASSWORD = "correct horse battery"


def timed_login(api: httpx.Client, username: str, password: str) -> float:
    """Milliseconds for one failed login (it must fail with 401)."""
    started = time.perf_counter()
    response = api.post("/login", json={"username": username, "password": password})
    elapsed = time.perf_counter() - started
    if response.status_code != 401:
        raise RuntimeError(f"expected 401, got {response.status_code}: {response.text[:200]}")
    return elapsed * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="failed logins of each kind")
    parser.add_argument("--max-ratio", type=float, default=1.5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-login-") as folder:
        server = ServerProcess(Path(folder), {"LOGIN_MAX_FAILURES": "100000"}).start()
        try:
            with httpx.Client(base_url=server.url + "/api", timeout=30) as api:
                username = f"bench_{uuid.uuid4().hex[:8]}"
                registered = api.post(
                    "/register", json={"username": username, "password": PASSWORD}
                )
                registered.raise_for_status()
                timed_login(api, "warm_up_nobody", PASSWORD)  # both paths once, untimed
                timed_login(api, username, "warm-up wrong")
                unknown, wrong = [], []
                for run in range(args.runs):
                    nobody = f"nobody_{run}_{uuid.uuid4().hex[:6]}"
                    unknown.append(timed_login(api, nobody, PASSWORD))
                    wrong.append(timed_login(api, username, f"not the password {run}"))
        finally:
            server.stop()
    for label, values in (("unknown", unknown), ("wrong_password", wrong)):
        print(
            f"kind={label} runs={len(values)} median_ms={statistics.median(values):.1f} "
            f"min_ms={min(values):.1f} max_ms={max(values):.1f}"
        )
    slow, fast = sorted((statistics.median(unknown), statistics.median(wrong)), reverse=True)
    ratio = slow / fast
    print(
        f"unknown_ms={statistics.median(unknown):.1f} "
        f"wrong_password_ms={statistics.median(wrong):.1f} ratio={ratio:.2f}"
    )
    return 0 if ratio <= args.max_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
