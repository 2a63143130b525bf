"""The shape of payout_core: one error root, no import cycles, light imports for the validation side."""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import payout_core
from payout_core.errors import InvalidInput, PayoutError

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "payout_core"
# Builtin exceptions a module may raise by name: bugs and the protocols that require them, never a refusal.
NOT_REFUSALS = {"AssertionError", "AttributeError", "NotImplementedError"}  # AttributeError: a module __getattr__
BUILTIN_ERRORS = {n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)}


def _modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(payout_core.__path__, "payout_core.")]


def _sources() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(PACKAGE.rglob("*.py"))]


def test_every_payout_error_derives_from_the_one_root() -> None:
    errors = {
        cls
        for name in _modules()
        for _, cls in inspect.getmembers(importlib.import_module(name), inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__.startswith("payout_core.")
    }
    assert len(errors) > 20  # the walk found the packages' errors, not just the root
    assert {cls.__qualname__ for cls in errors if not issubclass(cls, PayoutError)} == set()
    assert issubclass(InvalidInput, ValueError)


def test_payout_core_raises_only_its_own_errors() -> None:
    """A refusal is a PayoutError: no builtin exception is raised by name (a msgspec Struct's __post_init__ raises
    InvalidInput, which msgspec turns into a ValidationError when decoding)."""
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                name = target.id if isinstance(target, ast.Name) else None
                if name in BUILTIN_ERRORS - NOT_REFUSALS:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} raises {name}")
    assert found == []


def test_only_prepare_touches_cardbins_errors() -> None:
    """payout_core's rules raise payout_core's errors; only prepare, which calls cardbin, reads cardbin's."""
    importers = [
        str(path.relative_to(ROOT))
        for path, tree in _sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "cardbin.errors"
    ]
    assert importers == ["payout_core/validation/prepare.py"]


def test_the_validation_side_loads_no_database_driver_and_no_engine() -> None:
    for module in ("payout_core.names", "payout_core.validation", "payout_core"):
        code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'psycopg'"
        code += " or m.startswith(('payout_core.store', 'payout_core.orders'))))"
        loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
        assert loaded.stdout.strip() == "[]", module


def test_import_contracts_hold() -> None:
    """pyproject.toml [tool.importlinter]: no cycles between packages or modules, and the money side layered.
    In a child process: the linter reconfigures logging, which would silence the loggers other tests read."""
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    linted = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=ROOT)
    assert linted.returncode == 0, linted.stdout
