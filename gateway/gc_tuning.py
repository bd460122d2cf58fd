"""The cyclic garbage collector, tuned for a long-running server (called once from the app's lifespan).

Why: a request leaves thousands of objects in reference cycles (ORM instances and their states,
DataLoader futures), so with Python's default thresholds (700, 10, 10) collections run every few
requests, and each full collection walks every object of the process: the schema, SQLAlchemy's
mappers, the imported modules, tens of thousands of objects that never die.

What: once start-up is done (modules imported, schema built, app created), `gc.collect()` then
`gc.freeze()` moves every surviving object to the permanent generation, which no collection walks
again; and the first-generation threshold rises from 700 to `GEN0_THRESHOLD` allocations, so young
collections run about once a request instead of dozens of times, and older generations follow.
Memory stays bounded: cycles are still collected, only less often.

How it was measured (numbers in the issue's note): `bench/read_assets.py` (page of 100 assets with
labels, authors, project, sets, session) p50 with LABELGATE_GC_TUNING=false and true, and the
collector's share of a request, from `gc.callbacks` timing every collection (`GcPauses`) over
requests served in-process (httpx ASGITransport, 150 W1 requests after 10 of warm-up).
On 5,000 assets, 2 rounds, a shared 2-core machine (load ~2.4): p50 139/204 ms -> 91/116 ms, c=8
5.0/3.6 -> 6.6/10.5 req/s; in-process, the collector's share of a request 31 % (33 ms: 4,700 young,
427 middle, 39 full collections in 150 requests) -> 5 % (4 ms: 17 young collections).
"""

from __future__ import annotations

import gc
import time

# Chosen by measurement on the W1 page (see the module docstring): the collector's share of a request
# falls from ~40 % to a few percent; above it, gains are within noise while memory between collections grows.
GEN0_THRESHOLD = 50_000
GEN1_THRESHOLD = 20
GEN2_THRESHOLD = 10


def tune_for_serving() -> None:
    """Collects, freezes what start-up left alive, and raises the thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)


class GcPauses:
    """Total time the collector held the interpreter while installed (`gc.callbacks`), per generation."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.collections = [0, 0, 0]
        self._began = 0.0

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self._began
            self.collections[info["generation"]] += 1

    @property
    def total(self) -> float:
        return sum(self.seconds)
