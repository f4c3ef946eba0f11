"""Shared test helpers: small data folders written on the fly, and the real data."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from bilan.catalogue import BASE

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SOURCE = ROOT.parent / "shared" / "source" / "bilan-etape-2016.txt"

COMMUNES = BASE["data/communes.yaml"]
"""Three communes (the example folder's, see bilan.catalogue)."""


def fiche(
    ident: str = "e01-test",
    kind: str = "existante",
    number: int = 1,
    extra_report: str = "",
    phases: str = "[1, 2, 3, 4]",
) -> str:
    """A valid fiche; ``extra_report`` is appended, indented, inside the 2016 bilan."""
    text = textwrap.dedent(
        f"""\
        id: {ident}
        titre: Fiche {ident}
        actions:
          - type: {kind}
            numero: {number}
            titre: Action {kind} {number}
            themes: [fonctions-ressources]
        objectifs:
          - Un objectif
        resultats_attendus:
          - Un résultat
        bilans:
          2016:
            etat: en-cours
            calendrier:
              debut: 2015-T4
              phases: {phases}
        """
    )
    if extra_report:
        text += textwrap.indent(textwrap.dedent(extra_report), "    ")
    return text


DataMaker = Callable[..., Path]


@pytest.fixture
def make_data(tmp_path: Path) -> DataMaker:
    """Write a data folder: ``make_data({"e01-test.yaml": text, ...}, communes=...)``."""

    def make(files: dict[str, str | bytes] | None = None, communes: str | None = COMMUNES) -> Path:
        root = tmp_path / "data"
        (root / "actions").mkdir(parents=True, exist_ok=True)
        if communes is not None:
            (root / "communes.yaml").write_text(communes, encoding="utf-8")
        for name, content in (files if files is not None else {"e01-test.yaml": fiche()}).items():
            target = root / "actions" / name
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        return root

    return make


@pytest.fixture
def real_data(tmp_path: Path) -> Path:
    """A copy of the repository's data, safe to modify."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture(autouse=True)
def outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as on a workstation, even in GitHub Actions or GitLab CI: without these
    variables, the diagnostics format is text unless a test chooses otherwise."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITLAB_CI", raising=False)
