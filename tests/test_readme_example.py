"""The README's end-to-end example ("Example: a drive, end to end") runs as written: its GraphQL
documents are read from the README itself and sent in order, one call per step."""

from __future__ import annotations

import json
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "### Example: a drive, end to end"


def example_documents() -> dict[str, str]:
    """The section's ```graphql blocks, by operation name."""
    text = README.read_text()
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n### ", len(SECTION))]
    blocks = re.findall(r"```graphql\n(.*?)\n```", section, re.S)
    return {re.match(r"(?:mutation|query) (\w+)", block).group(1): block for block in blocks}


async def test_the_drive_example_runs_step_by_step(api, seeder) -> None:
    docs = example_documents()
    assert list(docs) == ["Drive", "Frames", "Rain", "Rainy", "Sample", "Split", "Check"]
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)

    drive = (await api.data(docs["Drive"], {"p": project.id}, key=key))["createSession"]["id"]

    # 100 frames at 10 Hz from two cameras; the first 60 s of the front camera's frames are rainy.
    frames = range(100)
    data = {
        "contentArray": [f"https://example.com/drive-0412/{i:04}.jpg" for i in frames],
        "externalIDArray": [f"drive-0412/{i:04}" for i in frames],
        "sessionIDArray": [drive for _ in frames],
        "timestampArray": [f"2026-04-12T08:00:{i // 10:02}.{i % 10}00Z" for i in frames],
        "sensorArray": ["cam_front" if i % 2 == 0 else "cam_rear" for i in frames],
        "jsonMetadataArray": [json.dumps({"weather": "rain" if i < 60 else "dry"}) for i in frames],
    }
    appended = (await api.data(docs["Frames"], {"p": project.id, "data": data}, key=key))["appendManyAssets"]
    assert len(appended) == 100

    events = [
        {"eventType": "INTERVAL", "name": "weather", "state": "rain", "startTime": start, "endTime": end}
        for start, end in [
            ("2026-04-12T08:00:00Z", "2026-04-12T08:00:04Z"),
            ("2026-04-12T08:00:04Z", "2026-04-12T08:00:06Z"),
        ]
    ]
    assert len((await api.data(docs["Rain"], {"s": drive, "events": events}, key=key))["appendSessionEvents"]) == 2

    rainy = (await api.data(docs["Rainy"], {"p": project.id}, key=key))["createSet"]["id"]
    sample = (await api.data(docs["Sample"], {"set": rainy, "s": drive}, key=key))["addAssetsToSet"]
    # 30 rainy front-camera frames match: all of them fit under limit 50.
    rainy_front = {a["id"] for a, i in zip(appended, frames, strict=True) if i < 60 and i % 2 == 0}
    assert {a["assetId"] for a in sample["succeeded"]} == rainy_front

    subsets = (await api.data(docs["Split"], {"set": rainy}, key=key))["splitSet"]
    assert subsets == [
        {"name": "rainy-0412/train", "numberOfAssets": 24},
        {"name": "rainy-0412/val", "numberOfAssets": 6},
    ]

    session = (await api.data(docs["Check"], {"s": drive}, key=key))["session"]
    assert session["sensors"] == ["cam_front", "cam_rear"] and session["numberOfAssets"] == 100
    assert session["startTime"].startswith("2026-04-12T08:00:00") and session["endTime"].startswith(
        "2026-04-12T08:00:09"
    )
    assert session["eventSummary"] == [{"count": 2, "states": [{"state": "rain", "count": 2}]}]
