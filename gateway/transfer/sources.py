"""What `labelgate import` reads: a folder of files, a CSV or JSONL manifest, or a COCO json file,
each turned into the same list of `Item`s (one asset each)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.transfer.client import TransferError

MANIFEST_FIELDS = ("external_id", "path", "url", "metadata", "sets", "session_id", "timestamp", "sensor")


@dataclass
class Item:
    """One asset to import: a local file to upload (`path`) or content appended as is (`url`)."""

    external_id: str
    path: Path | None = None
    url: str | None = None
    metadata: dict[str, Any] | None = None
    sets: list[str] | None = None
    session_id: str | None = None
    timestamp: str | None = None
    sensor: str | None = None
    # COCO only: the image's annotations (COCO dicts) and size, turned into a label by the importer.
    annotations: list[dict[str, Any]] = field(default_factory=list)
    width: float | None = None
    height: float | None = None


@dataclass
class Source:
    kind: str  # folder | csv | jsonl | coco
    items: list[Item]
    categories: list[dict[str, Any]] = field(default_factory=list)  # COCO only


def read_source(source: Path, images: Path | None = None) -> Source:
    """The items of a folder, `*.csv`, `*.jsonl`/`*.ndjson` manifest or COCO `*.json` file."""
    if source.is_dir():
        return Source("folder", _folder(source))
    if not source.is_file():
        raise TransferError(f"{source}: no such file or folder")
    suffix = source.suffix.lower()
    if suffix == ".csv":
        return Source("csv", _csv(source))
    if suffix in (".jsonl", ".ndjson"):
        return Source("jsonl", _jsonl(source))
    if suffix == ".json":
        return _coco(source, images or source.parent)
    raise TransferError(f"{source}: expected a folder, a .csv or .jsonl manifest, or a COCO .json file")


def _folder(root: Path) -> list[Item]:
    """Every file under `root` (hidden ones left out), external id = its path relative to `root`."""
    items = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            items.append(Item(external_id=relative.as_posix(), path=path))
    return items


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _manifest_item(row: dict[str, Any], where: str, base: Path) -> Item:
    """An item from one manifest row: `external_id`, `path` or `url`, `metadata` (JSON object),
    `sets` (ids), `session_id`, `timestamp`, `sensor`. Relative paths are relative to the manifest."""
    unknown = sorted(k for k, v in row.items() if k not in MANIFEST_FIELDS and v not in (None, ""))
    if unknown:
        raise TransferError(f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(MANIFEST_FIELDS)})")
    path, url = row.get("path") or None, row.get("url") or None
    if (path is None) == (url is None):
        raise TransferError(f"{where}: give exactly one of `path` and `url`")
    if url is not None and not _is_url(url):
        raise TransferError(f"{where}: url {url!r} is not an http(s) URL")
    metadata = row.get("metadata")
    if isinstance(metadata, str):
        if metadata.strip() == "":
            metadata = None
        else:
            try:
                metadata = json.loads(metadata)
            except json.JSONDecodeError as exc:
                raise TransferError(f"{where}: metadata is not JSON ({exc})") from None
    if metadata is not None and not isinstance(metadata, dict):
        raise TransferError(f"{where}: metadata must be a JSON object")
    sets = row.get("sets")
    if isinstance(sets, str):
        sets = [s.strip() for s in sets.split(";") if s.strip()] or None
    if sets is not None and not (isinstance(sets, list) and all(isinstance(s, str) for s in sets)):
        raise TransferError(f"{where}: sets must be a list of set ids")
    for name in ("external_id", "session_id", "timestamp", "sensor"):
        if row.get(name) is not None and not isinstance(row[name], str):
            raise TransferError(f"{where}: {name} must be a string")
    local = (base / path).resolve() if path is not None else None
    return Item(
        external_id=row.get("external_id") or path or url,
        path=local,
        url=url,
        metadata=metadata,
        sets=sets,
        session_id=row.get("session_id") or None,
        timestamp=row.get("timestamp") or None,
        sensor=row.get("sensor") or None,
    )


def _csv(manifest: Path) -> list[Item]:
    with manifest.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        if not reader.fieldnames or not ({"path", "url"} & set(reader.fieldnames)):
            raise TransferError(f"{manifest}: a CSV manifest needs a header with a `path` or `url` column")
        return [_manifest_item(row, f"{manifest}:{reader.line_num}", manifest.parent) for row in reader]


def _jsonl(manifest: Path) -> list[Item]:
    items = []
    with manifest.open(encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TransferError(f"{manifest}:{number}: not JSON ({exc})") from None
            if not isinstance(row, dict):
                raise TransferError(f"{manifest}:{number}: each line must be a JSON object")
            items.append(_manifest_item(row, f"{manifest}:{number}", manifest.parent))
    return items


def _coco(path: Path, images: Path) -> Source:
    """COCO: each image an item (external id = `file_name`, the file under `images`, or its
    `coco_url` when the file is not there), with its annotations."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TransferError(f"{path}: not JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("images"), list):
        raise TransferError(f"{path}: not a COCO file (no `images` list)")
    categories = document.get("categories") or []
    known = {c.get("id") for c in categories}
    by_image: dict[Any, list[dict[str, Any]]] = {}
    for number, annotation in enumerate(document.get("annotations") or []):
        if annotation.get("category_id") not in known:
            category = annotation.get("category_id")
            raise TransferError(f"{path}: annotations[{number}] has unknown category_id {category!r}")
        by_image.setdefault(annotation.get("image_id"), []).append(annotation)
    items = []
    for number, image in enumerate(document["images"]):
        name = image.get("file_name")
        if not isinstance(name, str) or not name:
            raise TransferError(f"{path}: images[{number}] has no file_name")
        item = Item(external_id=name, width=image.get("width"), height=image.get("height"))
        item.annotations = by_image.get(image.get("id"), [])
        local = images / name
        if _is_url(name):
            item.url = name
        elif local.is_file() or not image.get("coco_url"):
            item.path = local
        else:
            item.url = image["coco_url"]
        items.append(item)
    return Source("coco", items, categories)
