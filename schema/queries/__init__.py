"""Root query fields, one module per domain; schema/query.py combines them."""
