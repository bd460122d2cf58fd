"""Completes a planned answer with what only Python can make: signed URLs and their expiry.

The statement leaves `{"<marker>" : "<storage key>"}` where such a value goes (`catalog.Signed`).
The pattern below cannot match inside a JSON string of the answer: there every `"` is escaped, and
a marker starts with an unescaped one; so only the objects the statement built are replaced.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from resolvers.planner.catalog import EXPIRY_MARKER, URL_MARKER
from resolvers.signed_urls import asset_url, url_expires_at
from schema.timefmt import iso

if TYPE_CHECKING:
    from resolvers.signed_urls import SigningContext

_MARKED = re.compile(r'\{"(' + URL_MARKER + "|" + EXPIRY_MARKER + r')"\s*:\s*("(?:[^"\\]|\\.)*")\}')


def complete_signed_values(ctx: SigningContext, text: str) -> str:
    """`text` with every marker replaced by its value, signed as `Asset.url`/`urlExpiresAt` sign
    (the request's one signing instant, the server's default lifetime)."""

    def value(match: re.Match[str]) -> str:
        storage_key = json.loads(match.group(2))
        if match.group(1) == URL_MARKER:
            return json.dumps(asset_url(ctx, storage_key, "", None))
        return json.dumps(iso(url_expires_at(ctx, storage_key, None)))

    return _MARKED.sub(value, text)
