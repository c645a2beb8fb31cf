"""core/ is layered: no import cycle among its modules, and nothing in it imports Streamlit or the UI.

Every module under core/ is parsed (not imported), so imports inside functions count too: a lazy
import still ties two modules together.
"""

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
#: Top-level packages core/ must never import: the UI and what it is built on.
FORBIDDEN = {"streamlit", "ui", "pages", "app"}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every module name an import statement anywhere in `tree` mentions, relative ones resolved."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join(package + ([base] if base else []))
            names.add(base)
            # `from core.data import registry` imports the module core.data.registry.
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(root: Path, package: str = "core") -> dict[str, set[str]]:
    """Each module of `package` under `root`, mapped to the modules it imports (of any package)."""
    graph = {}
    for path in sorted((root / package).rglob("*.py")):
        module = module_name(path, root)
        tree = ast.parse(path.read_text(), filename=str(path))
        graph[module] = imported_names(tree, module, path.name == "__init__.py")
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle among the graph's own modules, as a path that ends where it starts, or None."""
    edges = {module: sorted(graph.keys() & targets - {module}) for module, targets in graph.items()}
    state = {}  # module -> "open" while on the current path, "done" once fully explored

    def visit(module, path):
        state[module] = "open"
        for target in edges[module]:
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target, [*path, target])):
                return cycle
        state[module] = "done"
        return None

    for module in sorted(edges):
        if module not in state and (cycle := visit(module, [module])):
            return cycle
    return None


def test_core_has_no_import_cycle():
    cycle = find_cycle(import_graph(PROJECT))
    assert cycle is None, "import cycle in core/: " + " -> ".join(cycle)


def test_core_imports_neither_streamlit_nor_the_ui():
    offenders = {
        module: sorted(name for name in names if name.split(".")[0] in FORBIDDEN)
        for module, names in import_graph(PROJECT).items()
    }
    offenders = {module: names for module, names in offenders.items() if names}
    assert not offenders, f"core/ modules importing the UI layer: {offenders}"


def test_the_checks_catch_a_lazy_cycle_and_a_lazy_streamlit_import(tmp_path):
    # The shape core/data had before: registry imports download inside a function, download imports
    # registry at the top.
    (tmp_path / "core" / "data").mkdir(parents=True)
    for init in ("core/__init__.py", "core/data/__init__.py"):
        (tmp_path / init).write_text("")
    (tmp_path / "core/data/registry.py").write_text("def load():\n    from core.data import download\n")
    (tmp_path / "core/data/download.py").write_text("from core.data.registry import Dataset\n")
    (tmp_path / "core/figures.py").write_text("def show():\n    import streamlit as st\n")
    graph = import_graph(tmp_path)
    assert find_cycle(graph) == ["core.data.download", "core.data.registry", "core.data.download"]
    assert "streamlit" in graph["core.figures"]


def test_relative_imports_are_resolved(tmp_path):
    (tmp_path / "core" / "data").mkdir(parents=True)
    (tmp_path / "core/__init__.py").write_text("")
    (tmp_path / "core/data/__init__.py").write_text("from . import idx\n")
    (tmp_path / "core/data/idx.py").write_text("from ..errors import DataFileError\n")
    graph = import_graph(tmp_path)
    assert "core.data.idx" in graph["core.data"]
    assert "core.errors" in graph["core.data.idx"]


# --- Sizes a newcomer can read ---------------------------------------------------------------------

MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60


def layer_modules() -> list[Path]:
    return sorted([*(PROJECT / "core").rglob("*.py"), *(PROJECT / "ui").rglob("*.py")])


def test_no_module_in_core_or_ui_is_over_350_lines():
    long = {
        str(path.relative_to(PROJECT)): n
        for path in layer_modules()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"split these modules by job: {long}"


def test_no_function_in_core_ui_or_pages_is_over_60_lines():
    paths = [*layer_modules(), *(PROJECT / "pages").glob("*.py"), PROJECT / "app.py"]
    long = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            is_function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if is_function and (n := node.end_lineno - node.lineno + 1) > MAX_FUNCTION_LINES:
                long[f"{path.relative_to(PROJECT)}:{node.name}"] = n
    assert not long, f"split these functions: {long}"


def test_ui_imports_neither_the_pages_nor_the_app():
    graph = import_graph(PROJECT, package="ui")
    offenders = {
        m: sorted(n for n in names if n.split(".")[0] in {"pages", "app"}) for m, names in graph.items()
    }
    assert not any(offenders.values()), offenders


def test_no_streamlit_internals_anywhere():
    """Only Streamlit's documented API: its private modules change without notice between releases."""
    internals = ("PagesManager", "_getframe", "uploaded_file_mgr", "_config_options", "runtime.scriptrunner")
    found = [
        f"{path.relative_to(PROJECT)}: {word}"
        for path in [*PROJECT.glob("*.py"), *PROJECT.glob("[!.]*/**/*.py")]
        if path.name != "test_architecture.py"
        for word in internals
        if word in path.read_text()
    ]
    assert not found
