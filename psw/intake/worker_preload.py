"""Imported once by the server that intake workers are forked from (psw/intake/workers.py): the
heavy libraries a worker uses, so that each worker starts without importing them again.

Only libraries: psw's own modules are imported by each worker after it has taken the
coordinator's environment, as a spawned worker did.
"""

import sys

# Before Great Expectations, which imports pyspark where it is installed (the Spark
# extra): pyspark exits a process whose main module has no file, taking it for a doctest
# run, and this server and the workers forked from it have none. Workers validate pandas
# frames and never use Spark (dbt does, in its own process). Every worker inherits this.
if "pyspark" not in sys.modules:
    sys.modules["pyspark"] = None  # type: ignore[assignment]

import great_expectations  # noqa: E402, F401
import pandas  # noqa: E402, F401
import pandera.pandas  # noqa: E402, F401
import pyarrow.parquet  # noqa: E402, F401
