#!/bin/sh
# Brings a fresh clone to a runnable state: npm dependencies, libsolv built to WebAssembly, and
# (for `setup.sh test`) the reference tools the tests compare against. Every step is skipped when
# already done, so `npm test` and `npm run demo` stay quick after the first run.
set -e
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
sh resolver/build.sh
case "${1:-}" in
  test|demo) sh scripts/install-test-tools.sh ;;
esac
