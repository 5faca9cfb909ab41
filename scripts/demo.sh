#!/usr/bin/env bash
# Run credstack end to end: make a key, issue an Open Badge, verify it, tamper with it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cs=.venv/bin/credstack
work=$(mktemp -d)
$cs keys new --out "$work/issuer.key.json"
pub=$(.venv/bin/python -c "import json,sys; print(json.load(open(sys.argv[1]))['publicKeyMultibase'])" "$work/issuer.key.json")
sed "s/did:key:PLACEHOLDER/did:key:$pub/" examples/open-badge.json > "$work/badge.json"
$cs sign --key "$work/issuer.key.json" "$work/badge.json" > "$work/badge.signed.json"
echo "== signed credential: $work/badge.signed.json"
$cs verify "$work/badge.signed.json"
echo "== the same credential with its name changed after signing"
sed 's/"name": "Data Analysis with Python"/"name": "Data Analysis with Pythons"/' "$work/badge.signed.json" > "$work/tampered.json"
$cs verify "$work/tampered.json" || echo "(exit $?: not valid, as expected)"
