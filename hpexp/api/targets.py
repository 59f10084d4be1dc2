"""Which module a plugin's ``_target_`` names, and whether it is a plugin, found without
running it.

Importing a module runs its code: ``venv.__main__`` makes a virtualenv and ``this`` prints a
poem before any subclass check could refuse them. So a module that is not imported yet is read
first, as source: it must bind the class's name and be hpexp's own or import hpexp (a plugin
subclasses ``hpexp.Workload`` or ``hpexp.Executor``; a re-export, or a base class imported from
another plugin module, is followed to that module). Only then is it imported.
"""

import ast
import importlib.util
import sys
from importlib.machinery import ModuleSpec

#: how many imports are followed to a module that imports hpexp: a re-export
#: (``from .impl import MyExecutor``) or a base class (``class Mine(TheirPlugin)``)
_FOLLOWED = 3


class NotAPlugin(Exception):
    """Why a ``_target_``'s module is not imported: one phrase, for the ``allowed`` part."""


def _find_spec(name: str) -> ModuleSpec | None:
    """``name``'s spec, its parent packages found by their specs, none of them executed
    (``importlib.util.find_spec`` imports the parents)."""
    search: list[str] | None = None
    spec = None
    parts = name.split(".")
    for depth in range(len(parts)):
        dotted = ".".join(parts[: depth + 1])
        if depth and search is None:
            return None  # a module, not a package: it has no submodules
        loaded = sys.modules.get(dotted)
        spec = getattr(loaded, "__spec__", None) if loaded is not None else None
        if spec is None:
            spec = _found(dotted, search)
        if spec is None:
            return None
        locations = spec.submodule_search_locations
        search = list(locations) if locations is not None else None
    return spec


def _found(name: str, search: list[str] | None) -> ModuleSpec | None:
    """What the import system's finders say of ``name`` (none of them runs a module); a name
    no finder can take (``a..b``) is no module."""
    for finder in sys.meta_path:
        try:
            found = finder.find_spec(name, search) if hasattr(finder, "find_spec") else None
        except (ImportError, ValueError):
            return None
        if found is not None:
            return found
    return None


def _split(target: str) -> tuple[str, str]:
    """``target`` as (module, the name bound in it): the longest prefix that is a module."""
    parts = target.split(".")
    for end in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:end])
        if _find_spec(module) is not None:
            return module, parts[end]
    raise NotAPlugin(f"an importable class (no module named '{parts[0]}')")


def _source(spec: ModuleSpec) -> ast.Module:
    loader = spec.loader
    text = loader.get_source(spec.name) if hasattr(loader, "get_source") else None
    if text is None:
        raise NotAPlugin(f"a class in Python source ('{spec.name}' has none hpexp can read)")
    try:
        return ast.parse(text, filename=spec.origin or spec.name)
    except SyntaxError as exc:
        where = f"{exc.filename}, line {exc.lineno}"
        raise NotAPlugin(f"an importable class ({exc.msg}: {where})") from None


def _top_level(tree: ast.Module) -> list[ast.stmt]:
    """The module's statements, those inside top-level ``if``/``try`` blocks included."""
    statements, pending = [], list(tree.body)
    while pending:
        node = pending.pop()
        statements.append(node)
        if isinstance(node, ast.If | ast.Try):
            pending.extend([*node.body, *node.orelse, *getattr(node, "finalbody", [])])
            for handler in getattr(node, "handlers", []):
                pending.extend(handler.body)
    return statements


def _binding(tree: ast.Module, name: str) -> ast.stmt | None:
    """The top-level statement that binds ``name``: a class, an assignment or an import."""
    for node in _top_level(tree):
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return node
        if isinstance(node, ast.ImportFrom) and any(
            (alias.asname or alias.name) == name for alias in node.names
        ):
            return node
    return None


def _imports_hpexp(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            alias.name.split(".")[0] == "hpexp" for alias in node.names
        ):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == "hpexp"
        ):
            return True
    return False


def _origins(tree: ast.Module, binding: ast.stmt, name: str) -> list[tuple[ast.ImportFrom, str]]:
    """Where ``name``'s plugin-ness comes from: the import that re-exports it, or the imports
    of a class's bases (a plugin that subclasses another plugin's class)."""
    if isinstance(binding, ast.ImportFrom):
        return [(binding, next(a.name for a in binding.names if (a.asname or a.name) == name))]
    if not isinstance(binding, ast.ClassDef):
        return []
    origins = []
    for base in binding.bases:
        imported = _binding(tree, base.id) if isinstance(base, ast.Name) else None
        if isinstance(imported, ast.ImportFrom):
            origins.extend(_origins(tree, imported, base.id))
    return origins


def _check(module: str, name: str, depth: int) -> None:
    if module in sys.modules:
        return  # already run: importing it again runs nothing
    spec = _find_spec(module)
    if spec is None:
        raise NotAPlugin(f"an importable class (no module named '{module}')")
    tree = _source(spec)
    binding = _binding(tree, name)
    if binding is None:
        raise NotAPlugin(f"a class of its module ('{module}' defines no '{name}')")
    if module.split(".")[0] == "hpexp" or _imports_hpexp(tree):
        return
    package = module if spec.submodule_search_locations is not None else spec.parent
    for origin, imported in _origins(tree, binding, name) if depth < _FOLLOWED else []:
        source = importlib.util.resolve_name("." * origin.level + (origin.module or ""), package)
        try:
            return _check(source, imported, depth + 1)
        except NotAPlugin:
            continue
    raise NotAPlugin(
        f"a Workload or Executor of a module that imports hpexp ('{module}' does not: "
        "it is not imported, its code does not run)"
    )


def check_plugin_module(target: str) -> None:
    """Raise :class:`NotAPlugin` unless ``target``'s module is already imported, or reads as a
    plugin module, so that importing it runs only a plugin's code."""
    if "." not in target:
        raise NotAPlugin("a class path: module.Class")
    module, name = _split(target)
    _check(module, name, 0)
