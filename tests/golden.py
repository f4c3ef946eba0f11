"""Golden files of the 2016 report: reviewed copies that the build must reproduce byte for byte.

After a deliberate change of the templates or the data, regenerate them with ``make golden``
(``python -m tests.golden``), read the diff, and commit them with the change.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bilan.build import BuildOptions, BuildResult, build
from tests.conftest import DATA, ROOT

YEAR = 2016
FORMATS = frozenset({"html", "md", "data"})
GOLDEN = ROOT / "tests" / "golden" / str(YEAR)
GOLDEN_FILES = (
    "index.html",
    "actions/p02-moyens-informatiques.html",
    "communes/laverune.html",
    "communes/castelnau-le-lez.html",
    f"bilan-{YEAR}.md",
    "donnees/actions.csv",
    "donnees/communes-actions.csv",
)


def build_report(out: Path, data: Path = DATA) -> BuildResult:
    """The 2016 report without PDF (the golden files and the semantic tests look at it)."""
    return build(BuildOptions(year=YEAR, data=data, out=out, formats=FORMATS))


def main() -> int:
    """Rebuild the report and overwrite the golden files with it."""
    with tempfile.TemporaryDirectory() as tmp:
        built = build_report(Path(tmp)).target
        for name in GOLDEN_FILES:
            target = GOLDEN / name
            new = (built / name).read_bytes()
            state = "inchangé" if target.is_file() and target.read_bytes() == new else "mis à jour"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(new)
            print(f"{target.relative_to(ROOT)} : {state}")
    print("Relisez les différences (git diff tests/golden) avant de les valider.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
