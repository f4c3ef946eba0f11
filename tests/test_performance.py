"""The shortcuts taken for speed give exactly what the long way gives.

Each fast path (quick YAML reading, plain references without Jinja, parallel loading,
incremental build) is checked against the slow path it stands for. No timing here:
speed is measured by ``make bench`` (docs/performance.md).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bilan import narrative, rules, yamlio
from bilan.build import PROJECT_TEMPLATES, BuildOptions, build
from bilan.buildcache import CACHE_DIR, BuildCache, code_salt
from bilan.dataset import LoadedFiche
from bilan.diagnostics import Diagnostic
from bilan.models import Fiche
from bilan.references import plain_references
from bilan.render import environment, single_blank_lines
from bilan.validate import validate_data
from bilan.workers import in_background
from bilan.writer import MANIFEST, ForeignFiles
from tests.conftest import DATA, ROOT, DataMaker, fiche

sys.path.insert(0, str(ROOT / "benchmarks"))

import generate


def _builder(text: str) -> tuple[object, list[object]]:
    builder = yamlio._Builder("f.yaml")
    loader = yamlio._Loader(text)
    try:
        builder.run(yamlio._events(loader))
    except (yamlio._Abort, yamlio.yaml.YAMLError):
        return None, ["refused"]
    finally:
        loader.dispose()
    return builder.doc.data, builder.diagnostics


def assert_quick_agrees(text: str) -> None:
    """The quick path either steps aside or reads what the builder reads, unrefused."""
    try:
        quick = yamlio._quick(text)
    except (yamlio._Irregular, yamlio.yaml.YAMLError):
        return
    data, diagnostics = _builder(text)
    assert diagnostics == []
    assert quick == data
    assert [type(v) for v in _leaves(quick)] == [type(v) for v in _leaves(data)]


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in (k, *_leaves(v))]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_quick_yaml_agrees_on_real_and_generated_fiches(tmp_path: Path) -> None:
    generated = generate.fiches(40, 7, generate.read_communes(DATA / "communes.yaml"))
    texts = [p.read_text("utf-8") for p in sorted(DATA.rglob("*.yaml"))]
    texts += [generate.to_yaml(f) for f in generated]
    for text in texts:
        assert isinstance(yamlio._quick(text), dict)
        assert_quick_agrees(text)


TRICKY = [
    "a: 1\nb: 2\na: 3\n",
    "a: &x [1]\nb: *x\n",
    "a: &x [1]\n",
    "a: !!str 1\n",
    "a: !!int '1'\n",
    "a: !custom 1\n",
    "? [a, b]\n: 1\n",
    "1: a\n1: b\n",
    "2016: a\n0x7E0: b\n",
    "true: a\n",
    "null: a\n",
    ": a\n",
    "2016-01-01: a\n",
    "1.5: a\n",
    "a: 1\n---\nb: 2\n",
    "a: '\\u202e'\n",
    'a: "\\u202e"\n',
    'a: "\\x07"\n',
    "<<: {a: 1}\n",
    "a: =\n",
    "a: 99999999999999999999999999999\n",
    "a: 2016-13-45\n",
    "a: .nan\n",
    "a: on\nb: 2016-06-01\nc: ~\n",
    "[" * 60 + "]" * 60,
    "a: " + "[" * 45 + "]" * 45 + "\n",
    "",
    "- a\n",
    "a: |\n  x\n  y\nb: >-\n  z\n  w\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_quick_yaml_steps_aside_or_agrees(text: str) -> None:
    assert_quick_agrees(text)


_yaml_pieces = st.sampled_from(
    ["a", "b", "2016", "on", "~", "'x'", '"y"', ": ", ":", "- ", "\n", "  ", "[", "]", "{",
     "}", ", ", "&k ", "*k", "!!str ", "? ", "#c", "|\n  t", "1.5", "0x10", "<<", "é"]
)  # fmt: skip


@given(st.lists(_yaml_pieces, max_size=30).map("".join))
@settings(max_examples=500, deadline=None)
def test_quick_yaml_agrees_on_arbitrary_text(text: str) -> None:
    assert_quick_agrees(text)


def test_lazy_positions_are_the_builders() -> None:
    text = (DATA / "actions" / "p11-salles-de-spectacle.yaml").read_text("utf-8")
    doc, found = yamlio.parse(text, "f.yaml")
    assert doc is not None and not found
    builder = yamlio._Builder("f.yaml")
    builder.run(yamlio._events(yamlio._Loader(text)))
    assert doc.positions == builder.doc.positions
    assert doc.key_positions == builder.doc.key_positions
    assert doc.raw == builder.doc.raw
    assert doc.locate(("bilans", 2016, "indicateurs", 2, "valeur")) == (65, 17)


def _jinja_references(source: str) -> list[tuple[list[str], int]] | None:
    """What the Jinja path reads, or None when it reports a malformed reference."""
    from jinja2 import TemplateSyntaxError

    try:
        tree = narrative._sandbox().parse(source)
    except (TemplateSyntaxError, RecursionError):
        return None
    if narrative._not_a_reference(tree) is not None:
        return None
    return list(narrative._references(tree))


_text_pieces = st.sampled_from(
    ["{{", "}}", "{", "}", "{%", "%}", "{#", "#}", " ", "\n", "\r", ".", "[0]", "[07]", "[1]",
     "chiffres", "actions", "total", "none", "not", "x_1", "é", "-", "|", "a b", "'k'",
     "{{ chiffres.actions.total }}", "{{chiffres.par_action[1].titre}}", "{{ x_1 }}",
     "{{ none }}", "{{\tchiffres.inconnu }}", "{{ a.b[0] }}", "{{- a }}"]
)  # fmt: skip


@given(st.lists(_text_pieces, max_size=25).map("".join))
@settings(max_examples=1000, deadline=None)
def test_plain_references_read_as_jinja_does(source: str) -> None:
    plain = plain_references(source)
    if plain is not None:
        assert plain == _jinja_references(source)


def test_plain_references_cover_the_real_narrative() -> None:
    for path in sorted((DATA / "rapports").rglob("*.md")):
        text = path.read_text("utf-8")
        plain = plain_references(text)
        assert plain is not None, path
        assert plain == _jinja_references(text)


def test_parallel_validation_is_the_serial_one(make_data: DataMaker) -> None:
    files: dict[str, str | bytes] = {
        f"e{n:02d}-test.yaml": fiche(f"e{n:02d}-test", number=n) for n in range(1, 30)
    }
    files["e05-test.yaml"] = fiche("e05-test", number=5).replace("objectifs:", "objectif:")
    files["e09-test.yaml"] = b"id: [\n"
    files["e12-test.yaml"] = fiche("e12-autre", number=12, phases="[1, 3, 2]")
    files["notes.txt"] = "pas une fiche"
    data = make_data(files)
    serial = validate_data(data, jobs=1)
    for jobs in (2, 3):
        parallel = validate_data(data, jobs=jobs)
        assert parallel.diagnostics == serial.diagnostics
        assert parallel.files == serial.files
        assert [(i.stem, i.fiche) for i in parallel.dataset.fiches] == [
            (i.stem, i.fiche) for i in serial.dataset.fiches
        ]
    assert {d.code for d in serial.diagnostics} >= {"S001", "Y001", "R001", "R005", "F002"}


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of an edition, its manifest too (the same with or without the cache)."""
    assert (folder / MANIFEST).is_file()
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
        data / "actions" / "p11-salles-de-spectacle.yaml",
        "Signature d'une convention tripartite",
        "Signature (modifiée) d'une convention tripartite",
    ),
    "report-settings": lambda data, _t: _edit(
        data / "rapports" / "2016" / "rapport.yaml", "Janvier 2017", "Février 2017"
    ),
    "communes": lambda data, _t: _edit(data / "communes.yaml", "nom: Baillargues", "nom: Baillargue"),
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
        data / "actions" / "p11-salles-de-spectacle.yaml", "etat: en-cours", "etat: terminee"
    ),
    "warning": lambda data, _t: _edit(
        data / "actions" / "e04-reseau-finances-fiscalite.yaml", "titre:", "titre: Archives ;"
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_incremental_build_is_the_full_build(real_data: Path, tmp_path: Path, edit: str) -> None:
    templates = tmp_path / "gabarits"
    shutil.copytree(PROJECT_TEMPLATES, templates)
    out = tmp_path / "out"
    first = _build(real_data, out, templates=templates)
    kept = (first / "actions" / "e04-reseau-finances-fiscalite.html").stat().st_ino
    EDITS[edit](real_data, templates)
    incremental = _snapshot(_build(real_data, out, templates=templates))
    full = _snapshot(_build(real_data, tmp_path / "full", cache=False, templates=templates))
    assert incremental == full
    page = (out / "2016" / "actions" / "e04-reseau-finances-fiscalite.html").stat().st_ino
    assert (page == kept) == (edit in ("one-fiche", "narrative", "new-fiche", "figure"))  # linked


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
        page.unlink()  # gone, its format is built again
        assert _snapshot(_build(real_data, out)) == expected


def test_cached_fiches_are_not_read_again(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _build(real_data, tmp_path / "out")
    _edit(real_data / "actions" / "e07-archives.yaml", "titre:", "titre: Archives ;")
    parsed: list[str] = []
    real_parse = yamlio.parse

    def counting(text: str, path: str) -> tuple[yamlio.Document | None, list[object]]:
        parsed.append(Path(path).name)
        return real_parse(text, path)

    monkeypatch.setattr(yamlio, "parse", counting)
    _build(real_data, tmp_path / "out")
    assert [name for name in parsed if name.startswith(("e", "p"))] == ["e07-archives.yaml"]


def test_unchanged_fiches_are_only_summarised(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After one edit, the cache's copy of a fiche is read whole only for the pages made
    again (the edited fiche's neighbours, which link to it) and the headings they show
    (their own neighbours'); the fiche rules run on the edited fiche only."""
    _build(real_data, tmp_path / "out")
    _edit(real_data / "actions" / "e07-archives.yaml", "titre:", "titre: Archives ;")
    read: list[str] = []
    checked: list[str] = []
    real_fiche, real_findings = BuildCache.fiche, rules.fiche_findings

    def counting_fiche(self: BuildCache, digest: str) -> Fiche:
        fiche = real_fiche(self, digest)
        read.append(fiche.id)
        return fiche

    def counting_findings(item: LoadedFiche, context: rules.RuleContext) -> list[Diagnostic]:
        checked.append(item.id)
        return real_findings(item, context)

    monkeypatch.setattr(BuildCache, "fiche", counting_fiche)
    monkeypatch.setattr(rules, "fiche_findings", counting_findings)
    _build(real_data, tmp_path / "out")
    assert checked == ["e07-archives"]
    assert sorted(read) == [
        "e05-groupements-achats",
        "e06-maintenance-equipements-climatiques",
        "e08-pcaet",
        "e09-sig-intercommunal",
    ]


def test_diagnostics_are_the_same_from_the_cache(real_data: Path, tmp_path: Path) -> None:
    """Warnings found in the previous build come back from the cache, unchanged."""
    fiche_e04 = real_data / "actions" / "e04-reseau-finances-fiscalite.yaml"
    _edit(fiche_e04, "    titre: Réseau thématique Finances et fiscalité", "    titre: Archives")
    _edit(real_data / "actions" / "e07-archives.yaml", "phases: [", "phases: [4, ")
    expected = validate_data(real_data).diagnostics
    assert {d.code for d in expected} >= {"R005", "R010", "R013"}
    options = BuildOptions(
        year=2016, data=real_data, out=tmp_path / "out", formats=frozenset({"data"})
    )
    first, second = build(options), build(options)
    assert first.diagnostics == second.diagnostics == expected


def test_a_damaged_cached_fiche_is_read_from_its_file(real_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    expected = _snapshot(_build(real_data, tmp_path / "full", cache=False))
    _build(real_data, out)
    lines = (out / CACHE_DIR / "fiches.jsonl").read_bytes().split(b"\n")
    damaged = [line.replace(b'"titre":', b'"titre"', 1) for line in lines]  # each JSON broken
    (out / CACHE_DIR / "fiches.jsonl").write_bytes(b"\n".join(damaged))
    (out / CACHE_DIR / "2016.findings.json").unlink()  # every fiche is checked again
    assert _snapshot(_build(real_data, out)) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="a\n", max_size=12), max_size=8))
def test_blank_lines_are_single_whatever_the_pieces(pieces: list[str]) -> None:
    """The build cache keeps Markdown fragments with single blank lines: the whole report
    is then the same as if the whole had been normalised at once."""
    whole = "".join(pieces)
    expected = re.sub(r"\n{3,}", "\n\n", whole)
    assert single_blank_lines(whole) == expected
    assert single_blank_lines("".join(map(single_blank_lines, pieces))) == expected
    assert single_blank_lines(whole.encode()) == expected.encode()


def test_cached_loops_render_as_plain_loops(tmp_path: Path) -> None:
    """``{% cache for %}`` gives what a ``{% for %}`` around ``{% cache %}`` gives, with or
    without a cache, nested fragments included, twice (from the cache the second time)."""
    (tmp_path / "t.html.j2").write_text(
        "{% cache for n in nombres, suffixe %}<{{ n }}{{ suffixe }}>"
        "{% cache n %}[{{ n * 2 }}]{% endcache %}{% endcache %}|"
        "{% for n in nombres %}<{{ n }}{{ suffixe }}>[{{ n * 2 }}]{% endfor %}",
        "utf-8",
    )
    env = environment([tmp_path])
    template = env.get_template("t.html.j2")
    context = {"nombres": [1, 2, 3, 2], "suffixe": "&"}
    plain = template.render(context)
    looped, expected = plain.split("|")
    assert looped == expected == "<1&amp;>[2]<2&amp;>[4]<3&amp;>[6]<2&amp;>[4]"
    salt = code_salt([tmp_path])
    for _ in range(2):
        cache = BuildCache(tmp_path / "out", 2016, salt)
        env.fragment_cache = cache  # type: ignore[attr-defined]
        assert cache.splice(template.render(context)).decode() == plain
        cache.save(tmp_path / "out" / "2016", [])
    assert cache.fragments and all(text is None for text in cache.fragments.values())


def test_table_rows_are_kept_while_their_table_is(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build that reuses a whole table keeps the rows it holds: when a figure changes
    later, only that row is rendered again (not the table's 27 rows, twice)."""
    out = tmp_path / "out"
    _build(real_data, out)
    EDITS["one-fiche"](real_data, tmp_path)  # the tables are reused whole
    _build(real_data, out)
    EDITS["figure"](real_data, tmp_path)  # one row of each table changes
    rendered: list[str] = []
    real = BuildCache.fragment_bytes

    def counting(self: BuildCache, key: str, render: Callable[[], str]) -> bytes:
        def counted() -> str:
            rendered.append(key)
            return render()

        return real(self, key, counted)

    monkeypatch.setattr(BuildCache, "fragment_bytes", counting)
    incremental = _snapshot(_build(real_data, out))
    # The two tables, their changed row, the edited fiche and its two neighbours (whose
    # pages link to it), each in the HTML and the Markdown.
    assert len(rendered) == 2 * (1 + 1 + 1 + 2)
    assert incremental == _snapshot(_build(real_data, tmp_path / "full", cache=False))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="a\n", max_size=6), st.lists(st.text(alphabet="a\n", max_size=6)))
def test_blank_runs_across_spliced_fragments_are_found(text: str, pieces: list[str]) -> None:
    """Fragments have single blank lines: a run left in the spliced Markdown can only
    cross a join, which is all the build looks at before normalising the whole again."""
    cache = BuildCache(Path("/nonexistent"), 2016, "salt")
    mark = cache.spliced([single_blank_lines(piece).encode() for piece in pieces])
    data = cache.splice(single_blank_lines(text + mark + text))
    assert cache.met_at_joins(data, b"\n\n\n") == (b"\n\n\n" in data)


_SEEN: list[int] = []


def _remember(number: int) -> int:
    _SEEN.append(number)
    return number * 2


def test_work_in_background_gives_its_result_or_its_error() -> None:
    """The open data is written by a forked copy: its result comes back, its errors are
    raised here, and what it changes stays in the copy."""
    assert in_background(_remember, 21)() == 42
    assert _SEEN == []  # appended in the copy only
    with pytest.raises(ZeroDivisionError):
        in_background(divmod, 1, 0)()
    pending = [in_background(_remember, n) for n in range(3)]
    assert [wait() for wait in pending] == [0, 2, 4]


def _stop_in_copy(parent: int) -> int:
    if os.getpid() != parent:
        os._exit(1)  # as if the copy had been killed before answering
    return 7


def test_work_in_background_is_done_here_if_the_copy_stops() -> None:
    assert in_background(_stop_in_copy, os.getpid())() == 7
