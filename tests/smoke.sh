#!/usr/bin/env bash
# Smoke test of a new user's path, as CI runs it before the suite (and anyone may by hand):
# build the wheel, install it with no extras into a fresh venv, run `beykusay serve` from
# an empty folder on a free port, then use it as a person and a script would, and stop it.
#   tests/smoke.sh            (PYTHON=python3.12 tests/smoke.sh for another Python)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/beykusay-smoke.XXXXXX")"
SERVER_PID=""

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID"; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

STARTED=$SECONDS
STEP_STARTED=$SECONDS
step() { echo "smoke: $*"; STEP_STARTED=$SECONDS; }
took() { echo "smoke:   done in $((SECONDS - STEP_STARTED)) s"; }
fail() {
  echo "smoke: FAILED: $*" >&2
  if [ -f "$WORK/server.log" ]; then echo "--- server log ---" >&2; cat "$WORK/server.log" >&2; fi
  exit 1
}

step "copy the source (tracked and new files only, as a fresh clone has them)"
mkdir "$WORK/src"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # (a file deleted but not yet committed is skipped: --ignore-failed-read)
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
    | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$WORK/src"
else
  cp -R "$ROOT/." "$WORK/src"
fi
took

step "fresh venv"
"$PYTHON" -m venv "$WORK/venv"
VENV="$WORK/venv/bin"
took

step "build the wheel"
"$VENV/pip" wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$WORK/dist" "$WORK/src"
WHEEL="$(ls "$WORK"/dist/beykusay-*.whl)"
took

step "check the wheel holds every module, prompt, static file and migration of the source"
"$VENV/python" - "$WHEEL" "$WORK/src" <<'PY' || fail "the wheel is missing files"
import sys, zipfile
from pathlib import Path
wheel, src = zipfile.ZipFile(sys.argv[1]), Path(sys.argv[2])
held = set(wheel.namelist())
wanted = {str(p.relative_to(src)) for top in ("beykusay", "pages") for p in (src / top).rglob("*")
          if p.is_file() and "__pycache__" not in p.parts}
wanted |= {f"beykusay/default_prompts/{p.name}" for p in (src / "prompts").glob("*.txt")}
missing = sorted(wanted - held)
if missing:
    sys.exit("missing from the wheel: " + ", ".join(missing))
entry = wheel.read([n for n in held if n.endswith("entry_points.txt")][0]).decode()
if "beykusay = beykusay.cli:main" not in entry:
    sys.exit("no beykusay command in the wheel")
print(f"smoke:   {len(wanted)} files present")
PY
took

step "install the wheel (no extras) into the fresh venv"
# --no-compile: Python compiles what it imports anyway; compiling everything costs CPU.
"$VENV/pip" install --quiet --disable-pip-version-check --no-compile "$WHEEL"
if "$VENV/python" -c "import redis" 2>/dev/null; then fail "redis is installed without the extra"; fi
if "$VENV/python" -c "import psycopg" 2>/dev/null; then fail "psycopg is installed without the extra"; fi
took

step "beykusay serve from an empty folder"
mkdir "$WORK/empty"
PORT="$("$VENV/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
# A clean environment, as on a fresh machine: no .env, no settings, no checkout on the path.
(cd "$WORK/empty" && exec env -i PATH="$VENV:/usr/bin:/bin" HOME="$WORK/empty" LANG=C.UTF-8 \
  DEMO_DELAY=0.001 "$VENV/beykusay" serve --host 127.0.0.1 --port "$PORT") \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 600); do
  curl -sf "$BASE/api/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited at start-up"
  sleep 0.1
done
curl -sf "$BASE/api/health" >/dev/null || fail "no answer on $BASE/api/health within 60 s"
grep -q "prompts folder=[^,]*/site-packages/beykusay/default_prompts," "$WORK/server.log" \
  || fail "the start-up line does not name the packaged prompts"
took

step "pages and the REST API"
json() { "$VENV/python" -c "import json, sys; print(json.load(sys.stdin)$1)"; }
[ "$(curl -sf "$BASE/api/health" | json '["provider"]')" = demo ] || fail "health: provider is not demo"
for page in / /login /register /docs; do
  code="$(curl -s -o /dev/null -w '%{http_code}' "$BASE$page")"
  [ "$code" = 200 ] || fail "GET $page answered $code"
done
ACCOUNT='{"username": "smoke", "password": "correct horse battery"}'
curl -sf -X POST "$BASE/api/register" -H 'Content-Type: application/json' -d "$ACCOUNT" >/dev/null \
  || fail "register"
TOKEN="$(curl -sf -X POST "$BASE/api/login" -H 'Content-Type: application/json' -d "$ACCOUNT" \
  | json '["access_token"]')" || fail "login"
AUTH="Authorization: Bearer $TOKEN"
CHAT="$(curl -sf -X POST "$BASE/api/chats" -H "$AUTH" -H 'Content-Type: application/json' -d '{}' \
  | json '["id"]')" || fail "create a chat"
curl -sf -N --max-time 60 -X POST "$BASE/api/chats/$CHAT/messages" -H "$AUTH" \
  -H 'Content-Type: application/json' -d '{"content": "Hello from the smoke test"}' \
  >"$WORK/answer.sse" || fail "send a message"
"$VENV/python" - "$WORK/answer.sse" <<'PY' || fail "the streamed answer did not end in done/complete"
import json, sys
events = [json.loads(line[6:]) for line in open(sys.argv[1]) if line.startswith("data: ")]
types = [event["type"] for event in events]
assert types[0] == "start" and types[-1] == "done", types
assert events[-1]["message"]["status"] == "complete", events[-1]
assert "text" in types, types
print(f"smoke:   {len(events)} events, the answer is complete")
PY
took

step "SIGTERM stops the server cleanly"
kill -TERM "$SERVER_PID"
for _ in $(seq 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "still running 15 s after SIGTERM"
status=0
wait "$SERVER_PID" || status=$?
SERVER_PID=""
[ "$status" = 0 ] || fail "exit code $status after SIGTERM"
took

echo "smoke: passed in $((SECONDS - STARTED)) s"
