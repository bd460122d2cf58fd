"""GraphiQL served by the gateway itself, so that it works with no internet (Strawberry's page loads
React and GraphiQL from unpkg, and on an air-gapped machine shows a blank "Loading...").

- `static/`: the browser assets at pinned versions, written by `scripts/refresh-graphiql` from the npm
  packages, with `static/assets.json` naming each file's package, version, bytes and sha256;
- `page.html`: the page GET /graphql answers a browser with (`page_response`), naming only those
  files, with the explorer plugin and the headers editor prefilled with `{"X-API-Key": ""}`;
- `static_files()`: the route serving those files under `STATIC_PATH`: each gzipped once (in a
  thread, then kept), cached by browsers for good (their URLs name their hash).

The page's Content-Security-Policy lets it load nothing but the gateway's own files (and talk to
nothing else), so a file that would reach outside fails here as it would offline.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
STATIC_PATH = "/graphiql/static"
_ASSET = re.compile(r"\{\{asset:([^}]+)\}\}")
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_gzipped: dict[str, bytes] = {}


@cache
def assets() -> dict[str, dict[str, Any]]:
    """static/assets.json: file name -> package, version, source, bytes, sha256."""
    return json.loads((STATIC_DIR / "assets.json").read_text())


@cache
def _template() -> str:
    return (HERE / "page.html").read_text()


@cache
def content_security_policy() -> str:
    """Only the gateway's own origin; the page's inline script by its hash (no other inline script
    runs); inline styles, which GraphiQL's components set; fonts and icons from data: URLs (the
    fonts are inlined in graphiql.min.css)."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(_template())
    )
    return (
        "default-src 'none'; "
        f"script-src 'self' {hashes}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; "
        "font-src 'self' data:; "
        "connect-src 'self'; "
        "base-uri 'none'; "
        "form-action 'none'"
    )


def asset_url(name: str, root_path: str = "") -> str:
    """The path of a file of static/, with its hash as a version (a new file gets a new URL)."""
    return f"{root_path}{STATIC_PATH}/{name}?v={assets()[name]['sha256'][:12]}"


@cache
def render(root_path: str = "") -> str:
    """The page, its assets under `root_path` (the prefix a proxy serves the gateway under)."""
    return _ASSET.sub(lambda match: asset_url(match.group(1), root_path), _template())


def page_response(request: Request) -> HTMLResponse:
    """The GraphiQL page, for a browser's GET of a GraphQL endpoint."""
    return HTMLResponse(
        render(request.scope.get("root_path", "")),
        headers={"Content-Security-Policy": content_security_policy(), "Cache-Control": "no-cache"},
    )


async def _gzip(name: str) -> bytes:
    """The file gzipped, made once (half a second of CPU for GraphiQL's 4 MB: in a thread, not the
    event loop; two first requests at once may both make it, harmlessly)."""
    if name not in _gzipped:
        data = (STATIC_DIR / name).read_bytes()
        _gzipped[name] = await anyio.to_thread.run_sync(lambda: gzip.compress(data, compresslevel=6, mtime=0))
    return _gzipped[name]


async def asset(request: Request) -> Response:
    """A file of static/ named in assets.json (nothing else), gzipped when the client takes it."""
    name = request.path_params["name"]
    pinned = assets().get(name)
    if pinned is None:
        return PlainTextResponse("Not Found", status_code=404)
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable",
        "ETag": f'"{pinned["sha256"]}"',
        "Vary": "Accept-Encoding",
    }
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    media_type = MEDIA_TYPES[Path(name).suffix]
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(await _gzip(name), media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=headers)


def static_files() -> Route:
    """The route serving static/'s assets (4.1 MB, 1.1 MB gzipped) under `STATIC_PATH`."""
    return Route(f"{STATIC_PATH}/{{name}}", asset, methods=["GET", "HEAD"], name="graphiql-static")
