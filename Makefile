# The two commands a newcomer needs: `make demo` and `make test`. Both set up `.venv/` first
# (tools/setup_env.sh is idempotent: a second run returns at once).
PY := .venv/bin/python
SHELL := /bin/bash

.PHONY: setup demo test clean-demo

setup:
	@bash tools/setup_env.sh

demo: setup
	$(PY) tools/run_demo.py

test: setup
	$(PY) -m pytest -q tests

clean-demo:
	rm -rf work_dirs/demo data/synthetic
