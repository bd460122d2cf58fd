"""`labelgate import` and `labelgate export`: moving data in and out through the PUBLIC GraphQL API.

Nothing here touches the database or the bucket directly: a small GraphQL client (`client`), the
readers of what can be imported (`sources`: a folder, a CSV or JSONL manifest, a COCO file), the
COCO ↔ Kili jsonResponse conversion (`coco`), the import (`importer`: signed uploads, batched
`appendManyAssets`, resumable) and the export (`exporter`: paged reads to JSONL or COCO). The CLI
(gateway/cli.py) only parses arguments and calls `run_import` / `run_export`.
"""
