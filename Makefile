# make all: the whole pipeline, incrementally, in one command: `pipeline run`,
# which takes each document through every stage in one task (jieba, OpenCC and
# spaCy loaded once; one PDF parsed while others are segmented). It runs only
# when something make can see changed: the corpus, a config section, a stage's
# module, the dictionary. Inside it, per-document content hashes decide which
# documents are redone.
#
# `make extract` ... `make report` run the stages one by one instead, one
# Python process per stage, each a stamp file under $(OUTPUTS)/.stamps that
# depends on the previous stage, its own code and its own config section.
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
LEXICON := $(wildcard pipeline/lexicon/*.toml)
# Modules below the stages that the stages run (runner.SHARED_CODE): the OpenCC
# interface and language resources; those with the dictionary (code and data);
# and everything shared.
CHINESE := pipeline/chinese.py pipeline/language.py
DICTIONARY := $(CHINESE) pipeline/lexicon/__init__.py $(LEXICON)
SHARED := $(DICTIONARY) pipeline/sampling.py
# the extract stage is a package, and reads its PDFs in pipeline/isolation.py
EXTRACT_CODE := $(wildcard pipeline/extract/*.py) pipeline/isolation.py
# $(call stage,COMMAND): a stage exits 1 when some documents failed; the later
# stages still run for the others, so only exit codes above 1 stop make.
stage = @rc=0; $(PY) -m pipeline $(1) $(OPTS) || rc=$$?; test $$rc -le 1 && touch $@

.DELETE_ON_ERROR:
.PHONY: all help test fuzz bench clean venv refresh

all: $(ST)/run ## run the pipeline on corpus/ into outputs/ (creates .venv first)
	@$(PY) -m pipeline status $(OPTS) --quiet

help: ## list the targets
	@grep -E '^[a-z][a-z -]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

venv: $(VENV)/.installed ## create .venv and install the pinned dependencies

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,dask]'
	touch $@

# Always runs, but rewrites a stamp only when its content changed, so make sees
# an old mtime for an unchanged corpus or config section.
$(ST)/corpus $(ST)/config-extract $(ST)/config-convert $(ST)/config-segment $(ST)/config-tag $(ST)/config-graph $(ST)/config-report &: refresh
	@true
refresh: $(VENV)/.installed
	@$(PY) -m pipeline stamps $(OPTS)

$(ST)/extract: $(ST)/corpus $(ST)/config-extract $(EXTRACT_CODE)
	$(call stage,extract)
$(ST)/convert: $(ST)/extract $(ST)/config-convert pipeline/convert.py $(CHINESE)
	$(call stage,convert-docs)
$(ST)/segment: $(ST)/convert $(ST)/config-segment $(ST)/config-tag pipeline/segment.py $(DICTIONARY)
	$(call stage,segment-docs)
$(ST)/tag: $(ST)/segment $(ST)/config-tag pipeline/tag.py $(DICTIONARY)
	$(call stage,tag-docs)
$(ST)/graph: $(ST)/tag $(ST)/config-graph pipeline/graph.py $(SHARED)
	$(call stage,graph)
$(ST)/report: $(ST)/graph $(ST)/config-report pipeline/report.py $(SHARED) $(wildcard pipeline/report_assets/*)
	$(call stage,report)

extract convert segment tag graph report: %: $(ST)/% ## (each) run the pipeline up to that stage

# every prerequisite of the stage stamps above; `run` redoes what they would
STAGES := extract convert segment tag graph report
$(ST)/run: $(ST)/corpus $(addprefix $(ST)/config-,$(STAGES)) $(EXTRACT_CODE) \
		$(addprefix pipeline/,$(addsuffix .py,$(filter-out extract,$(STAGES)))) $(SHARED) $(wildcard pipeline/report_assets/*)
	$(call stage,run)
	@touch $(addprefix $(ST)/,$(STAGES))

test: $(VENV)/.installed ## run the whole test suite
	$(PY) -m pytest -q

fuzz: $(VENV)/.installed ## property tests with many random examples, not in CI (FUZZ_EXAMPLES=2000 per property)
	FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),2000) $(PY) -m pytest -q -p no:cacheprovider tests/test_fuzz.py

bench: $(VENV)/.installed ## print performance ratios measured in one run
	$(PY) tools/bench.py

clean: ## remove outputs/ (keeps .venv)
	rm -rf '$(OUTPUTS)'/* '$(OUTPUTS)'/.stamps '$(OUTPUTS)'/.state '$(OUTPUTS)'/.lock '$(OUTPUTS)'/manifest.json
	touch '$(OUTPUTS)'/.gitkeep
