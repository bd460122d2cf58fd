"""scripts/install-stamp and the skip in scripts/setup, run for real on a copy of the repository's
install inputs with a real (pip-less) venv: an unchanged checkout skips pip, any change reinstalls."""

from __future__ import annotations

import glob
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
INPUTS = ("pyproject.toml", "scripts/setup", "scripts/install-stamp")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The files the install depends on, copied, plus a real venv without pip at .venv.

    Without pip, any install scripts/setup attempts fails: a run that succeeds installed nothing.
    """
    for name in INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, tmp_path / name)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / ".venv")], check=True)
    return tmp_path


def stamp(checkout: Path, *args: str) -> int:
    return subprocess.run([str(checkout / "scripts/install-stamp"), *args], cwd=checkout).returncode


def setup(checkout: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(checkout / "scripts/setup"), "embedded"], cwd=checkout, capture_output=True, text=True, timeout=60
    )


def setup_inputs() -> tuple[str, ...]:
    """What scripts/setup passes besides the extras name (it must match for the skip to happen)."""
    postgres_from = "debian" if glob.glob("/usr/lib/postgresql/*/bin/initdb") else "pypi"
    return ("extras=embedded", f"postgres={postgres_from}")


def test_stamp_matches_only_the_same_inputs(checkout: Path) -> None:
    venv = str(checkout / ".venv")
    assert stamp(checkout, "check", venv, "embedded", "x=1") == 1  # never installed
    assert stamp(checkout, "write", venv, "embedded", "x=1") == 0
    assert stamp(checkout, "check", venv, "embedded", "x=1") == 0
    assert stamp(checkout, "check", venv, "test", "x=1") == 1  # other extras: a stamp of their own
    assert stamp(checkout, "check", venv, "embedded", "x=2") == 1  # other inputs

    for name in INPUTS:  # a change to any file the install depends on
        original = (checkout / name).read_text()
        (checkout / name).write_text(original + "\n# changed\n")
        assert stamp(checkout, "check", venv, "embedded", "x=1") == 1, name
        (checkout / name).write_text(original)
        assert stamp(checkout, "check", venv, "embedded", "x=1") == 0, name  # the key is the content

    assert stamp(checkout, "forget", venv, "embedded") == 0
    assert stamp(checkout, "check", venv, "embedded", "x=1") == 1


def test_stamp_of_a_broken_or_missing_venv_never_matches(checkout: Path) -> None:
    venv = checkout / ".venv"
    assert stamp(checkout, "write", str(venv), "embedded") == 0
    python = venv / "bin" / "python"
    target = python.resolve()
    python.unlink()
    python.symlink_to(checkout / "no-such-python")  # e.g. the Python the venv was made with was removed
    assert stamp(checkout, "check", str(venv), "embedded") == 1
    python.unlink()
    python.symlink_to(target)
    assert stamp(checkout, "check", str(venv), "embedded") == 0
    shutil.rmtree(venv)
    assert stamp(checkout, "check", str(venv), "embedded") == 1
    assert stamp(checkout, "write", str(venv), "embedded") != 0  # no Python, no key: nothing written


def test_setup_skips_pip_when_nothing_changed_and_reinstalls_after_a_change(checkout: Path) -> None:
    venv = str(checkout / ".venv")
    assert stamp(checkout, "write", venv, "embedded", *setup_inputs()) == 0
    skipped = setup(checkout)
    assert skipped.returncode == 0, skipped.stderr  # pip would have failed: there is none
    assert "no install" in skipped.stderr

    pyproject = checkout / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"cachetools>=5.3",', '"cachetools>=5.3",\n    "six",'))
    reinstall = setup(checkout)
    assert reinstall.returncode != 0 and "No module named pip" in reinstall.stderr  # it did try to install
    assert not (checkout / ".venv" / ".labelgate-setup-embedded").exists()  # a failed install leaves no stamp
    assert stamp(checkout, "check", venv, "embedded", *setup_inputs()) == 1
