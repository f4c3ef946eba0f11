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


def fiche(ident: str = "e01-test", kind: str = "existante", number: int = 1) -> str:
    """A valid fiche (data/actions/<ident>.yaml): 7 lines, then objectifs (line 8) and
    resultats_attendus (line 10)."""
    return textwrap.dedent(
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
        """
    )


def bilan(ident: str = "e01-test", extra: str = "", phases: str = "[1, 2, 3, 4]") -> str:
    """A valid bilan of fiche ``ident`` (data/rapports/<année>/bilans/<ident>.yaml): its
    calendar's phases on line 5, then ``extra`` (dedented) from line 6."""
    text = textwrap.dedent(
        f"""\
        fiche: {ident}
        etat: en-cours
        calendrier:
          debut: 2015-T4
          phases: {phases}
        """
    )
    return text + textwrap.dedent(extra)


YEAR = 2016
REPORT = BASE["data/rapports/2016/rapport.yaml"]
EDITO = BASE["data/rapports/2016/00-edito.md"]

DataMaker = Callable[..., Path]


@pytest.fixture
def make_data(tmp_path: Path) -> DataMaker:
    """Write a data folder: ``make_data({"e01-test.yaml": text, ...}, communes=...)``.

    A name without a folder goes into actions/; ``2016/e01-test.yaml`` is a bilan (into
    rapports/2016/bilans/); any other path is relative to the data folder. The 2016 report
    (rapport.yaml and an édito) is written unless ``report`` is false; a fiche given
    without its 2016 bilan gets :func:`bilan`'s, unless ``bilans`` is false. Without
    ``files``: the fiche e01-test and its bilan."""

    def make(
        files: dict[str, str | bytes] | None = None,
        communes: str | None = COMMUNES,
        report: bool = True,
        bilans: bool = True,
    ) -> Path:
        root = tmp_path / "data"
        (root / "actions").mkdir(parents=True, exist_ok=True)
        if communes is not None:
            (root / "communes.yaml").write_text(communes, encoding="utf-8")
        year_folder = root / "rapports" / str(YEAR)
        if report:
            (year_folder / "bilans").mkdir(parents=True, exist_ok=True)
            (year_folder / "rapport.yaml").write_text(REPORT, encoding="utf-8")
            (year_folder / "00-edito.md").write_text(EDITO, encoding="utf-8")
        chosen = files if files is not None else {"e01-test.yaml": fiche()}
        placed: dict[Path, str | bytes] = {}
        for name, content in chosen.items():
            if "/" not in name:
                placed[root / "actions" / name] = content
            elif name.startswith(f"{YEAR}/") and name.count("/") == 1:
                placed[year_folder / "bilans" / name.split("/")[1]] = content
            else:
                placed[root / name] = content
        if report and bilans:
            for path in list(placed):
                own = year_folder / "bilans" / path.name
                if path.parent == root / "actions" and path.suffix == ".yaml" and own not in placed:
                    placed[own] = bilan(path.stem)
        for target, content in placed.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        return root

    return make


@pytest.fixture
def real_data(tmp_path: Path) -> Path:
    """A copy of the repository's data, safe to modify: unsealed (without the 2016
    edition's publication.json, which would refuse every change of its files)."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    (target / "rapports" / str(YEAR) / "publication.json").unlink()
    return target


@pytest.fixture
def sealed_data(tmp_path: Path) -> Path:
    """A copy of the repository's data as it is, its 2016 edition sealed."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture(autouse=True)
def outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as on a workstation, even in GitHub Actions or GitLab CI: without these
    variables, the diagnostics format is text unless a test chooses otherwise."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITLAB_CI", raising=False)
