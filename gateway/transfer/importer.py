"""`labelgate import`: files and manifests into a project, through the public GraphQL API only.

Per batch of `--batch` items: one `createUploadBucketSignedUrls` for its local files, their PUTs
(from `--parallel` threads, over all batches), one `appendManyAssets` (content = the uploaded
object's key, or the item's URL), and for COCO one `appendManyLabels`. A few batches are in flight
at once, so one batch's append overlaps the next one's uploads.

Resumable: the external ids already in the project are looked up first (`filterExistingAssets`)
and skipped, so a run stopped by Ctrl-C (or a crash) and started again imports the rest, each item
once. An object key is derived from the external id, so a re-run overwrites what an interrupted run
uploaded without appending, instead of leaving a second copy. Ctrl-C lets the batches in flight
finish (a second Ctrl-C abandons them), prints the summary and exits 130.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.transfer import coco
from gateway.transfer.client import ApiError, GraphQLClient, TransferError, Uploader
from gateway.transfer.progress import Summary, interruptible, progress_bar, say
from gateway.transfer.sources import Item, Source, read_source

PROJECT = """query($id: ID!) {
  projects(where: {id: $id}, first: 1, skip: 0) { id title inputType jsonInterface } }"""
EXISTING = """query($projectID: ID!, $externalIDs: [String!]!) {
  existing: filterExistingAssets(projectID: $projectID, externalIDs: $externalIDs) }"""
SIGN = "query($filePaths: [String!]) { urls: createUploadBucketSignedUrls(filePaths: $filePaths) }"
APPEND = """mutation($data: AppendManyAssetsData!, $where: ProjectWhere!) {
  assets: appendManyAssets(data: $data, where: $where) { id externalId } }"""
APPEND_LABELS = """mutation($data: AppendManyLabelsData!, $where: AssetWhere!) {
  labels: appendManyLabels(data: $data, where: $where) { id } }"""
ASSETS_LABELED = """query($where: AssetWhere!) {
  assets(where: $where, first: 100, skip: 0) { id externalId labels { id } } }"""
UPDATE_INTERFACE = """mutation($id: ID!, $data: UpdateProjectData!) {
  updateProject(id: $id, data: $data) { id } }"""

# Errors that every later batch would get too (the key, the role, an archived project): the run stops.
FATAL_CODES = {"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "LOCKED"}
MAX_BATCH = 1000  # createUploadBucketSignedUrls signs at most 1000 paths a call
EXISTING_CHUNK = 1000  # well under LABELGATE_MAX_LIST_LENGTH


@dataclass
class ImportOptions:
    url: str
    key: str
    project_id: str
    source: Path
    batch: int = 100
    parallel: int = 8
    images: Path | None = None  # COCO: folder of the image files (default: the COCO file's)
    create_interface: bool = False


@dataclass
class LabelPlan:
    """COCO: the detection job labels are written to and COCO category id → its category key."""

    job: str
    keys: dict[Any, str]


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def object_key(project_id: str, item: Item) -> str:
    """Where an item's file is uploaded: fixed by its external id, so a re-run overwrites it."""
    digest = hashlib.sha256(item.external_id.encode()).hexdigest()[:32]
    suffix = item.path.suffix.lower() if item.path is not None else ""
    return f"projects/{project_id}/imports/{digest}{suffix}"


async def fetch_project(client: GraphQLClient, project_id: str) -> dict[str, Any]:
    projects = (await client.execute(PROJECT, {"id": project_id}))["projects"]
    if not projects:
        raise TransferError(f"project {project_id!r} not found (or your API key's user is not a member of it)")
    return projects[0]


async def existing_external_ids(client: GraphQLClient, project_id: str, external_ids: list[str]) -> set[str]:
    existing: set[str] = set()
    for chunk in _chunks(external_ids, EXISTING_CHUNK):
        existing.update((await client.execute(EXISTING, {"projectID": project_id, "externalIDs": chunk}))["existing"])
    return existing


