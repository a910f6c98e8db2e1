"""The warehouse: dbt's environment and the one-writer rule, the engines (DuckDB,
PostgreSQL, Spark), publishing the serving file and the revisions of published figures."""
