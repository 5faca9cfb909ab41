#!/usr/bin/env bash
# The one test command: set-up, static checks, then every test (unit, property, CLI, interop).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "== ruff"
.venv/bin/ruff check src tests benchmarks scripts
echo "== mypy (strict)"
.venv/bin/mypy
echo "== core imports without the web or database stack"
.venv/bin/python scripts/check_core_imports.py
echo "== pytest"
.venv/bin/pytest "$@"