async def prepare_labels(client: GraphQLClient, project: dict[str, Any], source: Source, create: bool) -> LabelPlan:
    """The detection job of the project's jsonInterface that COCO categories map to; with `create`,
    the job (or its missing categories) is added to the interface first."""
    raw = project.get("jsonInterface")
    interface = json.loads(raw) if raw else None
    interface = interface if isinstance(interface, dict) else {}
    found = coco.detection_job(interface)
    missing = [str(c.get("name")) for c in source.categories]
    if found is not None:
        _, job = found
        _, missing = coco.match_categories(source.categories, job)
    if found is None or missing:
        if not create:
            what = (
                f"its OBJECT_DETECTION job {found[0]!r} lacks the categories {', '.join(missing)}"
                if found
                else "its jsonInterface has no OBJECT_DETECTION job"
            )
            raise TransferError(
                f"cannot import the COCO annotations into project {project['id']!r}: {what}. Pass "
                "--create-interface to add them from the COCO categories, or give the project a jsonInterface "
                "(updateProject) whose OBJECT_DETECTION job names a category after each COCO category."
            )
        if found is None:
            interface.setdefault("jobs", {})[coco.DEFAULT_JOB] = coco.new_job(source.categories)
        else:
            wanted = [c for c in source.categories if str(c.get("name")) in set(missing)]
            added = coco.new_job(wanted)["content"]["categories"]
            found[1].setdefault("content", {}).setdefault("categories", {}).update(added)
        await client.execute(UPDATE_INTERFACE, {"id": project["id"], "data": {"jsonInterface": json.dumps(interface)}})
        say(f"jsonInterface of project {project['id']}: OBJECT_DETECTION categories {', '.join(missing)} added")
    found = coco.detection_job(interface)
    assert found is not None  # found, or just added
    keys, _ = coco.match_categories(source.categories, found[1])
    return LabelPlan(found[0], keys)


def _duplicates(items: list[Item]) -> list[str]:
    seen: set[str] = set()
    duplicates = []
    for item in items:
        if item.external_id in seen:
            duplicates.append(item.external_id)
        seen.add(item.external_id)
    return duplicates


