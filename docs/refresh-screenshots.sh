#!/usr/bin/env bash
# Refreshes the README's pictures (docs/screenshots) from the browser tests. The test command itself writes
# its screenshots to .artifacts/test-results/screenshots and never touches tracked files.
set -euo pipefail
cd "$(dirname "$0")/.."
WHISTLE_SCREENSHOTS="$(pwd)/docs/screenshots" ./test.sh --filter "FullyQualifiedName~Whistle.Tests.Browser"
