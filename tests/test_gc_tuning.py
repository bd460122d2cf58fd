"""The collector's tuning: start-up objects frozen out of every collection, thresholds raised."""

from __future__ import annotations

import gc

from gateway.gc_tuning import GEN0_THRESHOLD, GcPauses, tune_for_serving


def test_tuning_freezes_start_up_objects_and_raises_thresholds_and_pauses_are_timed() -> None:
    thresholds = gc.get_threshold()
    try:
        tune_for_serving()
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold()[0] == GEN0_THRESHOLD
        with GcPauses() as pauses:
            gc.collect(0)
        assert pauses.collections[0] == 1 and pauses.total > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
