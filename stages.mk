# Generated from pipeline/stages.py by `python -m pipeline.stages --make > stages.mk`;
# tests/test_stages.py checks that it is current. Do not edit by hand.

STAGES := extract convert segment tag graph report

$(ST)/extract: $(ST)/corpus $(ST)/config-extract pipeline/extract/__init__.py \
		pipeline/extract/chars.py pipeline/extract/charset.py pipeline/extract/docx.py \
		pipeline/extract/engines.py pipeline/extract/fallback.py pipeline/extract/garbled.py \
		pipeline/extract/html.py pipeline/extract/metadata.py pipeline/extract/ocr.py \
		pipeline/extract/paragraphs.py pipeline/extract/radicals.py pipeline/extract/textfile.py \
		pipeline/isolation.py
	$(call stage,extract)

$(ST)/convert: $(ST)/extract $(ST)/config-convert pipeline/convert.py pipeline/chinese.py \
		pipeline/language.py
	$(call stage,convert-docs)

$(ST)/segment: $(ST)/convert $(ST)/config-segment $(ST)/config-tag pipeline/segment.py \
		pipeline/chinese.py pipeline/language.py pipeline/lexicon/__init__.py pipeline/lexicon/mic2025.toml \
		pipeline/lexicon/stopwords-en.txt pipeline/lexicon/stopwords-zh-policy.txt \
		pipeline/lexicon/stopwords-zh.txt
	$(call stage,segment-docs)

$(ST)/tag: $(ST)/segment $(ST)/config-tag $(ST)/config-graph pipeline/tag.py pipeline/chinese.py \
		pipeline/language.py pipeline/lexicon/__init__.py pipeline/metadata.py \
		pipeline/lexicon/mic2025.toml pipeline/lexicon/stopwords-en.txt \
		pipeline/lexicon/stopwords-zh-policy.txt pipeline/lexicon/stopwords-zh.txt
	$(call stage,tag-docs)

$(ST)/graph: $(ST)/tag $(ST)/config-graph pipeline/graph.py pipeline/chinese.py pipeline/language.py \
		pipeline/lexicon/__init__.py pipeline/metadata.py pipeline/sampling.py \
		pipeline/lexicon/mic2025.toml
	$(call stage,graph)

$(ST)/report: $(ST)/graph $(ST)/config-report pipeline/report.py pipeline/chinese.py \
		pipeline/concordance.py pipeline/keyness.py pipeline/language.py pipeline/lexicon/__init__.py \
		pipeline/metadata.py pipeline/sampling.py pipeline/lexicon/mic2025.toml \
		pipeline/report_assets/app.js pipeline/report_assets/cytoscape.min.js \
		pipeline/report_assets/index.html.j2 pipeline/report_assets/keyness.html.j2 \
		pipeline/report_assets/report.css pipeline/report_assets/time.html.j2 \
		pipeline/report_assets/time.js
	$(call stage,report)

extract convert segment tag graph report: %: $(ST)/% ## (each) run the pipeline up to that stage

# every prerequisite of the stage stamps above; `run` redoes what they would
$(ST)/run: $(ST)/corpus $(addprefix $(ST)/config-,$(STAGES)) pipeline/extract/__init__.py \
		pipeline/extract/chars.py pipeline/extract/charset.py pipeline/extract/docx.py \
		pipeline/extract/engines.py pipeline/extract/fallback.py pipeline/extract/garbled.py \
		pipeline/extract/html.py pipeline/extract/metadata.py pipeline/extract/ocr.py \
		pipeline/extract/paragraphs.py pipeline/extract/radicals.py pipeline/extract/textfile.py \
		pipeline/isolation.py pipeline/convert.py pipeline/chinese.py pipeline/language.py \
		pipeline/segment.py pipeline/lexicon/__init__.py pipeline/lexicon/mic2025.toml \
		pipeline/lexicon/stopwords-en.txt pipeline/lexicon/stopwords-zh-policy.txt \
		pipeline/lexicon/stopwords-zh.txt pipeline/tag.py pipeline/metadata.py pipeline/graph.py \
		pipeline/sampling.py pipeline/report.py pipeline/concordance.py pipeline/keyness.py \
		pipeline/report_assets/app.js pipeline/report_assets/cytoscape.min.js \
		pipeline/report_assets/index.html.j2 pipeline/report_assets/keyness.html.j2 \
		pipeline/report_assets/report.css pipeline/report_assets/time.html.j2 \
		pipeline/report_assets/time.js
	$(call stage,run)
	@touch $(addprefix $(ST)/,$(STAGES))
