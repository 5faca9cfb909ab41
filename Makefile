.PHONY: run test bench setup

# Run credstack: set-up, then issue and verify an Open Badge end to end.
run:
	bash scripts/demo.sh

# Every test: set-up, ruff, mypy strict, the core-import check, pytest (incl. JS interop).
test:
	bash scripts/test.sh

setup:
	bash scripts/bootstrap.sh

bench:
	bash scripts/bootstrap.sh && .venv/bin/python benchmarks/proofs.py
