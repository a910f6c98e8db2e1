"""The marts domain: dbt on DuckDB builds the national marts, then the serving file."""
