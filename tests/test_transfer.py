"""`labelgate import` / `labelgate export` run as subprocesses against a live gateway (uvicorn in a
thread on the test services): folders, manifests, COCO round trips, resuming after Ctrl-C, and the
errors a user can hit."""

from __future__ import annotations

import contextlib
import csv
import fcntl
import json
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.images import png_bytes

REPO = Path(__file__).resolve().parent.parent
ASSETS = """query($where: AssetWhere!, $skip: Int!) {
  assets(where: $where, first: 100, skip: $skip) {
    id externalId jsonMetadata mimeType sensor timestamp sessionId url resolution { width height }
    labels { labelType jsonResponse } sets { id }
  } }"""


def _env(key: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABELGATE_")}
    if key is not None:
        env["LABELGATE_API_KEY"] = key
    return env


def labelgate(gateway, key: str | None, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args, "--url", gateway.url],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_env(key),
        timeout=timeout,
    )


def graphql(gateway, key: str, query: str, variables: dict) -> dict:
    body = httpx.post(
        f"{gateway.url}/graphql", json={"query": query, "variables": variables}, headers={"X-API-Key": key}
    ).json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


def assets_of(gateway, key: str, project_id: str) -> list[dict]:
    out, skip = [], 0
    while True:
        page = graphql(gateway, key, ASSETS, {"where": {"project": {"id": project_id}}, "skip": skip})["assets"]
        out += page
        if len(page) < 100:
            return out
        skip += 100


async def _manager(seeder, **project_fields):
    org = await seeder.organization()
    user, key = await seeder.user(org)
    project = await seeder.project(org, members={user.id: "TEAM_MANAGER"}, **project_fields)
    return project, key


def _images(folder: Path, count: int, size: tuple[int, int] = (8, 6)) -> dict[str, bytes]:
    """`count` distinct PNGs under `folder` (some in a subfolder), by relative path."""
    files = {}
    for n in range(count):
        relative = f"{'sub/' if n % 3 == 0 else ''}img-{n:03d}.png"
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        files[relative] = png_bytes(*size, seed=n)
        (folder / relative).write_bytes(files[relative])
    return files


async def test_folder_import_uploads_every_file_once(live_gateway, seeder, tmp_path) -> None:
    project, key = await _manager(seeder)
    files = _images(tmp_path / "pics", 7)
    (tmp_path / "pics" / ".hidden").write_text("not an asset")
    done = labelgate(live_gateway, key, "import", "--project", project.id, str(tmp_path / "pics"), "--batch", "3")
    assert done.returncode == 0, done.stderr
    assert "imported 7, skipped 0, failed 0" in done.stdout and "assets/s" in done.stdout
    assets = assets_of(live_gateway, key, project.id)
    assert sorted(a["externalId"] for a in assets) == sorted(files)
    for asset in assets:
        assert asset["mimeType"] == "image/png" and asset["resolution"] == {"width": 8, "height": 6}
        assert httpx.get(asset["url"]).content == files[asset["externalId"]]
    again = labelgate(live_gateway, key, "import", "--project", project.id, str(tmp_path / "pics"))
    assert again.returncode == 0 and "imported 0, skipped 7, failed 0" in again.stdout
    assert len(assets_of(live_gateway, key, project.id)) == 7


