"""The package's import graph: no cycle, and every arrow goes the way docs/ARCHITECTURE.md says.

Every module of ``app/`` is read with ``ast``: module-level imports and those inside functions
alike, ``import x`` and ``from x import y`` (where ``y`` may be a submodule). Each import is an
edge to the module it loads, and to each package that enclosing it that the import runs (the
packages above the importing module itself are already running, so they do not count -- unless
the import names one of them). The checker is shown to catch a cycle and forbidden arrows on a
tiny fake package written to a temporary folder.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

DOMAINS = ("accounts", "renders", "payments", "delivery", "mail", "admin", "frontend")
# The domains each domain may import besides itself; admin and the web app may use any.
DOMAIN_ARROWS = {
    "payments": {"renders", "delivery", "mail"},
    "renders": {"delivery", "mail"},
    "delivery": {"mail"},
    "accounts": {"mail"},
    "mail": set(),
    "admin": set(DOMAINS),
    "frontend": set(DOMAINS),
}
# Shared layers: they serve the domains and import none of them.
SHARED = ("models", "adapters", "tasks", "web", "rendering", "config", "extensions", "errors", "logs")
ENGINE = "rendering"
ENGINE_FORBIDDEN_EXTERNAL = ("flask", "flask_smorest", "flask_sqlalchemy", "werkzeug", "sqlalchemy")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the module (or package) it loads, or an outside top-level name
    line: int
    in_function: bool
    commented: bool  # a comment on the line of the import or the line above


@dataclass
class Graph:
    package: str
    modules: dict[str, Path] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)

    def internal(self, name: str) -> bool:
        return name == self.package or name.startswith(self.package + ".")

    def edges(self) -> dict[str, set[str]]:
        graph: dict[str, set[str]] = {name: set() for name in self.modules}
        for imp in self.imports:
            if not self.internal(imp.target):
                continue
            if imp.target != imp.source:
                graph[imp.source].add(imp.target)
            for parent in _parents(imp.target):  # importing a.b.c runs a and a.b first
                if parent not in (self.package, imp.source) and not _is_ancestor(parent, imp.source):
                    graph[imp.source].add(parent)
        return graph


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _is_ancestor(package: str, module: str) -> bool:
    return module.startswith(package + ".")


def module_name(package_dir: Path, path: Path) -> str:
    parts = [package_dir.name, *path.relative_to(package_dir).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _function_lines(tree: ast.AST) -> set[int]:
    """Line numbers of the import statements found inside a function body."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    lines.add(inner.lineno)
    return lines


def read_package(package_dir: Path) -> Graph:
    graph = Graph(package=package_dir.name)
    files = sorted(p for p in package_dir.rglob("*.py") if "__pycache__" not in p.parts)
    for path in files:
        graph.modules[module_name(package_dir, path)] = path
    for path in files:
        source = module_name(package_dir, path)
        text = path.read_text()
        lines = text.splitlines()
        tree = ast.parse(text, filename=str(path))
        in_function = _function_lines(tree)
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(source, is_package, node.module, node.level)
                targets = []
                for alias in node.names:
                    candidate = f"{base}.{alias.name}"
                    targets.append(candidate if candidate in graph.modules else base)
            else:
                continue
            commented = any("#" in lines[n - 1] for n in (node.lineno, node.lineno - 1) if n >= 1)
            for target in dict.fromkeys(targets):
                graph.imports.append(Import(source, target, node.lineno,
                                            node.lineno in in_function, commented))
    return graph


def _resolve(source: str, is_package: bool, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = source.split(".")
    if not is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (level - 1)]
    return ".".join([*parts, module] if module else parts)


# -- the rules --------------------------------------------------------------------------------

def find_cycles(graph: Graph) -> list[list[str]]:
    """One cycle (as a path that returns to its start) per strongly connected component."""
    edges = graph.edges()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = [0]

    def strongconnect(node: str) -> None:  # Tarjan, iterative over the successors
        work = [(node, iter(sorted(edges[node])))]
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        while work:
            current, successors = work[-1]
            advanced = False
            for nxt in successors:
                if nxt not in edges:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(edges[nxt]))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[current] = min(low[current], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[current])
            if low[current] == index[current]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == current:
                        break
                if len(component) > 1 or current in edges[current]:
                    components.append(component)

    for node in sorted(edges):
        if node not in index:
            strongconnect(node)
    return [_cycle_in(sorted(c), edges) for c in components]


