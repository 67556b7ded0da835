"""The stage graph is declared once (pipeline/stages.py): the Makefile's stage
rules, the README's stage table and the CLI's commands are derived from it and
must be current."""

import re

import pytest

from conftest import ROOT, run_cli
from pipeline import stages
from pipeline.config import SECTIONS


def test_stages_mk_is_generated_from_the_stage_graph():
    assert (ROOT / "stages.mk").read_text(encoding="utf-8") == stages.makefile(), \
        "stages.mk is stale: python -m pipeline.stages --make > stages.mk"
    assert "include stages.mk" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_readme_stage_table_is_generated_from_the_stage_graph():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- stages:begin -->\n(.*?)<!-- stages:end -->", readme, re.S)
    assert found, "README.md has no <!-- stages:begin --> ... <!-- stages:end --> block"
    assert found.group(1) == stages.readme_table(), "the README's stage table is stale: python -m pipeline.stages --readme"


def test_every_stage_command_is_in_the_cli_with_its_help():
    out = run_cli("--help", check=0).stdout
    for stage in stages.STAGES:
        assert re.search(rf"^\s+{re.escape(stage.command)}\b", out, re.M), stage.command
        assert stage.help.split()[0] in out
        assert run_cli(stage.command, "--help", check=0).stdout.count(stage.help.split(":")[0]) >= 1


@pytest.mark.parametrize("stage", stages.STAGES, ids=lambda s: s.name)
def test_each_stage_is_a_module_with_a_config_section_and_code_files(stage):
    import importlib

    module = importlib.import_module(f"pipeline.{stage.name}")
    assert hasattr(module, "process" if stage.per_document else "run")
    assert set(stage.sections) <= set(SECTIONS)
    files = stages.code_files(stage.name)
    assert files and all(p.is_file() for p in files)
    assert all(p.is_file() for p in stages.data_files(stage.name))
    assert len(stages.data_files(stage.name)) >= len(stage.data)  # every pattern matches something


def test_a_new_module_in_a_stage_package_makes_stages_mk_stale(tmp_path, monkeypatch):
    package = tmp_path / "pipeline"
    (package / "extract").mkdir(parents=True)
    for name in ("__init__.py", "chars.py"):
        (package / "extract" / name).write_text("")
    (package / "isolation.py").write_text("")
    monkeypatch.setattr(stages, "PACKAGE", package)
    before = stages.makefile().split("$(ST)/convert")[0]
    (package / "extract" / "tables.py").write_text("")
    assert "pipeline/extract/tables.py" in stages.makefile().split("$(ST)/convert")[0] != before
