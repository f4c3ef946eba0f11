"""Render units and the incremental build: the cache gives exactly what a full build gives.

Each unit is rendered from its declared inputs only, so a template cannot show something
its key does not cover; the tests below check the incremental build against a full one
after each kind of edit, and that what the cache skips is really skipped.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bilan import rules, yamlio
from bilan.build import BuildOptions, build, project_templates
from bilan.diagnostics import Diagnostic
from bilan.document import Document
from bilan.errors import BuildError
from bilan.incremental import (
    CACHE_DIR,
    INDEX,
    BuildCache,
    CachedFiche,
    CompiledTemplates,
    Store,
    code_salt,
)
from bilan.render import UnitRenderer
from bilan.units import Unit
from bilan.validate import validate_data
from bilan.vocabulary import default_vocabulary
from bilan.writer import ForeignFiles
from tests.conftest import fiche


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _build(data: Path, out: Path, cache: bool = True, templates: Path | None = None) -> Path:
    options = BuildOptions(
        year=2016,
        data=data,
        out=out,
        templates=templates,
        formats=frozenset({"html", "md", "data"}),
        cache=cache,
    )
    return build(options).target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


EDITS = {
    "one-fiche": lambda data, _t: _edit(
        data / "rapports" / "2016" / "bilans" / "p11-salles-de-spectacle.yaml",
        "Signature d'une convention tripartite",
        "Signature (modifiée) d'une convention tripartite",
    ),
    "report-settings": lambda data, _t: _edit(
        data / "rapports" / "2016" / "rapport.yaml", "Janvier 2017", "Février 2017"
    ),
    "communes": lambda data, _t: _edit(
        data / "communes.yaml", "nom: Baillargues", "nom: Baillargue"
    ),
    "narrative": lambda data, _t: _edit(
        data / "rapports" / "2016" / "01-rappel-demarche.md", "schéma", "schéma (modifié)"
    ),
    "template": lambda _d, templates: _edit(
        templates / "_fiche.html.j2", "Difficultés rencontrées", "Difficultés constatées"
    ),
    "new-fiche": lambda data, _t: (data / "actions" / "p13-nouvelle-action.yaml").write_text(
        fiche("p13-nouvelle-action", kind="prospective", number=13), "utf-8"
    ),
    "figure": lambda data, _t: _edit(
        data / "rapports" / "2016" / "bilans" / "p11-salles-de-spectacle.yaml",
        "etat: en-cours",
        "etat: terminee",
    ),
    "warning": lambda data, _t: _edit(
        data / "actions" / "e04-reseau-finances-fiscalite.yaml", "titre:", "titre: Archives ;"
    ),
}
KEEPS_E04_PAGE = {"one-fiche", "narrative", "new-fiche", "figure", "communes"}
"""The edits that change nothing e04's page shows: its file is kept (linked), not written."""


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_incremental_build_is_the_full_build(real_data: Path, tmp_path: Path, edit: str) -> None:
    templates = tmp_path / "gabarits"
    shutil.copytree(project_templates(), templates)
    out = tmp_path / "out"
    first = _build(real_data, out, templates=templates)
    kept = (first / "actions" / "e04-reseau-finances-fiscalite.html").stat().st_ino
    EDITS[edit](real_data, templates)
    incremental = _snapshot(_build(real_data, out, templates=templates))
    full = _snapshot(_build(real_data, tmp_path / "full", cache=False, templates=templates))
    assert incremental == full
    page = (out / "2016" / "actions" / "e04-reseau-finances-fiscalite.html").stat().st_ino
    assert (page == kept) == (edit in KEEPS_E04_PAGE)


def test_a_template_shows_only_its_inputs(real_data: Path, tmp_path: Path) -> None:
    """A customised fiche template that shows the year's figures (which a fiche's section
    is not given) fails in French, naming the template and its line: it cannot go stale."""
    templates = tmp_path / "gabarits"
    templates.mkdir()
    original = (project_templates() / "_fiche.html.j2").read_text("utf-8")
    lines = original.split("\n")
    at = next(i for i, line in enumerate(lines) if "fiche-titre" in line)
    lines.insert(at + 1, "<p>{{ chiffres.actions.total }} actions</p>")
    (templates / "_fiche.html.j2").write_text("\n".join(lines), "utf-8")
    with pytest.raises(BuildError) as raised:
        _build(real_data, tmp_path / "out", templates=templates)
    message = raised.value.message
    assert f"gabarits/_fiche.html.j2, ligne {at + 2}" in message
    assert "« chiffres » n'est pas défini" in message
    assert "ce gabarit reçoit : annee, lien, vue" in message
    assert not (tmp_path / "out" / "2016").exists()