def _cycle_in(component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest path from the component's first module back to itself."""
    members, start = set(component), component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(edges[node] & members):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if nxt not in previous:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    return component


def _area(graph: Graph, module: str) -> str | None:
    """The first name under the package (``renders`` for ``app.renders.service``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == graph.package else None


def forbidden_arrows(graph: Graph) -> list[str]:
    problems = []
    for imp in graph.imports:
        source_area, target_area = _area(graph, imp.source), _area(graph, imp.target)
        where = f"{imp.source}:{imp.line} imports {imp.target}"
        if source_area == ENGINE:
            external = imp.target.split(".")[0]
            if external in ENGINE_FORBIDDEN_EXTERNAL or external.startswith("flask"):
                problems.append(f"{where}: the engine imports {external}")
            elif graph.internal(imp.target) and target_area != ENGINE:
                problems.append(f"{where}: the engine imports the app outside app/{ENGINE}")
            continue
        if not graph.internal(imp.target) or target_area is None or source_area == target_area:
            continue
        if imp.source.rsplit(".", 1)[-1] == "routes" and target_area in ("adapters", ENGINE):
            what = "an adapter" if target_area == "adapters" else "the engine"
            problems.append(f"{where}: a route imports {what}")
        if source_area == "adapters" and target_area == "models":
            problems.append(f"{where}: an adapter imports the models")
        if source_area in SHARED and target_area in DOMAINS:
            problems.append(f"{where}: the shared layer app/{source_area} imports a domain")
        if source_area in DOMAINS and target_area in DOMAINS \
                and target_area not in DOMAIN_ARROWS[source_area]:
            problems.append(f"{where}: {source_area} -> {target_area} goes against the arrows")
    return problems


def unexplained_function_imports(graph: Graph) -> list[str]:
    return [f"{imp.source}:{imp.line} imports {imp.target} inside a function without a comment "
            "saying why" for imp in graph.imports if imp.in_function and not imp.commented]


def function_imports(graph: Graph) -> Iterable[Import]:
    return (imp for imp in graph.imports if imp.in_function)


# -- the app ----------------------------------------------------------------------------------

def test_the_app_has_no_import_cycle():
    cycles = find_cycles(read_package(ROOT / "app"))
    assert cycles == [], "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_every_arrow_goes_the_allowed_way():
    assert forbidden_arrows(read_package(ROOT / "app")) == []


def test_imports_inside_functions_say_why():
    assert unexplained_function_imports(read_package(ROOT / "app")) == []


def test_the_reader_sees_every_kind_of_import():
    graph = read_package(ROOT / "app")
    assert len(graph.modules) > 80
    targets = {(imp.source, imp.target) for imp in graph.imports}
    assert ("app.renders.queueing", "app.renders.tasks") in targets  # from x import submodule
    assert any(imp.in_function for imp in graph.imports)  # the adapters' optional SDKs


# -- the checker itself, on a package made to break the rules ------------------------------

BAD_PACKAGE = {
    "__init__.py": "",
    "models/__init__.py": "",
    "rendering/__init__.py": "",
    "rendering/engine.py": "import flask\nfrom fakeapp import models\n",
    "adapters/__init__.py": "",
    "adapters/storage.py": "from fakeapp.models import thing\n",
    "tasks/__init__.py": "",
    "tasks/queues.py": "from fakeapp.renders import service\n",
    "renders/__init__.py": "",
    "renders/routes.py": "from fakeapp.adapters import storage\nfrom fakeapp.rendering import engine\n",
    "renders/service.py": "from . import queueing\n",
    "renders/queueing.py": "def push():\n    from fakeapp.renders.service import create\n",
    "mail/__init__.py": "",
    "mail/sending.py": "from fakeapp.renders import service\n",
    "accounts/__init__.py": "",
    "accounts/a.py": "from fakeapp.accounts import b\n",
    "accounts/b.py": "from fakeapp.accounts import c\n",
    "accounts/c.py": ("def f():\n    # a heavy optional dependency, loaded when needed\n"
                      "    import fakeapp.accounts.a\n"),
}


def _bad_package(tmp_path: Path) -> Graph:
    root = tmp_path / "fakeapp"
    for name, text in BAD_PACKAGE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return read_package(root)


def test_the_checker_reports_each_cycle_as_a_path(tmp_path):
    cycles = find_cycles(_bad_package(tmp_path))
    assert sorted(cycles) == [
        ["fakeapp.accounts.a", "fakeapp.accounts.b", "fakeapp.accounts.c", "fakeapp.accounts.a"],
        ["fakeapp.renders.queueing", "fakeapp.renders.service", "fakeapp.renders.queueing"],
    ]


def test_the_checker_reports_each_forbidden_arrow(tmp_path):
    problems = forbidden_arrows(_bad_package(tmp_path))
    expected = [
        "fakeapp.rendering.engine:1 imports flask: the engine imports flask",
        "fakeapp.rendering.engine:2 imports fakeapp.models: the engine imports the app outside",
        "fakeapp.adapters.storage:1 imports fakeapp.models: an adapter imports the models",
        "fakeapp.tasks.queues:1 imports fakeapp.renders.service: the shared layer app/tasks",
        "fakeapp.renders.routes:1 imports fakeapp.adapters.storage: a route imports an adapter",
        "fakeapp.renders.routes:2 imports fakeapp.rendering.engine: a route imports the engine",
        "fakeapp.mail.sending:1 imports fakeapp.renders.service: mail -> renders goes against",
    ]
    for start in expected:
        assert sum(p.startswith(start) for p in problems) == 1, (start, problems)
    assert len(problems) == len(expected), problems


def test_the_checker_wants_a_reason_for_each_import_inside_a_function(tmp_path):
    problems = unexplained_function_imports(_bad_package(tmp_path))
    assert problems == ["fakeapp.renders.queueing:2 imports fakeapp.renders.service inside a "
                        "function without a comment saying why"]
