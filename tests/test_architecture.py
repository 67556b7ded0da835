"""The layers of the package, read from the source with ``ast`` (imports
inside functions too): no stage imports another stage, and the modules below
the stages (config, io, errors, the dictionary, the language resources) import
no stage. Only the orchestration (``__main__``, ``runner``) calls stages.
And every shared module a stage imports is part of its cache key."""

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "pipeline"
STAGES = ("extract", "convert", "segment", "tag", "graph", "report")
ORCHESTRATION = ("pipeline.__main__", "pipeline.runner")
NOT_HASHED = ("pipeline", "pipeline.config", "pipeline.io", "pipeline.errors", "pipeline.stages")  # infrastructure, not stage logic


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(name: str) -> str | None:
    """The stage a module belongs to: the stage's module, a module of its
    package (pipeline.extract.pdf) or its helper (pipeline.extract_charset)."""
    top = name.split(".")[1] if name.count(".") else ""
    return next((s for s in STAGES if top == s or top.startswith(s + "_")), None)


def imports(path: Path) -> set[str]:
    """The pipeline modules ``path`` imports anywhere (``from . import x``
    names module ``x``; a name that is no module maps to a module that has no
    stage, so it is harmless)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "pipeline")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            elif (node.module or "").split(".")[0] == "pipeline":
                module = node.module
            else:
                continue
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names)
    return {m for m in found if m != name}


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_layers(name):
    if name in ORCHESTRATION:
        return
    own = stage_of(name)
    wrong = sorted(m for m in imports(MODULES[name])
                   if (stage_of(m) and stage_of(m) != own) or m in ORCHESTRATION)
    where = f"stage {own}" if own else "a module below the stages"
    assert not wrong, f"{name} ({where}) imports {', '.join(wrong)}: move what it needs below the stages"


def shared(name: str, seen=None) -> set[str]:
    """The modules below the stages that ``name`` reaches through imports."""
    seen = set() if seen is None else seen
    for m in imports(MODULES[name]):
        m = m if m in MODULES else m.rpartition(".")[0]
        if m in MODULES and m not in seen and not stage_of(m) and m not in ORCHESTRATION:
            seen.add(m)
            shared(m, seen)
    return seen


@pytest.mark.parametrize("stage", STAGES)
def test_shared_code_is_in_the_cache_key(stage):
    from pipeline.stages import STAGE

    names = {m for m in MODULES if stage_of(m) == stage}
    used = set().union(*(shared(n) for n in names)) - set(NOT_HASHED)
    assert {f"pipeline.{m}" for m in STAGE[stage].shared} == used


def test_the_check_sees_lazy_and_relative_imports(tmp_path):
    path = PACKAGE / "graph.py"
    assert "pipeline.lexicon" in imports(path) or "pipeline.tag" in imports(path)  # inside process()
    assert stage_of("pipeline.extract_charset") == stage_of("pipeline.extract.pdf") == "extract"
    assert stage_of("pipeline.lexicon") is None and stage_of("pipeline.io") is None
