"""The lake: landed Parquet and the submissions ledger, on local disk or S3, its layout,
its claims (one pass per upload) and the ledger's validation on read."""
