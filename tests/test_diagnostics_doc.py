"""docs/diagnostics.md documents every diagnostic code, and no other."""

from __future__ import annotations

import re
from collections import Counter

from bilan.diagnostics import CODES
from tests.conftest import ROOT

DOC = ROOT / "docs" / "diagnostics.md"
ROW = re.compile(r"^\|\s*([A-Z]\d{3})\s*\|", re.MULTILINE)


def documented_codes() -> list[str]:
    return ROW.findall(DOC.read_text(encoding="utf-8"))


def test_every_code_has_a_row() -> None:
    missing = sorted(set(CODES) - set(documented_codes()))
    assert not missing, f"codes absents de {DOC.name} : {missing}"


def test_doc_lists_no_unknown_code() -> None:
    unknown = sorted(set(documented_codes()) - set(CODES))
    assert not unknown, f"codes de {DOC.name} absents de CODES : {unknown}"


def test_each_code_has_one_row() -> None:
    repeated = sorted(code for code, n in Counter(documented_codes()).items() if n > 1)
    assert not repeated, f"codes décrits plusieurs fois : {repeated}"
