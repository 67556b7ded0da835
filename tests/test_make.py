"""`make all` with real make and real files: every output, a no-op rerun,
one changed document, one changed config section, a removed document."""

import json

from conftest import run_make, snapshot

TEN_SECTORS = {"new_generation_it", "cnc_machine_tools_and_robots", "aerospace_equipment",
               "ocean_engineering_and_high_tech_ships", "advanced_rail_transit_equipment",
               "energy_saving_and_new_energy_vehicles", "power_equipment", "agricultural_machinery", "new_materials",
               "biomedicine_and_medical_devices"}
DOCS = ("mic2025-hk", "mic2025-cn", "mic2025-brief-en")


def manifest(tmp):
    return json.loads((tmp / "outputs" / "manifest.json").read_text(encoding="utf-8"))


def test_make_all_incremental(corpus_copy):
    tmp = corpus_copy
    out = tmp / "outputs"
    run_make("all", tmp)

    # every output of the contract, for all three documents
    for doc in DOCS:
        for rel in (f"text/{doc}.txt", f"segmented/{doc}.txt", f"tags/{doc}.jsonl", f"graph/docs/{doc}.graphml"):
            assert (out / rel).stat().st_size > 0, rel
    assert (out / "converted/mic2025-hk.zh-Hans.txt").exists()
    assert (out / "converted/mic2025-cn.zh-Hant.txt").exists()
    assert not (out / "converted/mic2025-hk.zh-Hant.txt").exists()  # not duplicated in its own script
    for name in ("cooccurrence.graphml", "cooccurrence.gexf", "cooccurrence.json", "nodes.csv", "edges.csv"):
        assert (out / "graph" / name).stat().st_size > 0
    assert "<svg" in (out / "report/index.html").read_text(encoding="utf-8")
    m = manifest(tmp)
    assert {d: m["documents"][d]["status"] for d in DOCS} == dict.fromkeys(DOCS, "ok")
    assert m["dependencies"]["jieba"] == "0.42.1"

    # the graph holds 四基, 兩化融合 and the ten key sectors, each with edges
    graph = json.loads((out / "graph/cooccurrence.json").read_text(encoding="utf-8"))
    degree = {n["id"]: n["degree"] for n in graph["nodes"]}
    for concept in {"four_foundations", "informatisation_industrialisation_integration"} | TEN_SECTORS:
        assert degree.get(concept, 0) > 0, concept

    # a second run redoes nothing: every file, manifest included, is untouched
    before = snapshot(out)
    run_make("all", tmp)
    assert snapshot(out) == before

    # changing one document redoes only that document (and the graph)
    with open(tmp / "corpus/mic2025-cn.txt", "a", encoding="utf-8") as handle:
        handle.write("\n新增一段：推進智能製造與工業互聯網。\n")
    before = snapshot(out)
    run_make("all", tmp)
    after = snapshot(out)
    statuses = {d: manifest(tmp)["documents"][d]["status"] for d in DOCS}
    assert statuses == {"mic2025-hk": "unchanged", "mic2025-cn": "ok", "mic2025-brief-en": "unchanged"}
    for doc in ("mic2025-hk", "mic2025-brief-en"):
        for rel in (f"text/{doc}.txt", f"segmented/{doc}.txt", f"tags/{doc}.jsonl"):
            assert after[rel] == before[rel], rel
    assert after["text/mic2025-cn.txt"] != before["text/mic2025-cn.txt"]
    assert after["graph/cooccurrence.json"][1] != before["graph/cooccurrence.json"][1]

    # editing [graph] redoes only the graph (and the report that shows it)
    config = tmp / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("max_evidence = 5", "max_evidence = 2"),
                      encoding="utf-8")
    before = snapshot(out)
    run_make("all", tmp)
    after = snapshot(out)
    for folder in ("text/", "converted/", "segmented/", "tags/", ".state/extract/", ".state/segment/", ".state/tag/"):
        changed = [p for p in after if p.startswith(folder) and after[p] != before[p]]
        assert changed == [], changed
    assert after[".state/graph/mic2025-cn.json"][1] > before[".state/graph/mic2025-cn.json"][1]
    edges = json.loads((out / "graph/cooccurrence.json").read_text(encoding="utf-8"))["edges"]
    assert max(len(json.loads(e["evidence"])) for e in edges) == 2

    # `make all` left every stage done: a stage target has nothing to do
    dry_run = run_make("graph", tmp, options=["--dry-run"]).stdout
    assert "pipeline graph" not in dry_run and "pipeline stamps" in dry_run

    # a document removed from corpus/ disappears from every output and from the graph
    (tmp / "corpus/mic2025-brief-en.pdf").unlink()
    run_make("all", tmp)
    leftovers = [p for p in snapshot(out) if "mic2025-brief-en" in p]
    assert leftovers == []
    assert "mic2025-brief-en" not in manifest(tmp)["documents"]
    assert "mic2025-brief-en" not in (out / "graph/cooccurrence.json").read_text(encoding="utf-8")


def test_make_help_lists_targets():
    from conftest import ROOT
    import subprocess

    text = subprocess.run(["make", "-C", str(ROOT), "--no-print-directory", "help"], capture_output=True,
                          text=True, check=True).stdout
    for target in ("all", "test", "bench", "clean", "help"):
        assert any(line.split()[0] == target for line in text.splitlines() if line.strip()), target


def test_bad_config_stops_make_before_work(corpus_copy):
    tmp = corpus_copy
    (tmp / "config.toml").write_text("[graph]\nwindow = 'sentense'\n", encoding="utf-8")
    proc = run_make("all", tmp, check=False)
    assert proc.returncode != 0
    assert "window" in proc.stderr and "sentense" in proc.stderr
    assert not (tmp / "outputs" / "text").exists()