class Importer:
    def __init__(
        self,
        client: GraphQLClient,
        uploader: Uploader,
        options: ImportOptions,
        plan: LabelPlan | None,
        summary: Summary,
    ):
        self.client = client
        self.uploader = uploader
        self.options = options
        self.plan = plan
        self.summary = summary
        self.bar = None
        self.stop = asyncio.Event()  # no new batch once set (Ctrl-C, or an error every batch would get)

    def _failed(self, what: str, count: int, exc: TransferError) -> None:
        self.summary.failed += count
        if isinstance(exc, ApiError) and exc.code in FATAL_CODES:
            if self.summary.stopped_by is None:
                self.summary.stopped_by = str(exc)
                say(f"{what} failed: {exc}; stopping")
            self.stop.set()
        else:
            say(f"{what} failed: {exc}")

    # --- one batch ---

    async def _upload(self, item: Item, url: str) -> None:
        assert item.path is not None
        content_type = mimetypes.guess_type(item.path.name)[0] or "application/octet-stream"
        await self.uploader.put_file(url, item.path, content_type)

    async def _upload_all(self, batch: list[Item]) -> tuple[list[Item], dict[str, str]]:
        """The items ready to append (uploads that failed are reported and counted) and their content."""
        content = {i.external_id: i.url for i in batch if i.url is not None}
        local = [i for i in batch if i.path is not None]
        if not local:
            return batch, content
        keys = [object_key(self.options.project_id, i) for i in local]
        urls = (await self.client.execute(SIGN, {"filePaths": keys}))["urls"]
        uploads = (self._upload(i, u) for i, u in zip(local, urls, strict=True))
        results = await asyncio.gather(*uploads, return_exceptions=True)
        failed = set()
        for item, key, result in zip(local, keys, results, strict=True):
            if isinstance(result, TransferError):
                failed.add(item.external_id)
                say(f"{item.external_id}: {result}")
            elif isinstance(result, BaseException):
                raise result
            else:
                content[item.external_id] = key
        self.summary.failed += len(failed)
        return [i for i in batch if i.external_id not in failed], content

    def _append_data(self, items: list[Item], content: dict[str, str]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "contentArray": [content[i.external_id] for i in items],
            "externalIDArray": [i.external_id for i in items],
            "jsonMetadataArray": [json.dumps(i.metadata or {}) for i in items],
        }
        for name, attribute in (
            ("sessionIDArray", "session_id"),
            ("timestampArray", "timestamp"),
            ("sensorArray", "sensor"),
            ("setIDArray", "sets"),
        ):
            values = [getattr(i, attribute) for i in items]
            if any(v is not None for v in values):
                data[name] = values
        return data

    async def _batch(self, batch: list[Item]) -> None:
        try:
            ready, content = await self._upload_all(batch)
        except TransferError as exc:  # signing refused: the whole batch
            self._failed(f"batch {batch[0].external_id} … ({len(batch)} items)", len(batch), exc)
            ready = []
        if ready:
            data = self._append_data(ready, content)
            try:
                assets = (await self.client.execute(APPEND, {"data": data, "where": {"id": self.options.project_id}}))[
                    "assets"
                ]
            except TransferError as exc:
                self._failed(f"batch {ready[0].external_id} … ({len(ready)} assets)", len(ready), exc)
            else:
                self.summary.done += len(assets)
                if self.plan is not None:
                    await self._append_labels([(a["id"], i) for a, i in zip(assets, ready, strict=True)])
        if self.bar is not None:
            self.bar.update(len(batch))

    # --- labels (COCO) ---

    def _label(self, asset_id: str, item: Item) -> dict[str, Any]:
        assert self.plan is not None
        width, height = item.width, item.height
        if not (width and height) and item.path is not None:
            import imagesize

            with contextlib.suppress(OSError, ValueError):
                width, height = imagesize.get(item.path)
        if not (width and height) or width <= 0 or height <= 0:
            raise TransferError(f"{item.external_id}: image size unknown (no width/height in the COCO file)")
        response = coco.to_json_response(item.annotations, width, height, self.plan.keys, self.plan.job)
        return {"assetID": asset_id, "jsonResponse": json.dumps(response)}

    async def _append_labels(self, pairs: list[tuple[str, Item]]) -> None:
        labels = []
        for asset_id, item in pairs:
            if not item.annotations:
                continue
            try:
                labels.append(self._label(asset_id, item))
            except TransferError as exc:
                self.summary.label_failures += 1
                say(str(exc))
        if not labels:
            return
        data = {"labelType": "DEFAULT", "labelsData": labels}
        try:
            where = {"project": {"id": self.options.project_id}}
            await self.client.execute(APPEND_LABELS, {"data": data, "where": where})
        except TransferError as exc:
            self.summary.label_failures += len(labels)
            say(f"labels of {len(labels)} assets from {labels[0]['assetID']} failed: {exc}")
        else:
            self.summary.labels += len(labels)

    async def label_unlabeled(self, items: list[Item]) -> None:
        """Resume: existing assets of COCO images with annotations but no label yet (a run stopped
        between appending a batch and its labels) get their labels now."""
        for chunk in _chunks([i for i in items if i.annotations], 100):
            by_id = {i.external_id: i for i in chunk}
            where = {"project": {"id": self.options.project_id}, "externalIdStrictlyIn": list(by_id)}
            assets = (await self.client.execute(ASSETS_LABELED, {"where": where}))["assets"]
            await self._append_labels([(a["id"], by_id[a["externalId"]]) for a in assets if not a["labels"]])

    # --- the run ---

    async def run(self, todo: list[Item]) -> None:
        in_flight = max(2, self.options.parallel // 4)
        pending: set[asyncio.Task[None]] = set()
        try:
            for batch in _chunks(todo, self.options.batch):
                while len(pending) >= in_flight:
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()  # an unexpected error stops the run
                if self.stop.is_set():
                    break
                pending.add(asyncio.create_task(self._batch(batch)))
            for task in asyncio.as_completed(pending):
                await task
        finally:
            for task in pending:
                task.cancel()


async def run_import(options: ImportOptions) -> Summary:
    """Import `options.source` into the project; the summary says what happened."""
    if not 1 <= options.batch <= MAX_BATCH:
        raise TransferError(f"--batch must be between 1 and {MAX_BATCH}")
    if options.parallel < 1:
        raise TransferError("--parallel must be at least 1")
    summary = Summary()
    source = read_source(options.source, options.images)
    duplicates = _duplicates(source.items)
    if duplicates:
        raise TransferError(f"{options.source}: external ids appear more than once: {', '.join(duplicates[:5])}")
    importer: Importer | None = None

    def finish_batches_in_flight() -> bool:
        if importer is None:
            return False
        importer.stop.set()
        say("stopping: finishing the batches in flight (Ctrl-C again to abandon them)")
        return True

    uploader = Uploader(options.parallel)
    try:
        with interruptible(summary, finish_batches_in_flight):
            async with GraphQLClient(options.url, options.key) as client:
                project = await fetch_project(client, options.project_id)
                has_labels = source.kind == "coco" and any(i.annotations for i in source.items)
                plan = await prepare_labels(client, project, source, options.create_interface) if has_labels else None
                external_ids = [i.external_id for i in source.items]
                existing = await existing_external_ids(client, options.project_id, external_ids)
                todo = [i for i in source.items if i.external_id not in existing]
                summary.skipped = len(source.items) - len(todo)
                importer = Importer(client, uploader, options, plan, summary)
                if plan is not None and existing:
                    await importer.label_unlabeled([i for i in source.items if i.external_id in existing])
                with progress_bar(len(source.items), initial=summary.skipped, description="import") as bar:
                    importer.bar = bar
                    await importer.run(todo)
    finally:
        uploader.close()
    return summary
