"""Rooms a newcomer can read: no module of psw/ or orchestration/ grows past about 300
lines without saying at its top why it is one module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 320  # "about 300"


def test_long_modules_say_why_they_are_one():
    files = sorted([*(ROOT / "psw").rglob("*.py"), *(ROOT / "orchestration").rglob("*.py")])
    assert len(files) > 50
    long = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in files}
    long = {p: n for p, n in long.items() if n > LIMIT}
    unexplained = [
        f"{p.relative_to(ROOT)} ({n} lines)"
        for p, n in long.items()
        if "One module" not in (ast.get_docstring(ast.parse(p.read_text())) or "")
    ]
    assert not unexplained, "long modules without a reason at the top: " + ", ".join(unexplained)
