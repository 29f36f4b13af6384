# The two commands a newcomer needs: `make demo` and `make test`. Both set up `.venv/` first
# (tools/setup_env.sh is idempotent: a second run returns at once).
PY := .venv/bin/python
SHELL := /bin/bash

.PHONY: setup demo test clean-demo

setup:
	@bash tools/setup_env.sh

demo: setup
	OMP_WAIT_POLICY=$${OMP_WAIT_POLICY:-PASSIVE} $(PY) tools/run_demo.py

# style first (ruff, configured in pyproject.toml): a lint or format violation fails the target
test: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	OMP_WAIT_POLICY=$${OMP_WAIT_POLICY:-PASSIVE} $(PY) -m pytest -q tests

clean-demo:
	rm -rf work_dirs/pipeline_*synthetic work_dirs/synthetic_pretrain work_dirs/synthetic_supervised data/synthetic data/synthetic_pretrain
