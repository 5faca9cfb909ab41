.PHONY: run test bench setup demo-cli

# Run the platform: set-up, then `credstack serve --demo` on SQLite over HTTPS (port 8443),
# with a demo organisation, achievements and learners' credentials.
run:
	bash scripts/bootstrap.sh && .venv/bin/credstack serve --demo

# Every test: set-up, ruff, mypy strict, the core-import check, pytest (incl. PostgreSQL and JS interop).
test:
	bash scripts/test.sh

setup:
	bash scripts/bootstrap.sh

# The credential core alone, end to end on the command line (no server).
demo-cli:
	bash scripts/demo.sh

bench:
	bash scripts/bootstrap.sh && .venv/bin/python benchmarks/proofs.py
