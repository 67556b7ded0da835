# make all: the whole pipeline, incrementally, in one command: `pipeline run`,
# which takes each document through every stage in one task (jieba, OpenCC and
# spaCy loaded once; one PDF parsed while others are segmented). It runs only
# when something make can see changed: the corpus, a config section, a stage's
# module, the dictionary. Inside it, per-document content hashes decide which
# documents are redone.
#
# `make extract` ... `make report` run the stages one by one instead, one
# Python process per stage, each a stamp file under $(OUTPUTS)/.stamps that
# depends on the previous stage, its code and its config sections (stages.mk).
# Both ways give byte-identical outputs; `make all` marks every stage done.
# (PDF parsing runs in a short-lived child per PDF, for its time and memory budget.)

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CONFIG ?= config.toml
CORPUS ?= corpus
OUTPUTS ?= outputs
ARGS ?=
OPTS = --config '$(CONFIG)' --corpus '$(CORPUS)' --outputs '$(OUTPUTS)' $(ARGS)
ST := $(OUTPUTS)/.stamps
# $(call stage,COMMAND): a stage exits 1 when some documents failed; the later
# stages still run for the others, so only exit codes above 1 stop make.
stage = @rc=0; $(PY) -m pipeline $(1) $(OPTS) || rc=$$?; test $$rc -le 1 && touch $@

# The stage rules, generated from the stage graph in pipeline/stages.py: each
# stage's stamp depends on the previous stage, its config sections, its code
# (its module or package and the shared modules it runs) and its data.
include stages.mk

.DELETE_ON_ERROR:
.PHONY: all help test fuzz bench clean venv refresh

all: $(ST)/run ## run the pipeline on corpus/ into outputs/ (creates .venv first)
	@$(PY) -m pipeline status $(OPTS) --quiet

help: ## list the targets
	@grep -hE '^[a-z][a-z -]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

venv: $(VENV)/.installed ## create .venv and install the pinned dependencies

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,dask]'
	touch $@

# Always runs, but rewrites a stamp only when its content changed, so make sees
# an old mtime for an unchanged corpus or config section.
$(ST)/corpus $(addprefix $(ST)/config-,$(STAGES)) &: refresh
	@true
refresh: $(VENV)/.installed
	@$(PY) -m pipeline stamps $(OPTS)

test: $(VENV)/.installed ## run the whole test suite
	$(PY) -m pytest -q

fuzz: $(VENV)/.installed ## property tests with many random examples, not in CI (FUZZ_EXAMPLES=2000 per property)
	FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),2000) $(PY) -m pytest -q -p no:cacheprovider tests/test_fuzz.py

bench: $(VENV)/.installed ## print performance ratios measured in one run
	$(PY) tools/bench.py

clean: ## remove outputs/ (keeps .venv)
	rm -rf '$(OUTPUTS)'/* '$(OUTPUTS)'/.stamps '$(OUTPUTS)'/.state '$(OUTPUTS)'/.lock '$(OUTPUTS)'/manifest.json
	touch '$(OUTPUTS)'/.gitkeep
