"""The shape of `platform/` (docs/architecture.md): dependencies run one way, modules import no
cycle, and no app reaches into another app's private names. Read from the source with `ast`, so
lazy imports inside functions count too: a cycle hidden in a function is still a cycle."""

import ast
from collections import defaultdict
from pathlib import Path

PLATFORM = Path(__file__).resolve().parents[1] / "platform"

# `codeledger` is the project package and three layers: its kernel (shared by every app),
# its web helpers (which know accounts and code systems), and the project itself (settings,
# URLs, the home page, health and metrics), which may import anything.
WEB = {"codeledger.api", "codeledger.screens"}
PROJECT = {
    "codeledger.urls",
    "codeledger.settings",
    "codeledger.views",
    "codeledger.wsgi",
    "codeledger.asgi",
}

# unit -> the units it may import (besides itself). Lower layers never import higher ones.
ALLOWED = {
    "events": {"codeledger"},
    "codeledger": {"events"},
    "codes": {"events", "codeledger"},
    "accounts": {"events", "codeledger", "codes"},
    "codeledger.web": {"events", "codeledger", "codes", "accounts"},
    "review": {"events", "codeledger", "codeledger.web", "codes", "accounts"},
    "codesets": {"events", "codeledger", "codeledger.web", "codes", "accounts"},
    "search": {"events", "codeledger", "codeledger.web", "codes", "accounts", "alphabetic_index"},
    "alphabetic_index": {"events", "codeledger", "codeledger.web", "codes", "accounts", "codesets"},
    "reference": {
        "events",
        "codeledger",
        "codeledger.web",
        "codes",
        "accounts",
        "review",
        "alphabetic_index",
        "knowledge",
        "assistant",
    },
    "knowledge": {
        "events",
        "codeledger",
        "codeledger.web",
        "codes",
        "accounts",
        "alphabetic_index",
    },
    "checks": {"events", "codeledger", "codeledger.web", "codes", "accounts", "codesets"},
    "assistant": {
        "events",
        "codeledger",
        "codeledger.web",
        "codes",
        "accounts",
        "review",
        "codesets",
        "alphabetic_index",
        "search",
        "knowledge",
        "checks",
    },
    "fhir": {
        "events",
        "codeledger",
        "codeledger.web",
        "codes",
        "accounts",
        "codesets",
        "alphabetic_index",
        "search",
        "knowledge",
    },
    "audit": {"events", "codeledger", "codeledger.web", "codes", "accounts", "review", "codesets"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PLATFORM.rglob("*.py"):
        parts = list(path.relative_to(PLATFORM).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path):
    """(imported module, imported name or None) for every import statement in the file."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if f"{node.module}.{alias.name}" in MODULES:
                    yield f"{node.module}.{alias.name}", None  # a module: `from x import y`
                else:
                    yield node.module, alias.name


def _graph() -> dict[str, set[str]]:
    edges = defaultdict(set)
    for module, path in MODULES.items():
        for target, _ in _imports(path):
            if target in MODULES and target != module:
                edges[module].add(target)
    return edges


def _unit(module: str) -> str:
    app = module.split(".")[0]
    if app != "codeledger":
        return app
    if module in WEB:
        return "codeledger.web"
    if module in PROJECT:
        return "codeledger.project"
    return "codeledger"


def test_every_app_is_placed_in_the_layers():
    apps = {module.split(".")[0] for module in MODULES}
    assert apps - {"codeledger"} <= set(ALLOWED), "a new app: give it a place in ALLOWED"


def test_dependencies_run_one_way():
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in targets
        if (source := _unit(module)) != "codeledger.project"
        and (to := _unit(target)) != source
        and to not in ALLOWED[source]
    )
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_a_cycle():
    """Tarjan's strongly connected components: any component of two or more modules is a cycle."""
    edges, index, low, stack, on_stack, cycles = _graph(), {}, {}, [], set(), []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in edges.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    assert not cycles, f"import cycles: {cycles}"


def test_no_app_imports_another_apps_private_names():
    wrong = sorted(
        f"{module} imports {target}.{name}"
        for module, path in MODULES.items()
        for target, name in _imports(path)
        if name
        and name.startswith("_")
        and target in MODULES
        and target.split(".")[0] != module.split(".")[0]
    )
    assert not wrong, "\n".join(wrong)
