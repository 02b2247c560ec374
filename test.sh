#!/usr/bin/env bash
# The one test command (README, and CI through .ci/run): installs and starts what the tests need
# (RabbitMQ, PostgreSQL, Chromium), runs the front end's unit tests and every .NET test, and ends with the line
# "N passed, N failed" read from the test results.
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
RESULTS="$ROOT/.artifacts/test-results"
rm -rf "$RESULTS" && mkdir -p "$RESULTS"

# Tests write only to the results folder: the working tree must look the same after the run as before it.
tree_before=$(git status --porcelain --untracked-files=all 2>/dev/null || true)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. System packages: RabbitMQ (the distributed tests' broker), PostgreSQL (the server database's tests),
#    Chromium and CJK fonts (the browser tests).
missing=()
command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)   # Chinese glyphs in the screenshots
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. RabbitMQ on 127.0.0.1:5672 (no systemd here: start it detached, then wait until it answers).
if ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
  echo "== starting RabbitMQ"
  as_root rabbitmq-server -detached >/dev/null 2>&1 || true
  for _ in $(seq 1 90); do
    as_root rabbitmqctl -q await_startup --timeout 90 >/dev/null 2>&1 && break
    sleep 1
  done
fi
as_root rabbitmqctl -q await_startup --timeout 30 >/dev/null 2>&1 || { echo "RabbitMQ did not start"; echo "0 passed, 1 failed" | tee "$RESULTS/summary.txt"; exit 1; }

