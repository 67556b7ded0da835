"""Draw the import graph of the pipeline package (imports inside functions too).

    python tools/module_graph.py [PACKAGE_DIR] [OUT.png]

Modules are grouped in three rows: the orchestration (__main__, runner),
the stages, and the modules below them; a subpackage (pipeline/extract/)
is drawn as one node. An arrow a -> b means a imports b; red arrows go from
one stage to another, or upwards, which tests/test_architecture.py forbids.
"""

import ast
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402

STAGES = ("extract", "convert", "segment", "tag", "graph", "report")
ORCHESTRATION = ("__main__", "runner", "views")  # the command line and what it calls


def node_of(module: str) -> str:
    """'pipeline.extract.chars' -> 'extract'; 'pipeline.extract_charset' -> 'extract_charset'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports(package: Path) -> nx.DiGraph:
    G = nx.DiGraph()
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(rel[:-1] if rel[-1] == "__init__" else rel)
        if name == "pipeline":
            continue
        source = node_of(name)
        G.add_node(source)
        base = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.level:
                root = ".".join(base.split(".")[:len(base.split(".")) - node.level + 1])
                module = f"{root}.{node.module}" if node.module else root
                targets = [module] if node.module else [f"{module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pipeline"):
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("pipeline.")]
            for target in targets:
                if target.count(".") and (package / Path(*target.split(".")[1:])).with_suffix(".py").exists() or \
                        (package / Path(*target.split(".")[1:])).is_dir():
                    other = node_of(target)
                    if other != source and other not in ("errors", "__init__"):
                        G.add_edge(source, other)
    G.remove_nodes_from([n for n in list(G) if n in ("errors", "__init__")])
    return G


def stage_of(node: str) -> str | None:
    return next((s for s in STAGES if node == s or node.startswith(s + "_")), None)


def row(node: str) -> int:
    return 2 if node in ORCHESTRATION else 1 if node in STAGES or node.startswith("extract") else 0


def draw(G: nx.DiGraph, out: Path, title: str) -> None:
    rows: dict[int, list[str]] = {}
    for n in sorted(G, key=lambda n: (STAGES.index(n) if n in STAGES else 99, n)):
        rows.setdefault(row(n), []).append(n)
    pos = {}
    for r, names in rows.items():
        for i, n in enumerate(names):
            pos[n] = ((i + 0.5) / len(names), r + (0.12 if i % 2 and r == 0 else 0))
    bad = [(a, b) for a, b in G.edges if (row(a) == row(b) == 1 and stage_of(a) != stage_of(b)) or row(b) > row(a)]
    fig, ax = plt.subplots(figsize=(12, 5.5), dpi=100)
    nx.draw_networkx_nodes(G, pos, ax=ax, node_size=1500, node_color=["#ffe8c2" if row(n) == 1 else "#dde8f6"
                                                                      if row(n) == 0 else "#e4e4e4" for n in G])
    nx.draw_networkx_labels(G, pos, ax=ax, font_size=9)
    nx.draw_networkx_edges(G, pos, ax=ax, edgelist=[e for e in G.edges if e not in bad], edge_color="#888888",
                           arrows=True, arrowsize=10, node_size=1500, connectionstyle="arc3,rad=0.05")
    nx.draw_networkx_edges(G, pos, ax=ax, edgelist=bad, edge_color="#d62728", width=2, arrows=True, arrowsize=14,
                           node_size=1500, connectionstyle="arc3,rad=0.15")
    ax.set_title(f"{title}: {G.number_of_nodes()} modules, {G.number_of_edges()} imports, "
                 f"{len(bad)} between stages or upwards (red)")
    for r, label in ((2, "orchestration"), (1, "stages"), (0, "below the stages")):
        ax.text(-0.02, r, label, ha="right", va="center", fontsize=9, color="#555555")
    ax.set_xlim(-0.2, 1.05)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(out, metadata={"Software": None})
    plt.close(fig)


def main(argv) -> int:
    package = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "pipeline"
    out = Path(argv[2]) if len(argv) > 2 else Path("modules.png")
    G = imports(package)
    draw(G, out, argv[3] if len(argv) > 3 else "pipeline")
    for a in sorted(G):
        print(f"{a} -> {', '.join(sorted(G.successors(a))) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
