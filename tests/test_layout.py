"""Rooms a newcomer can read: no module of psw/ or orchestration/ grows past about 300
lines without saying at its top why it is one module."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.source import parse

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
        if not gives_a_reason(ast.get_docstring(parse(p.read_text())) or "")
    ]
    assert not unexplained, "long modules without a reason at the top: " + ", ".join(unexplained)


def gives_a_reason(docstring: str) -> bool:
    """A paragraph of the docstring starts "One module" and goes on to say why, in at
    least ten more words (the words alone, "One module.", are no reason)."""
    for paragraph in docstring.split("\n\n"):
        if paragraph.startswith("One module"):
            return len(paragraph.split()) >= 12
    return False


def test_a_reason_is_a_paragraph_that_says_why():
    assert not gives_a_reason("Does things.\n\nOne module.")
    assert not gives_a_reason("Does things. One module, really, because of reasons unknown.")
    assert gives_a_reason(
        "Does things.\n\nOne module, over 300 lines: the steps and their order are one "
        "promise, and split they would import each other."
    )


def test_every_decision_record_is_numbered_dated_and_listed():
    """docs/decisions/NNNN-*.md: a status and a date each, numbered without gaps (a record
    folded into the code keeps its number, listed last in docs/decisions.md with where it
    lives now), each listed in docs/decisions.md; a superseded one names its successor,
    which exists."""
    import re

    records = sorted((ROOT / "docs" / "decisions").glob("*.md"))
    index = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")
    numbers = [int(p.name[:4]) for p in records]
    folded_table = index.split("## Folded into the code", 1)[1]
    folded = {
        int(n): where
        for n, where in re.findall(r"^\| (\d{4}) \| [^|]+ \| ([^|]+) \|$", folded_table, re.M)
    }
    assert folded and all(where.strip() for where in folded.values())
    assert not folded.keys() & set(numbers)
    assert sorted([*numbers, *folded]) == list(range(1, len(records) + len(folded) + 1))
    assert len(records) > 100
    for path in records:
        text = path.read_text(encoding="utf-8")
        assert text.startswith(f"# {path.name[:4]}. "), path.name
        status = re.search(r"^- Status: (.+)$", text, re.M)
        assert status and re.search(r"^- Date: \d{4}-\d{2}-\d{2}$", text, re.M), path.name
        successor = re.match(r"Superseded by (\d{4})", status.group(1))
        if successor:
            later = int(successor.group(1))
            assert later in numbers and later > int(path.name[:4]), path.name
        else:
            assert status.group(1) == "Accepted", path.name
        assert f"(decisions/{path.name})" in index, f"{path.name} is not in docs/decisions.md"


def test_a_parse_hit_by_the_cpython_recursion_count_bug_is_made_again(monkeypatch):
    """python/cpython#106905: the tree is built again in a fresh interpreter."""
    import ast as real

    def broken(source: str) -> real.Module:
        raise SystemError("AST constructor recursion depth mismatch (before=141, after=222)")

    monkeypatch.setattr(real, "parse", broken)
    tree = parse('"""Doc."""\nx = 1\n')
    assert real.get_docstring(tree) == "Doc." and isinstance(tree.body[1], real.Assign)
