"""`labelgate export`: a project's assets and labels, paged through the public GraphQL API, as JSONL
(one asset a line, every label) or COCO (images and the boxes/polygons of each asset's current label:
its latest DEFAULT or REVIEW label)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.transfer import coco
from gateway.transfer.client import GraphQLClient, TransferError
from gateway.transfer.importer import fetch_project
from gateway.transfer.progress import Summary, interruptible, progress_bar, say

COUNT = "query($where: AssetWhere!) { count: countAssets(where: $where) }"
PAGE = """query($where: AssetWhere!, $after: String) {
  page: assetsConnection(where: $where, first: 100, after: $after) {
    nodes {
      id externalId content jsonMetadata mimeType status sensor timestamp sessionId
      resolution { width height }
      labels { id labelType jsonResponse modelName createdAt author { email } }
    }
    pageInfo { endCursor hasNextPage }
  }
}"""
CURRENT_TYPES = ("DEFAULT", "REVIEW")


@dataclass
class ExportOptions:
    url: str
    key: str
    project_id: str
    format: str  # jsonl | coco
    out: Path


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def jsonl_record(asset: dict[str, Any]) -> dict[str, Any]:
    """One line of the JSONL export (JSON strings decoded)."""
    resolution = asset.get("resolution") or {}
    return {
        "id": asset["id"],
        "external_id": asset["externalId"],
        "content": asset["content"],
        "metadata": _json(asset["jsonMetadata"]),
        "mime_type": asset["mimeType"],
        "width": resolution.get("width"),
        "height": resolution.get("height"),
        "status": asset["status"],
        "sensor": asset["sensor"],
        "timestamp": asset["timestamp"],
        "session_id": asset["sessionId"],
        "labels": [
            {
                "id": label["id"],
                "label_type": label["labelType"],
                "json_response": _json(label["jsonResponse"]),
                "model_name": label["modelName"],
                "created_at": label["createdAt"],
                "author": (label.get("author") or {}).get("email"),
            }
            for label in asset["labels"]
        ],
    }


class CocoWriter:
    """Collects images and annotations; categories come from the project's detection job."""

    def __init__(self, project: dict[str, Any]) -> None:
        raw = project.get("jsonInterface")
        found = coco.detection_job(json.loads(raw) if raw else None)
        if found is None:
            raise TransferError(f"project {project['id']!r} has no OBJECT_DETECTION job in its jsonInterface")
        self.job, job = found
        names = coco.job_categories(job)
        self.ids = {key: number for number, key in enumerate(names, 1)}
        self.categories = [{"id": self.ids[key], "name": name, "supercategory": ""} for key, name in names.items()]
        self.images: list[dict[str, Any]] = []
        self.annotations: list[dict[str, Any]] = []
        self.unsized = 0

    def add(self, asset: dict[str, Any]) -> None:
        image_id = len(self.images) + 1
        image: dict[str, Any] = {"id": image_id, "file_name": asset["externalId"], "labelgate_id": asset["id"]}
        resolution = asset.get("resolution") or {}
        width, height = resolution.get("width"), resolution.get("height")
        if width and height:
            image["width"], image["height"] = int(width), int(height)
        self.images.append(image)
        current = [label for label in asset["labels"] if label["labelType"] in CURRENT_TYPES]
        if not current:
            return
        latest = max(current, key=lambda label: label["createdAt"])
        if not (width and height):
            self.unsized += 1
            return
        for annotation in coco.from_json_response(latest["jsonResponse"], self.job, width, height, self.ids):
            annotation.update(id=len(self.annotations) + 1, image_id=image_id)
            self.annotations.append(annotation)

    def document(self) -> dict[str, Any]:
        return {"images": self.images, "annotations": self.annotations, "categories": self.categories}


async def run_export(options: ExportOptions) -> Summary:
    """Write the project's assets to `options.out` (replaced only once the export is complete)."""
    if options.format not in ("jsonl", "coco"):
        raise TransferError(f"unknown format {options.format!r}: jsonl or coco")
    summary = Summary()
    partial = options.out.with_name(options.out.name + ".partial")
    try:
        with interruptible(summary):
            await _write(options, summary, partial)
    finally:
        partial.unlink(missing_ok=True)
    return summary


async def _write(options: ExportOptions, summary: Summary, partial: Path) -> None:
    """Pages through the assets into `partial`, then puts it in place of `options.out`."""
    async with GraphQLClient(options.url, options.key) as client:
        project = await fetch_project(client, options.project_id)
        writer = CocoWriter(project) if options.format == "coco" else None
        where = {"project": {"id": options.project_id}}
        total = (await client.execute(COUNT, {"where": where}))["count"]
        with partial.open("w", encoding="utf-8") as out, progress_bar(total, description="export") as bar:
            after = None
            while True:
                page = (await client.execute(PAGE, {"where": where, "after": after}))["page"]
                for asset in page["nodes"]:
                    if writer is None:
                        out.write(json.dumps(jsonl_record(asset), ensure_ascii=False) + "\n")
                    else:
                        writer.add(asset)
                summary.done += len(page["nodes"])
                summary.labels += sum(len(a["labels"]) for a in page["nodes"])
                bar.update(len(page["nodes"]))
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            if writer is not None:
                json.dump(writer.document(), out, ensure_ascii=False)
        os.replace(partial, options.out)
        if writer is not None and writer.unsized:
            say(f"{writer.unsized} labeled images have no known size: their annotations are left out")
