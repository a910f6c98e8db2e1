"""Python source as a syntax tree, for the tests that read the code itself.

CPython 3.11 before 3.11.8 can leave its syntax-tree builder's recursion count off after
a failed build (python/cpython#106905); every later `ast.parse` in that process then fails
with "SystemError: AST constructor recursion depth mismatch". It happened once in a
`make test` worker that had run many other tests. A parse that fails so is made again in
a fresh interpreter, which has no such count.
"""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys

PARSE = (
    "import ast, pickle, sys; sys.stdout.buffer.write(pickle.dumps(ast.parse(sys.stdin.read())))"
)


def parse(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SystemError as error:
        if "recursion depth mismatch" not in str(error):
            raise
    done = subprocess.run(
        [sys.executable, "-c", PARSE], input=source.encode(), capture_output=True, check=True
    )
    return pickle.loads(done.stdout)
