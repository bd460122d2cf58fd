"""COCO ↔ Kili: boxes and simple polygons as the OBJECT_DETECTION jsonResponse Kili writes, and the
jsonInterface job that declares their categories.

A label's jsonResponse is `{JOB: {"annotations": [{"mid", "type": "rectangle" | "polygon",
"categories": [{"name": KEY}], "boundingPoly": [{"normalizedVertices": [{"x", "y"}, ...]}]}]}}`, with
coordinates divided by the image's width and height (0..1, y downwards). A rectangle's four vertices
run bottom-left, top-left, top-right, bottom-right, as Kili's own tools write them.
"""

from __future__ import annotations

import json
import re
from typing import Any

DEFAULT_JOB = "OBJECT_DETECTION_JOB"


def category_key(name: str) -> str:
    """Kili category keys are upper-case identifiers: "traffic light" → "TRAFFIC_LIGHT"."""
    return re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_") or "CATEGORY"


def detection_job(interface: dict[str, Any] | None) -> tuple[str, dict[str, Any]] | None:
    """The first OBJECT_DETECTION job of a jsonInterface: (name, job), or None."""
    for name, job in ((interface or {}).get("jobs") or {}).items():
        if isinstance(job, dict) and job.get("mlTask") == "OBJECT_DETECTION":
            return name, job
    return None


def job_categories(job: dict[str, Any]) -> dict[str, str]:
    """Category key → display name, in the job's order."""
    categories = (job.get("content") or {}).get("categories") or {}
    return {key: str((value or {}).get("name") or key) for key, value in categories.items()}


def new_job(coco_categories: list[dict[str, Any]]) -> dict[str, Any]:
    """An OBJECT_DETECTION job with one category per COCO category (key from its name)."""
    categories: dict[str, dict[str, Any]] = {}
    for category in coco_categories:
        name = str(category.get("name"))
        key, n = category_key(name), 2
        while key in categories:  # two names with the same key ("a b" and "a-b")
            key, n = f"{category_key(name)}_{n}", n + 1
        categories[key] = {"name": name, "children": []}
    return {
        "mlTask": "OBJECT_DETECTION",
        "tools": ["rectangle", "polygon"],
        "instruction": "Objects",
        "required": 0,
        "isChild": False,
        "content": {"categories": categories, "input": "radio"},
    }


def match_categories(coco_categories: list[dict[str, Any]], job: dict[str, Any]) -> tuple[dict[Any, str], list[str]]:
    """COCO category id → job category key (matching the key, or the display name, case-insensitively),
    and the COCO names the job lacks."""
    by_name: dict[str, str] = {}
    for key, name in job_categories(job).items():
        by_name.setdefault(name.casefold(), key)
        by_name.setdefault(key.casefold(), key)
    mapping, missing = {}, []
    for category in coco_categories:
        name = str(category.get("name"))
        key = by_name.get(name.casefold()) or by_name.get(category_key(name).casefold())
        if key is None:
            missing.append(name)
        else:
            mapping[category.get("id")] = key
    return mapping, missing


def _polygon(annotation: dict[str, Any]) -> list[float] | None:
    """The one polygon of a non-crowd segmentation, or None (no segmentation, RLE, several parts)."""
    segmentation = annotation.get("segmentation")
    if annotation.get("iscrowd") or not isinstance(segmentation, list) or len(segmentation) != 1:
        return None
    points = segmentation[0]
    if not isinstance(points, list) or len(points) < 6 or len(points) % 2:
        return None
    return [float(v) for v in points]


def to_json_response(
    annotations: list[dict[str, Any]], width: float, height: float, keys: dict[Any, str], job: str
) -> dict[str, Any]:
    """The jsonResponse of an image's COCO annotations (bbox `[x, y, w, h]` in pixels)."""
    objects = []
    for number, annotation in enumerate(annotations):
        polygon = _polygon(annotation)
        if polygon is not None:
            kind = "polygon"
            vertices = [{"x": polygon[i] / width, "y": polygon[i + 1] / height} for i in range(0, len(polygon), 2)]
        else:
            kind = "rectangle"
            x, y, w, h = (float(v) for v in annotation["bbox"])
            left, top, right, bottom = x / width, y / height, (x + w) / width, (y + h) / height
            vertices = [
                {"x": left, "y": bottom},
                {"x": left, "y": top},
                {"x": right, "y": top},
                {"x": right, "y": bottom},
            ]
        objects.append(
            {
                "mid": f"coco-{annotation.get('id', number)}",
                "type": kind,
                "categories": [{"name": keys[annotation["category_id"]]}],
                "boundingPoly": [{"normalizedVertices": vertices}],
            }
        )
    return {job: {"annotations": objects}}


def from_json_response(
    response: dict[str, Any] | str, job: str, width: float, height: float, ids: dict[str, int]
) -> list[dict[str, Any]]:
    """COCO annotations (without `id` and `image_id`) of a jsonResponse's objects in `job`: a rectangle
    gives a bbox and an empty segmentation, a polygon its segmentation and its bounding box."""
    if isinstance(response, str):
        response = json.loads(response)
    out = []
    for obj in ((response or {}).get(job) or {}).get("annotations") or []:
        names = [c.get("name") for c in obj.get("categories") or []]
        polys = obj.get("boundingPoly") or []
        if not names or names[0] not in ids or not polys:
            continue
        points = [(float(v["x"]) * width, float(v["y"]) * height) for v in polys[0].get("normalizedVertices") or []]
        if len(points) < 3:
            continue
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        if obj.get("type") == "polygon":
            segmentation = [[c for p in points for c in p]]
            edges = zip(points, points[1:] + points[:1], strict=True)
            area = abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in edges)) / 2
        else:
            segmentation, area = [], bbox[2] * bbox[3]
        out.append(
            {"category_id": ids[names[0]], "bbox": bbox, "area": area, "segmentation": segmentation, "iscrowd": 0}
        )
    return out
