"""The shortcuts taken for speed give exactly what the long way gives.

Each fast path (quick YAML reading, plain references without Jinja, parallel loading,
incremental build) is checked against the slow path it stands for. No timing here:
speed is measured by ``make bench`` (docs/performance.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bilan import narrative, yamlio
from bilan.locatedyaml import read_located
from bilan.quickyaml import Irregular, quick_load
from bilan.references import plain_references
from bilan.validate import validate_data
from tests.conftest import DATA, ROOT, DataMaker, bilan, fiche

sys.path.insert(0, str(ROOT / "benchmarks"))

import generate


def assert_quick_agrees(text: str) -> None:
    """The quick path either steps aside or reads what the builder reads, unrefused."""
    try:
        quick = quick_load(text)
    except (Irregular, yamlio.yaml.YAMLError):
        return
    data, _positions, diagnostics = read_located(text, "f.yaml")
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
    for item in generated:
        fiche, report = generate.files_of(item)
        texts += [generate.to_yaml(fiche), generate.to_yaml(report, "bilan")]
    for text in texts:
        assert isinstance(quick_load(text), dict)
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
    text = (DATA / "rapports" / "2016" / "bilans" / "p11-salles-de-spectacle.yaml").read_text(
        "utf-8"
    )
    doc, found = yamlio.parse(text, "f.yaml")
    assert doc is not None and not found
    _data, positions, _found = read_located(text, "f.yaml")
    assert doc.positions == positions.values
    assert doc.key_positions == positions.keys
    assert doc.raw == positions.raw
    assert doc.locate(("indicateurs", 2, "valeur")) == (31, 13)


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
    files["e12-test.yaml"] = fiche("e12-autre", number=12)
    files["2016/e12-test.yaml"] = bilan("e12-test", phases="[1, 3, 2]")
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
