"""Exports: an account's payments (or its money movements) of a period, written to a file in S3 by a
worker and fetched through a pre-signed URL. `models` is the API's objects, `store` their table, `rows`
the columns of each type, `service` the use cases (create, read, run)."""
