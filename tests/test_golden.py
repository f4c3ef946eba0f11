"""The editions, compared byte for byte with their reviewed golden files (tests/golden/).

A template or data change makes this fail on purpose: run ``make golden``, read the diff,
and commit the new golden files with the change.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tests.golden import GOLDEN_FILES, GOLDEN_ROOT, build_edition

MAX_DIFF_LINES = 80


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {
        edition: build_edition(edition, tmp_path_factory.mktemp(f"golden-{edition}"))
        for edition in GOLDEN_FILES
    }


def first_differences(expected: bytes, actual: bytes, name: str) -> str:
    diff = difflib.unified_diff(
        expected.decode("utf-8", "replace").splitlines(),
        actual.decode("utf-8", "replace").splitlines(),
        f"tests/golden/{name}",
        f"build/{name}",
        lineterm="",
    )
    lines = list(diff)
    shown = "\n".join(lines[:MAX_DIFF_LINES])
    more = (
        f"\n… {len(lines) - MAX_DIFF_LINES} lignes de plus" if len(lines) > MAX_DIFF_LINES else ""
    )
    return shown + more


@pytest.mark.parametrize(
    ("edition", "name"),
    [(edition, name) for edition, names in GOLDEN_FILES.items() for name in names],
)
def test_build_matches_golden_file(built: dict[str, Path], edition: str, name: str) -> None:
    golden = GOLDEN_ROOT / edition / name
    assert golden.is_file(), f"{golden} manque : lancez « make golden »"
    expected, actual = golden.read_bytes(), (built[edition] / name).read_bytes()
    if expected != actual:
        pytest.fail(
            f"{name} diffère de sa copie de référence (si le changement est voulu : "
            f"make golden, puis relisez git diff tests/golden) :\n"
            + first_differences(expected, actual, f"{edition}/{name}"),
            pytrace=False,
        )
