"""The data dictionary (`data-dictionary.html`): every published table and column with
its meaning, read from the serving file itself. The meanings are the dbt docs (each
model's yml), which dbt writes into the database as comments when it builds, so the page
names exactly the columns an analyst can query, never a column dropped or not yet built.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from psw.core.pages import code_spans
from psw.site import blocks as b
from psw.site.blocks import Links
from psw.site.downloads import FOLDER, WORKBOOK, published_tables
from psw.site.published import Published

PAGE = "data-dictionary.html"
DBT_DOCS = "dbt-docs/index.html"  # psw.warehouse.dbt_docs, copied by the report
NOTE = (
    "Each table is in schema <code>published</code> of the serving database and is also a "
    "CSV download; every count in it has been through disclosure control."
)


def dictionary(data: Published) -> dict[str, tuple[str, list[tuple[str, str, str]]]]:
    """table -> (its meaning, [(column, type, meaning)]) in the serving file's order."""
    described = dict(
        data.rows(
            "select table_name, comment from duckdb_tables() where schema_name = 'published' "
            "union all select view_name, comment from duckdb_views() "
            "where schema_name = 'published' and not internal"
        )
    )
    columns: dict[str, list[tuple[str, str, str]]] = {}
    for table, column, kind, comment in data.rows(
        "select table_name, column_name, data_type, comment from duckdb_columns() "
        "where schema_name = 'published' order by table_name, column_index"
    ):
        columns.setdefault(table, []).append((column, kind, comment or ""))
    return {
        table: (described.get(table) or "", columns.get(table, []))
        for table in published_tables(data.db)
    }


def dictionary_page(
    data: Published, links: Links, stamp: str, footer: Links = (), dbt_docs: bool = False
) -> str:
    tables = dictionary(data)
    sections = [b.section("Tables", b.link_list([(f"#{table}", table) for table in tables]))]
    if dbt_docs:
        sections.append(
            b.section(
                "How each table is made",
                f"<p>The <a href='{DBT_DOCS}'>dbt documentation of the platform</a> "
                "describes every model the published tables are built from, with its code, "
                "its tests and its lineage, from the returns to these tables.</p>",
            )
        )
    for table, (meaning, columns) in tables.items():
        header = ["column", "type", "meaning"]
        caption = f"Columns of published.{table}"
        # The dbt docs mark codes and names as `code`: shown as code, the rest escaped.
        rows = [(escape(c), escape(kind), code_spans(words)) for c, kind, words in columns]
        sections.append(
            b.section(
                table,
                str(Markup("<p>{}</p>").format(code_spans(meaning))),
                b.table(header, rows, caption, raw=True, download=table, words=True),
                anchor=table,
            )
        )
    stamp += Markup(f" Every table in one workbook: <a href='{FOLDER}/{WORKBOOK}'>XLSX</a>.")
    return b.report_page("Data dictionary", stamp, NOTE, sections, links, footer)
