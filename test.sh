#!/usr/bin/env bash
# The one test command (README, and CI through .ci/run): installs and starts what the tests need
# (RabbitMQ, Chromium), runs the front end's unit tests and every .NET test, and ends with the line
# "N passed, N failed" read from the test results.
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
RESULTS="$ROOT/.artifacts/test-results"
rm -rf "$RESULTS" && mkdir -p "$RESULTS"

# Tests write only to the results folder: the working tree must look the same after the run as before it.
tree_before=$(git status --porcelain --untracked-files=all 2>/dev/null || true)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. System packages: RabbitMQ (the distributed tests' broker), Chromium and CJK fonts (the browser tests).
missing=()
command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
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

web_passed=0; web_failed=0
# 3. The front end's unit tests (Vitest).
if [ -f Whistle.Web/package.json ]; then
  echo "== front end: npm ci + vitest"
  (cd Whistle.Web && npm ci --no-audit --no-fund --loglevel=error >/dev/null \
     && npx vitest run --reporter=default --reporter=json --outputFile="$RESULTS/vitest.json")
  if [ -f "$RESULTS/vitest.json" ]; then
    read -r web_passed web_failed < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["numPassedTests"], d["numFailedTests"]+d.get("numRuntimeErrorTestSuites",0))' "$RESULTS/vitest.json")
  else
    web_failed=1
  fi
fi

# 4. Every .NET test: unit, integration on real Kestrel + SignalR + RabbitMQ + SQLite, browser.
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

passed=$((web_passed + net_passed)); failed=$((web_failed + net_failed))
tree_after=$(git status --porcelain --untracked-files=all 2>/dev/null || true)
if [ "$tree_before" != "$tree_after" ] && [ -z "${WHISTLE_SCREENSHOTS:-}" ]; then
  echo "== the test run changed the working tree (tests must write only to .artifacts/test-results):"
  diff <(echo "$tree_before") <(echo "$tree_after") | sed 's/^/   /'
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed" | tee "$RESULTS/summary.txt"
[ "$failed" -eq 0 ]
