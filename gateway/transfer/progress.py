"""Progress bars and end-of-run summaries of `labelgate import` / `export`.

tqdm: one small pure-Python package with no dependencies of its own, which draws on stderr (stdout
keeps the summary for scripts) and turns itself off when stderr is not a terminal (`disable=None`),
so logs and CI output get no control characters. (rich draws nicer bars but brings pygments and
markdown-it for nothing we need.)
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tqdm import tqdm


def progress_bar(total: int, *, initial: int = 0, unit: str = "asset", description: str = "") -> tqdm:
    return tqdm(
        total=total,
        initial=initial,
        unit=unit,
        desc=description,
        file=sys.stderr,
        disable=None,
        dynamic_ncols=True,
        mininterval=0.5,
    )


def say(message: str) -> None:
    """A line on stderr that does not break the progress bar."""
    tqdm.write(message, file=sys.stderr)


@dataclass
class Summary:
    """What a run did. `done` counts what it wrote this time (assets imported, or exported)."""

    done: int = 0
    skipped: int = 0
    failed: int = 0
    labels: int = 0
    label_failures: int = 0
    interrupted: bool = False
    stopped_by: str | None = None  # the error that stopped the run early
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def line(self, verb: str) -> str:
        rate = self.done / self.elapsed if self.elapsed > 0 else 0.0
        parts = [f"{verb} {self.done}", f"skipped {self.skipped}", f"failed {self.failed}"]
        if self.labels or self.label_failures:
            parts.append(f"labels {self.labels}" + (f" ({self.label_failures} failed)" if self.label_failures else ""))
        parts += [f"elapsed {self.elapsed:.1f} s", f"{rate:.1f} assets/s"]
        prefix = "interrupted: " if self.interrupted else "stopped by an error: " if self.stopped_by else ""
        return prefix + ", ".join(parts)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if self.failed or self.label_failures else 0


@contextmanager
def interruptible(summary: Summary, first_interrupt: Callable[[], bool] | None = None) -> Iterator[None]:
    """Ctrl-C ends the run in the block with its summary (marked interrupted), not a traceback: it
    cancels the running task, and the cancellation ends here. `first_interrupt` may take the first
    Ctrl-C itself (returning True), e.g. to let work in flight finish; the next one cancels."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()

    def interrupt() -> None:
        if first_interrupt is not None and not summary.interrupted and first_interrupt():
            summary.interrupted = True
        elif main is not None:
            main.cancel()

    loop.add_signal_handler(signal.SIGINT, interrupt)
    try:
        yield
    except asyncio.CancelledError:
        summary.interrupted = True
        if main is not None:
            main.uncancel()  # the cancellation was ours (Ctrl-C): the run ends normally, with its summary
    finally:
        loop.remove_signal_handler(signal.SIGINT)
