"""Golden files: reviewed copies that the build must reproduce byte for byte.

The 2016 report of the repository's data, and the 2017 edition of the fictitious second
year (examples/annee-2017/, over a copy of the data). After a deliberate change of the
templates or the data, regenerate them with ``make golden`` (``python -m tests.golden``),
read the diff, and commit them with the change.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from bilan.build import BuildOptions, BuildResult, build
from tests.conftest import DATA, ROOT

YEAR = 2016
FORMATS = frozenset({"html", "md", "data"})
GOLDEN_ROOT = ROOT / "tests" / "golden"
GOLDEN = GOLDEN_ROOT / str(YEAR)
EXAMPLE_2017 = ROOT / "examples" / "annee-2017" / "donnees"
GOLDEN_FILES = {
    str(YEAR): (
        "index.html",
        "actions/p02-moyens-informatiques.html",
        "communes/laverune.html",
        "communes/castelnau-le-lez.html",
        f"bilan-{YEAR}.md",
        "donnees/actions.csv",
        "donnees/communes-actions.csv",
    ),
    "exemple-2017": (
        "actions/e05-groupements-achats.html",
        "bilan-2017.md",
        "donnees/actions.csv",
    ),
}
"""Edition → its files kept under tests/golden/<edition>/."""


def build_report(out: Path, data: Path = DATA) -> BuildResult:
    """The 2016 report without PDF (the golden files and the semantic tests look at it)."""
    return build(BuildOptions(year=YEAR, data=data, out=out, formats=FORMATS))


def example_2017(target: Path) -> Path:
    """A copy of the repository's data with the fictitious 2017 year over it: the data
    folder written under ``target``."""
    data = target / "data"
    shutil.copytree(DATA, data)
    shutil.copytree(EXAMPLE_2017, data, dirs_exist_ok=True)
    return data


def build_edition(edition: str, out: Path) -> Path:
    """The folder of one golden edition, built under ``out``."""
    if edition == str(YEAR):
        return build_report(out).target
    data = example_2017(out / "source")
    return build(BuildOptions(year=2017, data=data, out=out / "site", formats=FORMATS)).target


def main() -> int:
    """Rebuild the editions and overwrite the golden files with them."""
    for edition, names in GOLDEN_FILES.items():
        with tempfile.TemporaryDirectory() as tmp:
            built = build_edition(edition, Path(tmp))
            for name in names:
                target = GOLDEN_ROOT / edition / name
                new = (built / name).read_bytes()
                same = target.is_file() and target.read_bytes() == new
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(new)
                print(f"{target.relative_to(ROOT)} : {'inchangé' if same else 'mis à jour'}")
    print("Relisez les différences (git diff tests/golden) avant de les valider.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
