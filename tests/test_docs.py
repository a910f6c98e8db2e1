"""Docs a newcomer reads in ten minutes, and that stay true: a short README, nothing
citing a file outside the repository, every link landing, the dbt project's README
naming what the project holds."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README_LINES = 150
# The contract the project was given lives outside the repository; the project's own
# statement of it is docs/interfaces.md, docs/measures.md and docs/spec/ (generated).
OUTSIDE = re.compile(r"RETURN_SPEC\.md|INTERFACES\.md|\.\./shared\b")
LINK = re.compile(r"\[[^\]]*\]\(([^)#\s]+)(?:#[^)]*)?\)")


def tracked(*suffixes: str) -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / n for n in names if n.endswith(suffixes) and (ROOT / n).is_file()]


def test_the_readme_is_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_LINES, f"README.md has {len(lines)} lines"


def test_nothing_cites_a_file_outside_the_repository():
    text_files = tracked(".md", ".py", ".sql", ".yml", ".yaml", ".toml", ".txt", "Dockerfile")
    assert len(text_files) > 200
    citing = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in text_files
        if path.name != "CHANGELOG.md"  # history: what was said when
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert citing == []


def test_every_link_in_the_docs_lands_inside_the_repository():
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *tracked(".md")]
    broken = []
    for page in sorted(set(pages)):
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
                continue
            resolved = (page.parent / target).resolve()
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_the_link_check_finds_a_broken_link(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("[gone](nowhere.md) and [out](../../etc/passwd) [web](https://x.org)")
    found = LINK.findall(page.read_text())
    assert found == ["nowhere.md", "../../etc/passwd", "https://x.org"]


def test_the_dbt_readme_names_every_macro_and_mart():
    readme = (ROOT / "dbt_project" / "README.md").read_text(encoding="utf-8")
    macros = [p.name for p in (ROOT / "dbt_project" / "macros").glob("*.sql")]
    marts = [p.stem for p in (ROOT / "dbt_project" / "models" / "marts").glob("*.sql")]
    missing = [name for name in [*macros, *marts] if f"`{name}`" not in readme]
    assert missing == [], "dbt_project/README.md does not name these"