async def test_a_terminal_gets_a_progress_bar(live_gateway, seeder, tmp_path) -> None:
    project, key = await _manager(seeder)
    _images(tmp_path, 12)
    master, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    command = [sys.executable, "-m", "gateway.cli", "import", "--project", project.id, str(tmp_path)]
    command += ["--url", live_gateway.url, "--batch", "4"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=terminal, text=True, cwd=REPO, env=_env(key))
    os.close(terminal)
    drawn: list[bytes] = []

    def read() -> None:
        with contextlib.suppress(OSError):  # EIO once the process has exited
            while chunk := os.read(master, 65536):
                drawn.append(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    out, _ = process.communicate(timeout=60)
    reader.join(10)
    os.close(master)
    assert process.returncode == 0 and out.startswith("imported 12,")
    bar = b"".join(drawn).decode()
    assert "import: 100%|" in bar and "12/12 [" in bar and "asset/s]" in bar, bar


async def test_manifest_import_with_metadata_urls_sets_and_sensors(live_gateway, seeder, tmp_path) -> None:
    project, key = await _manager(seeder)
    asset_set = await seeder.asset_set(project)
    (tmp_path / "a.png").write_bytes(png_bytes(5, 4, seed=1))
    rows = [
        {
            "external_id": "local-a",
            "path": "a.png",
            "metadata": '{"camera": "front", "speed": 12.5}',
            "sets": asset_set.id,
            "sensor": "cam_front",
            "timestamp": "2026-01-02T03:04:05Z",
        },
        {"external_id": "remote-b", "url": "https://cdn.example.com/b.jpg", "metadata": '{"camera": "rear"}'},
    ]
    with (tmp_path / "m.csv").open("w", newline="") as file:
        writer = csv.DictWriter(
            file, fieldnames=["external_id", "path", "url", "metadata", "sets", "sensor", "timestamp"]
        )
        writer.writeheader()
        writer.writerows(rows)
    done = labelgate(live_gateway, key, "import", "--project", project.id, str(tmp_path / "m.csv"))
    assert done.returncode == 0, done.stderr
    by_id = {a["externalId"]: a for a in assets_of(live_gateway, key, project.id)}
    assert json.loads(by_id["local-a"]["jsonMetadata"]) == {"camera": "front", "speed": 12.5}
    assert by_id["local-a"]["sets"] == [{"id": asset_set.id}] and by_id["local-a"]["sensor"] == "cam_front"
    assert by_id["local-a"]["timestamp"].startswith("2026-01-02T03:04:05")
    assert by_id["remote-b"]["url"] == "https://cdn.example.com/b.jpg"
    assert json.loads(by_id["remote-b"]["jsonMetadata"]) == {"camera": "rear"}

    drive = await seeder.session(project)
    lines = [
        {"external_id": "j1", "url": "https://cdn.example.com/j1.jpg", "metadata": {"n": 1}},
        {
            "url": "https://cdn.example.com/j2.jpg",
            "session_id": drive.id,
            "timestamp": "2026-05-01T10:00:00Z",
            "sensor": "lidar",
            "sets": [asset_set.id],
        },
    ]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    done = labelgate(live_gateway, key, "import", "--project", project.id, str(tmp_path / "m.jsonl"))
    assert done.returncode == 0, done.stderr
    exported = tmp_path / "out.jsonl"
    done = labelgate(live_gateway, key, "export", "--project", project.id, "--format", "jsonl", str(exported))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("exported 4, skipped 0, failed 0,"), done.stdout
    records = {r["external_id"]: r for r in map(json.loads, exported.read_text().splitlines())}
    assert set(records) == {"local-a", "remote-b", "j1", "https://cdn.example.com/j2.jpg"}
    assert records["j1"]["metadata"] == {"n": 1}
    j2 = records["https://cdn.example.com/j2.jpg"]  # no external_id: the URL is the external id
    assert j2["session_id"] == drive.id and j2["sensor"] == "lidar" and j2["timestamp"].startswith("2026-05-01T10:00")


async def test_bad_manifest_rows_are_named(live_gateway, seeder, tmp_path) -> None:
    project, key = await _manager(seeder)
    (tmp_path / "m.jsonl").write_text('{"url": "https://x.example/1.jpg"}\n{"url": "ftp://nope", "metadata": 3}\n')
    done = labelgate(live_gateway, key, "import", "--project", project.id, str(tmp_path / "m.jsonl"))
    assert done.returncode == 1 and "m.jsonl:2: url 'ftp://nope' is not an http(s) URL" in done.stderr
    assert "Traceback" not in done.stderr


async def test_bad_key_and_unknown_project_are_clear_errors(live_gateway, seeder, tmp_path) -> None:
    project, key = await _manager(seeder)
    _images(tmp_path, 1)
    done = labelgate(live_gateway, "lg_not-a-key", "import", "--project", project.id, str(tmp_path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "labelgate: error: UNAUTHENTICATED" in done.stderr, done.stderr
    done = labelgate(live_gateway, key, "import", "--project", "no-such-project", str(tmp_path))
    assert done.returncode == 1 and "project 'no-such-project' not found" in done.stderr, done.stderr
    done = labelgate(live_gateway, key, "export", "--project", "no-such-project", str(tmp_path / "x.jsonl"))
    assert done.returncode == 1 and "project 'no-such-project' not found" in done.stderr
    done = labelgate(live_gateway, None, "export", "--project", project.id, str(tmp_path / "x.jsonl"))
    assert done.returncode == 1 and "no API key" in done.stderr


async def test_an_error_every_batch_would_get_stops_the_run_once(live_gateway, seeder, tmp_path) -> None:
    org = await seeder.organization()
    user, key = await seeder.user(org)
    project = await seeder.project(org, members={user.id: "LABELER"})
    _images(tmp_path, 20)
    done = labelgate(live_gateway, key, "import", "--project", project.id, str(tmp_path), "--batch", "2")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("FORBIDDEN: You may not upload to") == 1, done.stderr  # reported once, not per batch
    assert done.stdout.startswith("stopped by an error: imported 0, skipped 0, failed "), done.stdout
    assert int(done.stdout.split("failed ")[1].split(",")[0]) < 20  # later batches were not sent


async def test_resume_after_ctrl_c_imports_every_file_exactly_once(live_gateway, seeder, tmp_path) -> None:
    project, key = await _manager(seeder)
    files = _images(tmp_path / "pics", 300, size=(4, 4))
    command = [
        sys.executable,
        "-m",
        "gateway.cli",
        "import",
        "--project",
        project.id,
        str(tmp_path / "pics"),
        "--url",
        live_gateway.url,
        "--batch",
        "10",
        "--parallel",
        "2",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=_env(key)
    )
    count = "query($id: ID!) { countAssets(where: {project: {id: $id}}) }"
    deadline = time.monotonic() + 60
    while graphql(live_gateway, key, count, {"id": project.id})["countAssets"] < 20:
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert out.startswith("interrupted: imported "), out
    first = graphql(live_gateway, key, count, {"id": project.id})["countAssets"]
    assert 20 <= first < 300, "the run should have been interrupted part way"
    assert int(out.split("imported ")[1].split(",")[0]) == first
    done = labelgate(live_gateway, key, "import", "--project", project.id, str(tmp_path / "pics"))
    assert done.returncode == 0, done.stderr
    assert f"imported {300 - first}, skipped {first}, failed 0" in done.stdout
    ids = [a["externalId"] for a in assets_of(live_gateway, key, project.id)]
    assert sorted(ids) == sorted(files)  # every file, exactly once


def _coco(tmp_path: Path) -> dict:
    images = tmp_path / "images"
    images.mkdir()
    document = {
        "images": [
            {"id": 11, "file_name": "street.png", "width": 40, "height": 30},
            {"id": 12, "file_name": "field.png", "width": 20, "height": 50},
            {"id": 13, "file_name": "empty.png", "width": 10, "height": 10},
        ],
        "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "traffic light"}],
        "annotations": [
            {"id": 1, "image_id": 11, "category_id": 1, "bbox": [2, 3, 10, 7.5], "iscrowd": 0, "segmentation": []},
            {"id": 2, "image_id": 11, "category_id": 2, "bbox": [30, 1, 4, 12], "iscrowd": 0},
            {
                "id": 3,
                "image_id": 12,
                "category_id": 1,
                "bbox": [1, 1, 9, 9],
                "iscrowd": 0,
                "segmentation": [[1, 1, 10, 1, 5, 10]],
            },
        ],
    }
    for n, image in enumerate(document["images"]):
        (images / image["file_name"]).write_bytes(png_bytes(image["width"], image["height"], seed=n))
    (tmp_path / "coco.json").write_text(json.dumps(document))
    return document


def _boxes(document: dict) -> dict[str, list[tuple[str, list[float]]]]:
    names = {c["id"]: c["name"] for c in document["categories"]}
    files = {i["id"]: i["file_name"] for i in document["images"]}
    out: dict[str, list] = {name: [] for name in files.values()}
    for a in document["annotations"]:
        out[files[a["image_id"]]].append((names[a["category_id"]], a["bbox"]))
    return {k: sorted(v) for k, v in out.items()}


async def test_coco_import_then_export_round_trip(live_gateway, seeder, tmp_path) -> None:
    project, key = await _manager(seeder)
    document = _coco(tmp_path)
    source = str(tmp_path / "coco.json")
    refused = labelgate(
        live_gateway, key, "import", "--project", project.id, source, "--images", str(tmp_path / "images")
    )
    assert refused.returncode == 1 and "--create-interface" in refused.stderr, refused.stderr
    done = labelgate(
        live_gateway,
        key,
        "import",
        "--project",
        project.id,
        source,
        "--images",
        str(tmp_path / "images"),
        "--create-interface",
    )
    assert done.returncode == 0, done.stderr
    assert "imported 3, skipped 0, failed 0, labels 2" in done.stdout
    by_id = {a["externalId"]: a for a in assets_of(live_gateway, key, project.id)}
    street = json.loads(by_id["street.png"]["labels"][0]["jsonResponse"])["OBJECT_DETECTION_JOB"]["annotations"]
    assert {o["categories"][0]["name"] for o in street} == {"CAR", "TRAFFIC_LIGHT"}
    car = next(o for o in street if o["categories"][0]["name"] == "CAR")
    assert car["type"] == "rectangle"
    assert car["boundingPoly"][0]["normalizedVertices"][1] == {"x": 2 / 40, "y": 3 / 30}  # top-left
    assert by_id["empty.png"]["labels"] == []

    out = tmp_path / "export.json"
    done = labelgate(live_gateway, key, "export", "--project", project.id, "--format", "coco", str(out))
    assert done.returncode == 0, done.stderr
    exported = json.loads(out.read_text())
    assert {c["name"] for c in exported["categories"]} == {"car", "traffic light"}
    assert {(i["file_name"], i["width"], i["height"]) for i in exported["images"]} == {
        (i["file_name"], i["width"], i["height"]) for i in document["images"]
    }
    want, got = _boxes(document), _boxes(exported)
    assert want.keys() == got.keys()
    for name in want:
        assert [c for c, _ in got[name]] == [c for c, _ in want[name]]
        for (_, a), (_, b) in zip(got[name], want[name], strict=True):
            assert a == pytest.approx(b, abs=1e-6)
    polygon = next(a for a in exported["annotations"] if a["segmentation"])
    assert polygon["segmentation"][0] == pytest.approx([1, 1, 10, 1, 5, 10])

    again = labelgate(
        live_gateway, key, "import", "--project", project.id, source, "--images", str(tmp_path / "images")
    )
    assert again.returncode == 0 and "imported 0, skipped 3, failed 0" in again.stdout, again.stderr
    assert sum(len(a["labels"]) for a in assets_of(live_gateway, key, project.id)) == 2  # no label twice


async def test_a_coco_rerun_labels_images_appended_without_their_label(live_gateway, seeder, tmp_path) -> None:
    """As after a run stopped between a batch's appendManyAssets and its appendManyLabels."""
    project, key = await _manager(seeder)
    _coco(tmp_path)
    source = str(tmp_path / "coco.json")
    images = ("--images", str(tmp_path / "images"))
    done = labelgate(live_gateway, key, "import", "--project", project.id, source, *images, "--create-interface")
    assert done.returncode == 0, done.stderr
    # one line: no log line per request, no progress bar (stderr is not a terminal)
    assert done.stderr.splitlines() == [
        f"jsonInterface of project {project.id}: OBJECT_DETECTION categories car, traffic light added"
    ]
    delete = "mutation($where: LabelWhere!) { deleteLabelsWhere(where: $where) { succeeded { labelId } } }"
    where = {"asset": {"project": {"id": project.id}, "externalIdStrictlyIn": ["street.png"]}}
    assert len(graphql(live_gateway, key, delete, {"where": where})["deleteLabelsWhere"]["succeeded"]) == 1
    again = labelgate(live_gateway, key, "import", "--project", project.id, source, *images)
    assert again.returncode == 0, again.stderr
    assert "imported 0, skipped 3, failed 0, labels 1" in again.stdout, again.stdout
    labels = {a["externalId"]: len(a["labels"]) for a in assets_of(live_gateway, key, project.id)}
    assert labels == {"street.png": 1, "field.png": 1, "empty.png": 0}