# 3. PostgreSQL: a throwaway cluster of this run's own (Whistle.Tests/Support/PostgresServer.cs reads the variables
#    exported here). Its folder is outside the working tree, one per checkout, so a run that was killed leaves a
#    cluster the next run stops first; it listens on 127.0.0.1 only, on its own port and unix socket folder, trusts
#    loopback connections (user whistle, a superuser) and keeps fsync on (a fault test kills it and counts on it).
#    Stopped at the end, also when the run fails or is interrupted. Under CI=true a PostgreSQL that cannot be
#    installed or started fails the run; elsewhere the tests that need it are ignored with that reason.
PG_DIR="${TMPDIR:-/tmp}/whistle-test-postgres-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)"
PG_BIN=""
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }   # initdb refuses root
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# The server outlives this script when the run is killed: it must not keep the descriptors this script inherited
# (a build lock such as flock's would stay held by it).
close_inherited() { local fd; for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; "$@"; }
running() { [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]; }   # not a zombie
postgres_stop() {   # this checkout's cluster, if one runs (also one left by a killed run); quiet; idempotent
  [ -n "$PG_BIN" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
  local pid; pid=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null)
  [ -n "$pid" ] && running "$pid" || return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 && return 0
  if running "$pid" && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$PG_DIR/data"; then
    kill -KILL "$pid" 2>/dev/null
    for _ in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
  fi
}
postgres_cleanup() {
  postgres_stop
  [ -f "$PG_DIR/postgres.log" ] && [ -d "$RESULTS" ] && cp "$PG_DIR/postgres.log" "$RESULTS/postgres.log" 2>/dev/null
  [ -d "$PG_DIR" ] && rm -rf "$PG_DIR"
  return 0
}
postgres_unavailable() {
  echo "PostgreSQL is not available: $*"
  if [ "${CI:-}" = "true" ]; then echo "0 passed, 1 failed" | tee "$RESULTS/summary.txt"; exit 1; fi
  echo "   (not CI: the tests that need PostgreSQL are ignored with that reason)"
  unset WHISTLE_TEST_POSTGRES WHISTLE_TEST_POSTGRES_DATA WHISTLE_TEST_POSTGRES_BIN
}
postgres_start() {
  local started=$EPOCHREALTIME
  PG_BIN=$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1 | xargs -r dirname)
  [ -n "$PG_BIN" ] || { postgres_unavailable "no /usr/lib/postgresql/*/bin/initdb (the Debian package postgresql did not install: that needs root or sudo and the package source)"; return; }
  if [ "$(id -u)" -eq 0 ] && ! id -u postgres >/dev/null 2>&1; then postgres_unavailable "no user postgres to run it as"; return; fi
  postgres_stop   # a cluster left by a killed run
  rm -rf "$PG_DIR" && mkdir -p "$PG_DIR" && chmod 700 "$PG_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_DIR"
  local port=${WHISTLE_TEST_POSTGRES_PORT:-5499} tries=0
  while port_in_use "$port" && [ $tries -lt 100 ]; do port=$((port + 1)); tries=$((tries + 1)); done   # another checkout's
  (cd "$PG_DIR" && as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -U whistle --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$PG_DIR/initdb.log" 2>&1) \
    || { cat "$PG_DIR/initdb.log"; postgres_unavailable "initdb failed (above)"; return; }
  # In the configuration file, not on pg_ctl's command line: a restart (PostgresServer.KillAndRestartAsync) is the same command.
  cat >>"$PG_DIR/data/postgresql.conf" <<EOF

# whistle test.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$PG_DIR'
fsync = on
max_connections = 300
EOF
  (cd "$PG_DIR" && close_inherited as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 start >/dev/null 2>&1) \
    || { tail -n 20 "$PG_DIR/postgres.log" 2>/dev/null; postgres_unavailable "pg_ctl start failed (its log above)"; return; }
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U whistle -d postgres -t 30 || { postgres_unavailable "it does not answer on 127.0.0.1:$port"; return; }
  export WHISTLE_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=whistle;Database=postgres"
  export WHISTLE_TEST_POSTGRES_DATA="$PG_DIR/data" WHISTLE_TEST_POSTGRES_BIN="$PG_BIN/pg_ctl"
  local ms=$(( (${EPOCHREALTIME//[.,]/} - ${started//[.,]/}) / 1000 ))
  echo "== PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, started in ${ms} ms ($PG_DIR)"
}
trap postgres_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
postgres_start

web_passed=0; web_failed=0
# 4. The front end's unit tests (Vitest).
if [ -f Whistle.Web/package.json ]; then
  echo "== front end: npm ci + vitest"
  (cd Whistle.Web && npm ci --no-audit --no-fund --loglevel=error >/dev/null \
     && npx vitest run --reporter=default --reporter=json --outputFile="$RESULTS/vitest.json")
  web_exit=$?
  if [ -f "$RESULTS/vitest.json" ]; then
    # A test file that failed to run (its import failed) has no tests of its own: it counts as one failure.
    read -r web_passed web_failed < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["numPassedTests"], d["numFailedTests"]+sum(1 for s in d.get("testResults",[]) if s.get("status")=="failed" and not any(t.get("status")=="failed" for t in s.get("assertionResults",[]))))' "$RESULTS/vitest.json")
  else
    web_failed=1
  fi
  # Vitest failing without a failed test in its report (an unhandled error between tests) still fails the run.
  if [ "$web_exit" -ne 0 ] && [ "$web_failed" -eq 0 ]; then web_failed=1; fi
fi

# 5. Every .NET test: unit, integration on real Kestrel + SignalR + RabbitMQ + SQLite, browser.
echo "== dotnet test"
dotnet test Whistle.sln --logger "trx;LogFilePrefix=whistle" --logger "console;verbosity=normal" --results-directory "$RESULTS" "$@"
dotnet_exit=$?

read -r net_passed net_failed < <(python3 - "$RESULTS" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = 0
for f in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(f).getroot().find(".//{*}Counters")
    if c is not None:
        passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
print(passed, failed)
PY
)
if [ "$dotnet_exit" -ne 0 ] && [ "$net_failed" -eq 0 ]; then net_failed=1; fi
# The failed tests again, by name with the start of their message, just above the summary: a log read from its end
# (CI keeps the last part of it) still says what failed.
if [ "$net_failed" -gt 0 ]; then
  echo "== failed .NET tests"
  python3 - "$RESULTS" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
for f in sorted(glob.glob(sys.argv[1] + "/*.trx")):
    for r in ET.parse(f).getroot().findall(".//{*}UnitTestResult"):
        if r.get("outcome") not in ("Passed", "NotExecuted", "Inconclusive"):
            message = r.find(".//{*}ErrorInfo/{*}Message")
            lines = (message.text or "").strip().splitlines() if message is not None else []
            print(f"   {r.get('outcome')}: {r.get('testName')} ({r.get('duration')})")
            for line in lines[:6]:
                print(f"      {line[:300]}")
PY
fi

# The failed front-end tests likewise (a suite that failed to run counts as one failure: its error is printed).
if [ "$web_failed" -gt 0 ]; then
  echo "== failed front-end tests"
  if [ -f "$RESULTS/vitest.json" ]; then
    python3 - "$RESULTS/vitest.json" <<'PY'
import json, sys
for suite in json.load(open(sys.argv[1])).get("testResults", []):
    name = suite.get("name", "?")
    failed = [t for t in suite.get("assertionResults", []) if t.get("status") == "failed"]
    if suite.get("status") == "failed" and not failed:
        print(f"   failed to run: {name}")
        for line in (suite.get("message") or "").strip().splitlines()[:6]:
            print(f"      {line[:300]}")
    for test in failed:
        print(f"   failed: {name} > {test.get('fullName') or test.get('title')}")
        for message in test.get("failureMessages", [])[:1]:
            for line in message.strip().splitlines()[:6]:
                print(f"      {line[:300]}")
PY
  else
    echo "   vitest wrote no report (npm ci or vitest did not run: their output is above)"
  fi
fi

stopped=$EPOCHREALTIME
postgres_cleanup
[ -n "${WHISTLE_TEST_POSTGRES:-}" ] && echo "== PostgreSQL stopped in $(( (${EPOCHREALTIME//[.,]/} - ${stopped//[.,]/}) / 1000 )) ms"
passed=$((web_passed + net_passed)); failed=$((web_failed + net_failed))
tree_after=$(git status --porcelain --untracked-files=all 2>/dev/null || true)
if [ "$tree_before" != "$tree_after" ] && [ -z "${WHISTLE_SCREENSHOTS:-}" ]; then
  echo "== the test run changed the working tree (tests must write only to .artifacts/test-results):"
  diff <(echo "$tree_before") <(echo "$tree_after") | sed 's/^/   /'
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed" | tee "$RESULTS/summary.txt"
[ "$failed" -eq 0 ]
