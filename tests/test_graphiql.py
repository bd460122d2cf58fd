"""GraphiQL served by the gateway itself (`gateway.graphiql`): the page names nothing outside the
gateway, every file it names is served, and a real headless browser (Debian's chromium, driven by
Playwright) runs a query through it with every request to another origin blocked and recorded."""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Route, async_playwright

from gateway.graphiql import STATIC_DIR, STATIC_PATH, assets

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = ["/graphql", "/api/label/v2/graphql"]
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
EXTERNAL = re.compile(
    r"""https?://|(?:src|href)\s*=\s*["']?\s*//|import\s*\(?\s*["']\s*//|url\(\s*["']?\s*//|@import""",
    re.IGNORECASE,
)
NAMED = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
CONTENT_TYPES = {".js": "javascript", ".css": "text/css"}


async def page_of(client: httpx.AsyncClient, path: str) -> httpx.Response:
    response = await client.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response


@pytest.mark.parametrize("path", PAGES)
async def test_the_page_names_no_external_url_and_every_file_it_names_is_served(client, path) -> None:
    response = await page_of(client, path)
    html = response.text
    assert EXTERNAL.search(html) is None, EXTERNAL.search(html)
    assert "'self'" in response.headers["content-security-policy"]
    named = [url for url in NAMED.findall(html) if not url.startswith("data:")]
    served = set()
    for url in named:
        assert url.startswith(f"{STATIC_PATH}/"), url
        asset = await client.get(url, headers={"Accept-Encoding": "gzip"})
        assert asset.status_code == 200, url
        name = url.removeprefix(f"{STATIC_PATH}/").split("?")[0]
        assert CONTENT_TYPES[Path(name).suffix] in asset.headers["content-type"], (url, asset.headers)
        assert asset.content == (STATIC_DIR / name).read_bytes()
        if name.endswith(".css"):  # a stylesheet may pull fonts or other sheets from outside
            assert re.search(r"url\(\s*[\"']?\s*(?:https?:)?//|@import", asset.text) is None, name
        served.add(name)
    assert served == set(assets()), "the page names exactly the shipped assets"


async def test_the_shipped_assets_are_the_pinned_files_and_are_sent_gzipped(client) -> None:
    for name, pinned in assets().items():
        body = (STATIC_DIR / name).read_bytes()
        assert (len(body), hashlib.sha256(body).hexdigest()) == (pinned["bytes"], pinned["sha256"]), name
        assert re.fullmatch(r"\d+\.\d+\.\d+", pinned["version"]), pinned
    url = f"{STATIC_PATH}/graphiql.min.js"
    response = await client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == (STATIC_DIR / "graphiql.min.js").read_bytes()  # httpx decompressed it
    assert response.num_bytes_downloaded < len(response.content) / 3  # 3.5 MB of JavaScript
    assert "immutable" in response.headers["cache-control"]  # its URL names its hash
    plain = await client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == response.content
    again = await client.get(url, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    for unlisted in ["assets.json", "licenses", "missing.js", "..%2Fpage.html"]:
        assert (await client.get(f"{STATIC_PATH}/{unlisted}")).status_code == 404, unlisted


async def test_graphiql_runs_a_query_in_a_headless_browser_offline(live_gateway, seeder, tmp_path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/setup test does, as root)")
    user, key = await seeder.user(await seeder.organization())
    origin = live_gateway.url
    outside: list[str] = []
    problems: list[str] = []

    async def only_the_gateway(route: Route) -> None:
        if route.request.url.startswith(f"{origin}/"):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 900})
            await context.route("**/*", only_the_gateway)
            page = await context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))

            started = time.perf_counter()
            await page.goto(f"{origin}/graphql")
            query_editor = page.locator(".graphiql-query-editor .CodeMirror")
            await query_editor.wait_for()
            first_render = time.perf_counter() - started

            # the explorer plugin lists the schema's root fields, introspected with no key yet
            await page.get_by_role("button", name=re.compile(r"^Show (GraphiQL )?Explorer$")).click()
            explorer = page.locator(".graphiql-explorer-root")
            await explorer.get_by_text("viewer", exact=True).wait_for()
            await explorer.get_by_text("countProjects", exact=True).wait_for()

            headers_editor = page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")
            assert await headers_editor.evaluate("e => e.CodeMirror.getValue()") == '{"X-API-Key": ""}'
            await headers_editor.click()
            await page.keyboard.press("Control+A")
            await page.keyboard.insert_text(json.dumps({"X-API-Key": key}))  # as a paste
            await query_editor.click()
            await page.keyboard.press("Control+A")
            await page.keyboard.insert_text("{ viewer { email } }")
            await page.locator(".graphiql-execute-button").click()
            result = page.locator(".graphiql-response .CodeMirror")
            await page.wait_for_function(
                "email => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"
                ".includes(email)",
                arg=user.email,
                timeout=15_000,
            )
            answer = json.loads(await result.evaluate("e => e.CodeMirror.getValue()"))
            assert answer == {"data": {"viewer": {"email": user.email}}}

            screenshot = tmp_path / "graphiql.png"
            await page.screenshot(path=str(screenshot))
            loaded = await page.evaluate(
                "() => performance.getEntriesByType('resource')"
                ".map(e => ({name: e.name, wire: e.transferSize, bytes: e.decodedBodySize}))"
            )
        finally:
            await browser.close()

    assert outside == [], f"requests outside the gateway: {outside}"
    assert problems == [], problems  # a Content-Security-Policy refusal would show here
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    files = [entry for entry in loaded if STATIC_PATH in entry["name"]]
    page_bytes = sum(entry["bytes"] for entry in files)
    assert page_bytes == sum(pinned["bytes"] for pinned in assets().values())
    wire_bytes = sum(entry["wire"] for entry in files)
    print(
        f"\nGraphiQL screenshot: {screenshot}\nfirst render {first_render * 1000:.0f} ms; "
        f"{len(files)} assets, {page_bytes} bytes ({wire_bytes} on the wire, gzipped)"
    )
