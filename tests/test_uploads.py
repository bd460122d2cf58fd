"""Uploads: signed PUT URLs, then assets whose content is the uploaded object."""

from __future__ import annotations

import io
import urllib.error
import urllib.request

from gateway.db.ids import new_id
from gateway.settings import Settings
from resolvers.content import storage_key_of
from tests.images import png_bytes

SIGN = "query($filePaths: [String!]) { urls: createUploadBucketSignedUrls(filePaths: $filePaths) }"
APPEND = """mutation($data: AppendManyAssetsData!, $where: ProjectWhere!) {
  data: appendManyAssets(data: $data, where: $where) { id } }"""
ASSET = """query($id: ID!) {
  assets(where: {id: $id}, first: 1, skip: 0) { id url content mimeType sizeBytes resolution { width height } } }"""
COUNT = "query($id: ID!) { countAssets(where: {project: {id: $id}}) }"


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> bytes:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


async def _manager(seeder, **project_fields):
    org = await seeder.organization()
    user, key = await seeder.user(org)
    project = await seeder.project(org, members={user.id: "TEAM_MANAGER"}, **project_fields)
    return org, user, project, key


async def _asset(api, key: str, asset_id: str) -> dict:
    return (await api.data(ASSET, {"id": asset_id}, key=key))["assets"][0]


async def _count(api, key: str, project_id: str) -> int:
    return (await api.data(COUNT, {"id": project_id}, key=key))["countAssets"]


def _put_object(app, key: str, body: bytes, content_type: str = "application/octet-stream") -> None:
    storage = app.state.services.storage
    storage.internal.put_object(storage.bucket, key, io.BytesIO(body), len(body), content_type=content_type)


async def test_an_uploaded_image_comes_back_byte_for_byte(api, seeder) -> None:
    _, _, project, key = await _manager(seeder)
    asset_id = new_id()
    path = f"projects/{project.id}/assets/{asset_id}/content"
    [url] = (await api.data(SIGN, {"filePaths": [path]}, key=key))["urls"]
    image = png_bytes(37, 21)
    # As the Kili SDK does: PUT to the URL without any `&id=...`, then send the full URL plus `&id=...`.
    http("PUT", url.split("&id=")[0], image, {"Content-Type": "image/png"})
    data = {"contentArray": [f"{url}&id={asset_id}"], "idArray": [asset_id], "externalIDArray": ["pic"]}
    assert (await api.data(APPEND, {"data": data, "where": {"id": project.id}}, key=key))["data"] == [{"id": asset_id}]
    asset = await _asset(api, key, asset_id)
    assert asset["mimeType"] == "image/png" and asset["sizeBytes"] == len(image)
    assert asset["resolution"] == {"width": 37, "height": 21}
    assert asset["url"] == asset["content"] and asset["url"] != url  # a fresh signed GET
    assert http("GET", asset["url"]) == image


async def test_bare_keys_text_uploads_and_guessed_types(api, seeder, app) -> None:
    _, _, project, key = await _manager(seeder, input_type="TEXT")
    text = "Bonjour, le monde — ünïcode".encode()
    paths = [f"projects/{project.id}/assets/t/content", f"projects/{project.id}/files/notes.json"]
    urls = (await api.data(SIGN, {"filePaths": paths}, key=key))["urls"]
    assert len(urls) == 2
    http("PUT", urls[0], text, {"Content-Type": "text/plain; charset=utf-8"})
    _put_object(app, paths[1], b'{"a": 1}')  # stored without a useful type: guessed from the extension
    data = {"contentArray": [urls[0], paths[1]], "externalIDArray": ["text", "json"]}
    ids = [a["id"] for a in (await api.data(APPEND, {"data": data, "where": {"id": project.id}}, key=key))["data"]]
    first, second = [await _asset(api, key, i) for i in ids]
    assert first["mimeType"] == "text/plain; charset=utf-8" and first["sizeBytes"] == len(text)
    assert first["resolution"] is None and http("GET", first["url"]) == text
    assert second["mimeType"] == "application/json" and http("GET", second["content"]) == b'{"a": 1}'


async def test_stored_content_must_exist_and_belong_to_the_project(api, seeder, app) -> None:
    org, user, project, key = await _manager(seeder)
    other = await seeder.project(org, members={user.id: "TEAM_MANAGER"})
    _put_object(app, f"projects/{other.id}/x.png", png_bytes(2, 2), "image/png")
    _put_object(app, f"projects/{project.id}/ok.png", png_bytes(2, 2), "image/png")
    signed_other = app.state.services.storage.signed_get_url(f"projects/{other.id}/x.png")
    ok = f"projects/{project.id}/ok.png"
    bucket_url = signed_other.split("/projects/")[0]  # http://host:port/<bucket>
    cases = [
        ([ok, f"projects/{project.id}/missing.png"], "BAD_USER_INPUT", ["Item 1", "'e1'", "missing.png"]),
        ([ok, f"projects/{other.id}/x.png"], "FORBIDDEN", ["Item 1", "'e1'", other.id]),
        ([signed_other, ok], "FORBIDDEN", ["Item 0", "'e0'", other.id]),
        ([ok, f"projects/{project.id}/../{other.id}/x.png"], "FORBIDDEN", ["Item 1"]),
        ([ok, bucket_url.rsplit("/", 1)[0] + "/other-bucket/k"], "FORBIDDEN", ["Item 1", "outside its bucket"]),
    ]
    for contents, code, words in cases:
        data = {"contentArray": contents, "externalIDArray": ["e0", "e1"]}
        error = await api.error(APPEND, {"data": data, "where": {"id": project.id}}, key=key)
        assert error["extensions"]["code"] == code, (contents, error)
        assert all(w in error["message"] for w in words), (words, error["message"])
    assert await _count(api, key, project.id) == 0
    # The same URL of our bucket, for its own project, is accepted.
    data = {"contentArray": [signed_other], "externalIDArray": ["e0"]}
    assert len((await api.data(APPEND, {"data": data, "where": {"id": other.id}}, key=key))["data"]) == 1