def test_a_damaged_or_edited_cache_or_output_is_not_trusted(
    real_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    target = _build(real_data, out)
    expected = _snapshot(target)
    cache = out / CACHE_DIR
    for path in cache.iterdir():
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] + b"\x00garbage" + data[len(data) // 2 :])
    assert _snapshot(_build(real_data, out)) == expected
    page = target / "actions" / "e04-reseau-finances-fiscalite.html"
    for edited in ("modifiée à la main", page.read_text("utf-8").replace("<html", "<html data-x")):
        page.write_text(edited, "utf-8")  # an edited output is not bilan's: not replaced
        with pytest.raises(ForeignFiles, match="a été modifié depuis que bilan l'a écrit"):
            _build(real_data, out)
        assert page.read_text("utf-8") == edited
        page.unlink()  # gone: its format is built again
        assert _snapshot(_build(real_data, out)) == expected


def test_damaged_entries_are_computed_again(real_data: Path, tmp_path: Path) -> None:
    """Every entry of the cache's file damaged, its index intact: the checksums see it."""
    out = tmp_path / "out"
    expected = _snapshot(_build(real_data, tmp_path / "full", cache=False))
    _build(real_data, out)
    blob = next((out / CACHE_DIR).glob("*.blob"))
    blob.write_bytes(bytes(byte ^ 0x20 for byte in blob.read_bytes()))
    (out / "2016" / "index.html").unlink()
    assert _snapshot(_build(real_data, out)) == expected


def test_a_cached_fiche_that_does_not_read_back_is_read_from_its_file(
    real_data: Path, tmp_path: Path
) -> None:
    """An entry with a right checksum but a model that no longer reads (a cache written by
    hand, or by a version whose models differed): the fiche comes from its file."""
    out = tmp_path / "out"
    expected = _snapshot(_build(real_data, tmp_path / "full", cache=False))
    _build(real_data, out)
    salt = code_salt([project_templates()], real_data)
    store = Store(out / CACHE_DIR, salt)
    index = (out / CACHE_DIR / INDEX).read_text("utf-8")
    keys = [key for key in store._entries if key.startswith(("f:", "b:", "r:"))]
    assert keys and salt in index
    for key in keys:
        store.put(key, b'["x", [{"type": 1}]]\t{"id": 3}' if key.startswith("f:") else b"[")
    store.save()
    for path in (out / "2016").rglob("*.html"):
        path.unlink()
    assert _snapshot(_build(real_data, out)) == expected


def test_cached_fiches_are_not_read_again(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _build(real_data, tmp_path / "out")
    _edit(real_data / "actions" / "e07-archives.yaml", "titre:", "titre: Archives ;")
    parsed: list[str] = []
    real_parse = yamlio.parse

    def counting(text: str, path: str) -> tuple[Document | None, list[object]]:
        parsed.append(Path(path).name)
        return real_parse(text, path)

    monkeypatch.setattr(yamlio, "parse", counting)
    _build(real_data, tmp_path / "out")
    assert [name for name in parsed if name.startswith(("e", "p"))] == ["e07-archives.yaml"]


def test_unchanged_fiches_are_only_summarised(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After one edit, the cache's copy of a fiche is read whole only for the pages made
    again (the edited fiche's neighbours, which link to it, and the page of the commune it
    names, Montpellier) and the headings they show (their own neighbours'; the fiches on
    Montpellier's page); the bilan rules run on the edited fiche's bilan only."""
    _build(real_data, tmp_path / "out")
    _edit(real_data / "actions" / "e07-archives.yaml", "titre:", "titre: Archives ;")
    read: list[str] = []
    checked: list[str] = []
    real_fiche, real_findings = CachedFiche.fiche, rules.bilan_findings

    def counting_fiche(self: CachedFiche) -> object:
        if self._fiche is None:
            read.append(self.stem)
        return real_fiche.fget(self)  # type: ignore[attr-defined]

    def counting_findings(entry: rules.BilanEntry, context: rules.RuleContext) -> list[Diagnostic]:
        checked.append(entry.fiche.id)
        return real_findings(entry, context)

    monkeypatch.setattr(CachedFiche, "fiche", property(counting_fiche))
    monkeypatch.setattr(rules, "bilan_findings", counting_findings)
    _build(real_data, tmp_path / "out")
    assert checked == ["e07-archives"]
    on_montpellier = set()
    for path in (real_data / "rapports" / "2016" / "bilans").glob("*.yaml"):
        bilan = yaml.safe_load(path.read_text("utf-8"))
        counts = [
            i.get("valeur")
            for i in bilan.get("indicateurs", [])
            if i.get("categorie") == "communes"
        ]
        if "montpellier" in bilan.get("communes", []) or 31 in counts:
            on_montpellier.add(path.stem)
    neighbours = {
        "e05-groupements-achats",
        "e06-maintenance-equipements-climatiques",
        "e08-pcaet",
        "e09-sig-intercommunal",
    }
    assert sorted(read) == sorted((neighbours | on_montpellier) - {"e07-archives"})


def test_diagnostics_are_the_same_from_the_cache(real_data: Path, tmp_path: Path) -> None:
    """Warnings found in the previous build come back from the cache, unchanged."""
    fiche_e04 = real_data / "actions" / "e04-reseau-finances-fiscalite.yaml"
    _edit(fiche_e04, "    titre: Réseau thématique Finances et fiscalité", "    titre: Archives")
    _edit(
        real_data / "rapports" / "2016" / "bilans" / "e07-archives.yaml",
        "phases: [",
        "phases: [4, ",
    )
    expected = validate_data(real_data).diagnostics
    assert {d.code for d in expected} >= {"R005", "R010", "R013"}
    options = BuildOptions(
        year=2016, data=real_data, out=tmp_path / "out", formats=frozenset({"data"})
    )
    first, second = build(options), build(options)
    assert first.diagnostics == second.diagnostics == expected


def test_only_what_changed_is_rendered(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One figure changes: the units that show it are rendered again (the figures' tables
    and their changed row, the pages that hold them, the fiche and its neighbours' pages,
    the open data), the other 26 rows and every other fiche's section are taken as they
    were."""
    out = tmp_path / "out"
    _build(real_data, out)
    EDITS["figure"](real_data, tmp_path)
    rendered: Counter[str] = Counter()
    real = UnitRenderer.render

    def counting(self: UnitRenderer, unit: Unit) -> str:
        rendered[unit.name] += 1
        return real(self, unit)

    monkeypatch.setattr(UnitRenderer, "render", counting)
    incremental = _snapshot(_build(real_data, out))
    assert rendered == {
        "index.html.j2": 1,
        "chiffres.html.j2": 1,
        "chiffres-ligne.html.j2": 1,
        "fiche-section.html.j2": 1,
        "action.html.j2": 3,  # p11 and the pages of its two neighbours, which link to it
        "bilan.md.j2": 1,
        "chiffres.md.j2": 1,
        "chiffres-ligne.md.j2": 1,
        "fiche.md.j2": 1,
        "bilan.opendata.csv_text": 1,
        "bilan.opendata.json_text": 1,
        "bilan.opendata.datapackage": 1,
        "commune.html.j2": 9,  # the communes p11 names: their pages show its indicators
    }
    assert incremental == _snapshot(_build(real_data, tmp_path / "full", cache=False))


def test_units_render_the_same_from_the_cache(tmp_path: Path) -> None:
    """A page made of units gives the same text with or without the cache, from the cache
    the second time; its key follows its inputs and nothing else."""
    (tmp_path / "page.html.j2").write_text(
        "{% for s in sections %}{{ s }}{% endfor %}|{{ titre }}", "utf-8"
    )
    (tmp_path / "section.html.j2").write_text("<p>{{ n }} {{ texte }}</p>", "utf-8")

    def page(titre: str, texte: str) -> Unit:
        sections = tuple(Unit("section.html.j2", {"n": n, "texte": texte}) for n in range(3))
        return Unit("page.html.j2", {"sections": sections, "titre": titre})

    expected = UnitRenderer([tmp_path], default_vocabulary()).render(page("T&", "a<b"))
    assert expected == "<p>0 a&lt;b</p><p>1 a&lt;b</p><p>2 a&lt;b</p>|T&amp;"
    salt = code_salt([tmp_path])
    for _ in range(2):
        cache = BuildCache(tmp_path / "cache", salt)
        renderer = cache.renderer([tmp_path], default_vocabulary())
        assert renderer.render(page("T&", "a<b")) == expected
        cache.store.save()
    assert renderer.key(page("T&", "a<b")) == renderer.key(page("T&", "a<b"))
    assert renderer.key(page("T&", "a<b")) != renderer.key(page("T&", "a<c"))
    assert renderer.key(page("T&", "a<b")) != renderer.key(page("T", "a<b"))


def test_compiled_templates_follow_their_source(tmp_path: Path) -> None:
    """The templates compiled by a build are reused by the next ones of the process while
    their source is the same, compiled again once it changed; the HTML and the text
    environments each keep their own (escaping changes the code)."""
    (tmp_path / "t.html.j2").write_text("A {{ x }}", "utf-8")
    (tmp_path / "t.md.j2").write_text("A {{ x }}", "utf-8")
    compiled = (CompiledTemplates(), CompiledTemplates())
    unit, text = Unit("t.html.j2", {"x": "<b>"}), Unit("t.md.j2", {"x": "<b>"})
    first = UnitRenderer([tmp_path], default_vocabulary(), compiled)
    assert (first.render(unit), first.render(text)) == ("A &lt;b&gt;", "A &lt;b>")
    html_code = compiled[0]._code
    assert len(html_code) == 1 and len(compiled[1]._code) == 1
    [(checksum, code)] = html_code.values()
    again = UnitRenderer([tmp_path], default_vocabulary(), compiled)
    assert again.render(unit) == "A &lt;b&gt;"
    assert list(html_code.values()) == [(checksum, code)]  # the same code, not compiled again
    (tmp_path / "t.html.j2").write_text("B {{ x }}", "utf-8")
    changed = UnitRenderer([tmp_path], default_vocabulary(), compiled)
    assert changed.render(unit) == "B &lt;b&gt;"
    [(new_checksum, _code)] = html_code.values()
    assert new_checksum != checksum
