"""The 2016 report, compared byte for byte with its reviewed golden files (tests/golden/).

A template or data change makes this fail on purpose: run ``make golden``, read the diff,
and commit the new golden files with the change.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tests.golden import GOLDEN, GOLDEN_FILES, build_report

MAX_DIFF_LINES = 80


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report(tmp_path_factory.mktemp("golden")).target


def first_differences(expected: bytes, actual: bytes, name: str) -> str:
    diff = difflib.unified_diff(
        expected.decode("utf-8", "replace").splitlines(),
        actual.decode("utf-8", "replace").splitlines(),
        f"tests/golden/2016/{name}",
        f"build/2016/{name}",
        lineterm="",
    )
    lines = list(diff)
    shown = "\n".join(lines[:MAX_DIFF_LINES])
    more = (
        f"\n… {len(lines) - MAX_DIFF_LINES} lignes de plus" if len(lines) > MAX_DIFF_LINES else ""
    )
    return shown + more


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_build_matches_golden_file(built: Path, name: str) -> None:
    golden = GOLDEN / name
    assert golden.is_file(), f"{golden} manque : lancez « make golden »"
    expected, actual = golden.read_bytes(), (built / name).read_bytes()
    if expected != actual:
        pytest.fail(
            f"{name} diffère de sa copie de référence (si le changement est voulu : "
            f"make golden, puis relisez git diff tests/golden) :\n"
            + first_differences(expected, actual, name),
            pytrace=False,
        )
