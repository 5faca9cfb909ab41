#!/usr/bin/env bash
# Install everything credstack and its tests need, idempotently: a Python virtualenv with the
# package and its dev tools, Node.js (Debian's, if the machine has none) and the pinned npm
# packages of the JavaScript reference verifier used by the interoperability tests.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.credstack-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  touch "$stamp"
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "bootstrap: Node.js 20+ and npm are needed for the interoperability tests" >&2
    exit 1
  fi
fi
# PostgreSQL server binaries (initdb, pg_ctl): the storage contract tests start a throwaway server.
have_postgres() {
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    return 0
  fi
  for bin in /usr/lib/postgresql/*/bin; do
    if [ -x "$bin/pg_ctl" ] && [ -x "$bin/initdb" ]; then
      return 0
    fi
  done
  return 1
}
if ! have_postgres; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "bootstrap: PostgreSQL server binaries (initdb, pg_ctl) are needed for the storage tests;" >&2
    echo "bootstrap: install the 'postgresql' package (as root: apt-get install postgresql)" >&2
    exit 1
  fi
fi

# Debian's Chromium: the browser tests drive it with Playwright (which never downloads a browser).
if [ ! -x "${CREDSTACK_CHROMIUM:-/usr/bin/chromium}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "bootstrap: Chromium is needed for the browser tests (as root: apt-get install chromium)" >&2
    exit 1
  fi
fi

if [ ! -d interop/js/node_modules ] || [ interop/js/package-lock.json -nt interop/js/node_modules ]; then
  (cd interop/js && npm ci --no-audit --no-fund --loglevel=error)
  touch interop/js/node_modules
fi
