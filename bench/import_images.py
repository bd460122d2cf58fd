"""Import benchmark: `labelgate import` of N small PNG files listed in a CSV manifest (with metadata),
run as a user runs it, against the gateway served from a process of its own on PostgreSQL and S3
(SeaweedFS) started in temp dirs.

Run: `.venv/bin/python -m bench.import_images [--images 10000] [--size 64] [--batch 100] [--parallel 8]`.
Prints the import's own summary, the wall time of the command (start-up included) and assets/s, and
checks that the project then holds exactly N assets. Kept out of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import httpx

from bench.append_assets import create_project
from bench.stack import services, serving

REPO = Path(__file__).resolve().parent.parent


def png(size: int, seed: int) -> bytes:
    """A valid size×size RGB PNG whose pixels depend on `seed`."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = bytes((x * 7 + seed) % 256 for x in range(size * 3))
    pixels = b"".join(b"\x00" + row for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b"")


def write_images(folder: Path, count: int, size: int) -> Path:
    """`count` PNGs in `folder/images` and `folder/manifest.csv` listing them with metadata."""
    (folder / "images").mkdir()
    manifest = folder / "manifest.csv"
    with manifest.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["external_id", "path", "metadata"])
        for n in range(count):
            name = f"images/frame-{n:06d}.png"
            (folder / name).write_bytes(png(size, n))
            writer.writerow([f"frame-{n:06d}", name, json.dumps({"camera": f"cam{n % 4}", "frame": n})])
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--size", type=int, default=64, help="width and height of each PNG (default 64)")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--parallel", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lg-import-bench-") as tmp:
        began = time.perf_counter()
        manifest = write_images(Path(tmp), args.images, args.size)
        total_bytes = sum(f.stat().st_size for f in (Path(tmp) / "images").iterdir())
        print(
            f"{args.images} PNGs of {args.size}x{args.size} ({total_bytes / 1e6:.1f} MB) written in "
            f"{time.perf_counter() - began:.1f} s",
            flush=True,
        )
        with services() as settings, serving(settings) as url:
            project_id, key = asyncio.run(create_project(settings.database_url))
            command = [
                sys.executable, "-m", "gateway.cli", "import", "--project", project_id, str(manifest),
                "--url", url, "--batch", str(args.batch), "--parallel", str(args.parallel),
            ]  # fmt: skip
            env = {**{k: v for k, v in os.environ.items() if not k.startswith("LABELGATE_")}, "LABELGATE_API_KEY": key}
            began, cpu_before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env)
            wall = time.perf_counter() - began
            cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
            if done.returncode != 0:
                sys.exit(f"import failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
            count = httpx.post(
                f"{url}/graphql",
                json={
                    "query": "query($id: ID!) { countAssets(where: {project: {id: $id}}) }",
                    "variables": {"id": project_id},
                },
                headers={"X-API-Key": key},
            ).json()["data"]["countAssets"]
    print(f"summary: {done.stdout.strip()}")
    print(
        f"wall time of `labelgate import` (start-up included): {wall:.1f} s, {args.images / wall:.0f} assets/s; "
        f"batch {args.batch}, parallel {args.parallel}; project holds {count} assets; CPU of the import "
        f"command {client_cpu:.1f} s; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if count != args.images:
        sys.exit(f"expected {args.images} assets, found {count}")


if __name__ == "__main__":
    main()
