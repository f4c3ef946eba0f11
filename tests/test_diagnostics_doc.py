"""docs/diagnostics.md is the catalogue's page, up to date: every code once, and no other."""

from __future__ import annotations

import re
from collections import Counter

from bilan.catalogue import CATALOGUE, SLIPS
from bilan.catalogue_doc import render
from tests.conftest import ROOT

DOC = ROOT / "docs" / "diagnostics.md"
HEADING = re.compile(r"^### ([A-Z]\d{3}) — ", re.MULTILINE)


def test_page_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/diagnostics.md est périmé : lancez « make docs »"
    )


def test_every_code_has_one_section_and_no_other() -> None:
    documented = Counter(HEADING.findall(render()))
    assert sorted(documented) == sorted(CATALOGUE)
    assert all(count == 1 for count in documented.values())


def test_page_names_the_commands_that_exist() -> None:
    page = render()
    assert "n'existe pas dans la version actuelle" not in page
    assert "bilan new" in page and "bilan stats --year 2016 --format json" in page


def test_page_scores_the_usual_mistakes_in_a_table() -> None:
    page = render()
    section = page[page.index("## Erreurs de saisie courantes") : page.index("## Les exemples")]
    rows = [line for line in section.splitlines() if re.match(r"\| \d+ \|", line)]
    assert [row.split(" | ")[1] for row in rows] == [slip.mistake for slip in SLIPS]
    assert f"**{sum(slip.score for slip in SLIPS)} sur {2 * len(SLIPS)}**" in section