async def test_who_may_get_upload_urls_and_for_which_paths(api, seeder) -> None:
    org, manager, project, key = await _manager(seeder)
    labeler, labeler_key = await seeder.user(org)
    other = await seeder.project(org, members={labeler.id: "LABELER"})
    assert (await api.data(SIGN, {"filePaths": None}, key=key))["urls"] == []
    assert (await api.data("{ urls: createUploadBucketSignedUrls }", key=key))["urls"] == []
    refused = [
        f"projects/{other.id}/a",  # not a member with an upload role
        f"projects/{project.id}/../{other.id}/a",
        f"projects/{project.id}/a/./b",
        f"projects/{project.id}",
        f"projects/{project.id}/",
        "elsewhere/file",
        f"/projects/{project.id}/a",
    ]
    for path in refused:
        error = await api.error(SIGN, {"filePaths": [f"projects/{project.id}/fine", path]}, key=key)
        assert error["extensions"]["code"] == "FORBIDDEN" and f"'{path}'" in error["message"], (path, error)
    error = await api.error(SIGN, {"filePaths": [f"projects/{other.id}/a"]}, key=labeler_key)
    assert error["extensions"]["code"] == "FORBIDDEN" and "LABELER" in error["message"]
    too_many = [f"projects/{project.id}/{i}" for i in range(1001)]
    assert (await api.error(SIGN, {"filePaths": too_many}, key=key))["extensions"]["code"] == "BAD_USER_INPUT"
    assert len((await api.data(SIGN, {"filePaths": too_many[:1000]}, key=key))["urls"]) == 1000


async def test_upload_urls_follow_the_licence(api, seeder) -> None:
    org = await seeder.organization()
    org.upload_local_data = False
    await seeder.add(org)
    user, key = await seeder.user(org)
    project = await seeder.project(org, members={user.id: "ADMIN"})
    licence = "{ organizations(where: {}, first: 1, skip: 0) { license { uploadLocalData } } }"
    assert (await api.data(licence, key=key))["organizations"] == [{"license": {"uploadLocalData": False}}]
    error = await api.error(SIGN, {"filePaths": [f"projects/{project.id}/a"]}, key=key)
    assert error["extensions"]["code"] == "FORBIDDEN" and "licence" in error["message"]


async def test_a_signed_upload_url_is_only_good_for_its_key(api, seeder) -> None:
    _, _, project, key = await _manager(seeder)
    [url] = (await api.data(SIGN, {"filePaths": [f"projects/{project.id}/a"]}, key=key))["urls"]
    tampered = url.replace(f"projects/{project.id}/a", f"projects/{project.id}/b")
    try:
        http("PUT", tampered, b"x")
    except urllib.error.HTTPError as exc:
        assert exc.code == 403
    else:
        raise AssertionError("a signature for one key opened another")


def test_signed_urls_of_the_public_endpoint_name_their_key() -> None:
    settings = Settings(s3_endpoint="127.0.0.1:8333", s3_public_endpoint="S3.Example.com:443", s3_bucket="lg")
    signed = "https://s3.example.com:443/lg/projects/p1/assets/a%20b/content?X-Amz-Signature=abc&id=a"
    assert storage_key_of(signed, settings) == "projects/p1/assets/a b/content"
    assert storage_key_of("http://127.0.0.1:8333/lg/projects/p1/x?sig", settings) == "projects/p1/x"
    assert storage_key_of("projects/p1/x", settings) == "projects/p1/x"
    # Other hosts (even with our bucket's path) are external URLs.
    assert storage_key_of("https://cdn.example.com/lg/projects/p1/x", settings) is None
    assert storage_key_of("https://s3.example.com/lg/projects/p1/x", settings) is None  # another port


async def test_archived_projects_take_no_uploads(api, seeder) -> None:
    org = await seeder.organization()
    user, key = await seeder.user(org)
    project = await seeder.project(org, members={user.id: "TEAM_MANAGER"}, archived=True)
    error = await api.error(SIGN, {"filePaths": [f"projects/{project.id}/a"]}, key=key)
    assert error["extensions"]["code"] == "LOCKED", error
