"""Limits on what one GraphQL request may cost, checked before it runs.

- `document.py`: the document's size in bytes and tokens (before and while parsing), its depth,
  aliases and directives, and whether it asks only introspection (all a request without a valid API
  key may ask);
- `cost.py`: the cost estimate, list sizes multiplied down the tree, and `LIST_BOUNDS`, the size of
  every list that takes no `first`;
- `extension.py`: `QueryLimits`, the schema extension that applies them (registered in
  `schema/build.py`), with the settings `LABELGATE_MAX_*` of `gateway/settings.py`.

Every refusal is `QUERY_TOO_COMPLEX` (`gateway.errors.QueryTooComplex`) with `extensions.limit`,
`extensions.value` and `extensions.maximum`; the README's "Limits" section lists them.
"""

from gateway.limits.extension import QueryLimits

__all__ = ["QueryLimits"]
