"""Root mutation fields, one module per domain; schema/mutation.py combines them."""
