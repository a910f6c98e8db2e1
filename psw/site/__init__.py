"""Pages people read in a browser, all static HTML with inline SVG charts.

- `national`: the national report, built from the serving database's `published` schema
  only (`$PSW_DATA_DIR/serving/report/`), so disclosure control holds by construction.
- `history`: each trust's data-quality history, written to its own bucket
  (`feedback/history.html` and `.json`) after each of its uploads and each publish.
- `blocks`: what both share: charts (Vega-Lite drawn to SVG offline), tables, number
  formats with the disclosure marks, and the page shell.
- `published`: the reader of the published tables both pages use.
"""
