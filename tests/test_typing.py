"""Every public function of psw/ and orchestration/ says what it takes and returns.

mypy (`make lint`) checks the annotations that are there; this checks they are there for
the public surface (names without a leading underscore, in classes that are public too),
so a newcomer can read a function's contract from its signature."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.source import parse

ROOT = Path(__file__).resolve().parents[1]
DUNDERS_TO_TYPE = {"__init__", "__call__", "__enter__", "__exit__"}


def _untyped(path: Path) -> list[str]:
    found: list[str] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef) and not child.name.startswith("_"):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
                dunder = name.startswith("__") and name.endswith("__")
                if (
                    name.startswith("_")
                    and name not in DUNDERS_TO_TYPE
                    or (dunder and name not in DUNDERS_TO_TYPE)
                ):
                    continue
                args = child.args
                params = [
                    a
                    for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]
                    if a.arg not in ("self", "cls")
                ]
                params += [a for a in (args.vararg, args.kwarg) if a is not None]
                missing = [a.arg for a in params if a.annotation is None]
                if child.returns is None and name != "__init__":
                    missing.append("return")
                if missing:
                    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
                    where = f"{shown}:{child.lineno}"
                    found.append(f"{where} {prefix}{name}: {', '.join(missing)}")

    visit(parse(path.read_text(encoding="utf-8")), "")
    return found


def test_public_functions_are_annotated():
    files = sorted([*(ROOT / "psw").rglob("*.py"), *(ROOT / "orchestration").rglob("*.py")])
    assert len(files) > 50
    untyped = [line for path in files for line in _untyped(path)]
    assert not untyped, "public functions without annotations:\n" + "\n".join(untyped)


def test_the_check_sees_a_missing_annotation(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def shown(x, y: int): ...\n"
        "def _hidden(z): ...\n"
        "class Public:\n    def method(self) -> None: ...\n    def __exit__(self, *exc): ...\n"
    )
    assert _untyped(sample) == [
        "sample.py:1 shown: x, return",
        "sample.py:5 Public.__exit__: exc, return",
    ]
