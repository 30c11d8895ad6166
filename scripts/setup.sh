#!/bin/sh
# Brings a fresh clone to a runnable state: npm dependencies, then libsolv built to WebAssembly.
# Both steps are skipped when already done, so `npm test` and `npm run demo` stay quick.
set -e
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
sh resolver/build.sh
