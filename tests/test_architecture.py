"""The package imports one way: no import cycle between its modules (imports inside functions
counted too) and no module takes another module's private (underscore) names."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = "gridplan"


def _modules() -> dict[str, Path]:
    out = {}
    for f in sorted((SRC / PKG).rglob("*.py")):
        parts = list(f.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def _base(mod: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    """The absolute module a ``from … import`` names (relative imports resolved)."""
    if node.level == 0:
        return node.module or ""
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _owner(name: str, mods: dict) -> str | None:
    """The package module that defines ``name`` (the longest prefix that is a module)."""
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> tuple[nx.DiGraph, list[str]]:
    """The graph of gridplan's modules, an edge A → B when A imports B anywhere in its text,
    and the private names a module takes from another one."""
    mods = _modules()
    g = nx.DiGraph()
    g.add_nodes_from(mods)
    private = []
    for m, f in mods.items():
        is_pkg = f.name == "__init__.py"
        module_alias = {}            # local name -> gridplan module it stands for
        tree = ast.parse(f.read_text(encoding="utf-8"), str(f))
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.ImportFrom):
                base = _base(m, is_pkg, node)
                for a in node.names:
                    full = f"{base}.{a.name}"
                    if full in mods:
                        targets.append(full)
                        module_alias[a.asname or a.name] = full
                    else:
                        targets.append(base)
                        if (a.name.startswith("_") and not a.name.startswith("__")
                                and base.split(".")[0] == PKG and _owner(base, mods) != m):
                            private.append(f"{m} imports {a.name} from {base}")
            elif isinstance(node, ast.Import):
                for a in node.names:
                    targets.append(a.name)
                    if a.asname and a.name in mods:
                        module_alias[a.asname] = a.name
            for t in targets:
                t = _owner(t, mods) if t.split(".")[0] == PKG else None
                # a submodule's import of its own package is how Python loads it, not a
                # dependency; a package importing its own submodules is one
                if t and t != m and not m.startswith(t + "."):
                    g.add_edge(m, t)
        for node in ast.walk(tree):   # other_module._private, through a module imported by name
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in module_alias and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                private.append(f"{m} uses {module_alias[node.value.id]}.{node.attr}")
    return g, private


def test_the_package_has_no_import_cycle_counting_imports_inside_functions():
    g, _ = import_graph()
    cycles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    described = []
    for comp in cycles:
        cycle = nx.find_cycle(g.subgraph(comp))
        described.append(" → ".join([a for a, _ in cycle] + [cycle[-1][1]])
                         + f"  ({len(comp)} modules in the knot)")
    assert not cycles, "import cycles:\n" + "\n".join(described)


def test_no_module_takes_another_modules_private_names():
    _, private = import_graph()
    assert not private, "private names used across modules:\n" + "\n".join(private)


def test_the_graph_sees_imports_inside_functions():
    # the checks above are only as good as the graph: the CLI imports the planner inside its
    # command function, and that edge must be in it
    g, _ = import_graph()
    assert g.has_edge("gridplan.cli", "gridplan.plan")
    assert g.number_of_nodes() > 40
