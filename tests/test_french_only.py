"""No English from a library reaches the person who edits: whatever the fiche or the
narrative looks like, every message and every hint is French.

PyYAML, pydantic and Jinja explain their errors in English (« could not find expected
':' », « Input should be a valid integer », « unexpected '}' »); each is translated or
replaced. Broken inputs are generated from a valid fiche, as hands break it.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bilan.diagnostics import Diagnostic
from bilan.modelerrors import COMMUNE_NAMES, check_model, commune_index
from bilan.models import CommunesFile, Fiche, Report
from bilan.validate import validate_data
from bilan.yamlio import load_bytes
from tests.test_messages import BILAN, COMMUNES, EDITO, FICHE, MISTAKES, Mistake, write_data
from tests.test_performance import TRICKY

ENGLISH = re.compile(
    r"\b(found|expected|could not|did not|not allowed|cannot|while (scanning|parsing)|"
    r"mapping|scalar|token|stream|indicator|should|input|valid|field required|extra|keys?|"
    r"unexpected|got|end of|string|integer|dictionary|character|template|error|missing|"
    r"encountered|unknown|undefined|statement|literal|value)\b",
    re.IGNORECASE,
)
"""Words of PyYAML's, pydantic's and Jinja's messages that French text does not use."""

_communes = CommunesFile.model_validate(
    __import__("yaml").safe_load(COMMUNES)  # the same file the data folders hold
)
CONTEXT = {COMMUNE_NAMES: commune_index(_communes)}


def diagnostics_of(text: str, model: type[Fiche] | type[Report] = Report) -> list[Diagnostic]:
    """What a bilan (or a fiche) written so gives, without the data folder around it."""
    doc, found = load_bytes(text.encode("utf-8"), "e01-test.yaml")
    if doc is None:
        return found
    return check_model(doc, model, CONTEXT)[1]


def assert_french(diagnostics: list[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        for text in (diagnostic.message, diagnostic.hint):
            english = ENGLISH.search(re.sub(r"tag:yaml\.org,2002:\w+|![\w!/]*", "", text))
            assert english is None, f"« {english.group()} » dans : {text}" if english else ""


def test_the_detector_sees_english() -> None:
    assert ENGLISH.search("Input should be a valid integer")
    assert ENGLISH.search("could not find expected ':'")
    assert ENGLISH.search("unexpected '}'")
    assert not ENGLISH.search("« valeur » doit être un nombre, pas le texte « 6,5 » : valide")


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_yaml_is_reported_in_french(text: str) -> None:
    assert_french(diagnostics_of(text))


@pytest.mark.parametrize("case", MISTAKES, ids=[m.id for m in MISTAKES])
def test_each_mistake_is_reported_in_french(case: Mistake) -> None:
    if case.file == "bilan":
        assert_french(diagnostics_of(BILAN.replace(case.old, case.new, 1)))
    else:
        assert_french(diagnostics_of(FICHE.replace(case.old, case.new, 1), Fiche))


_TROUBLE = [":", ": ", "'", '"', "-", "- ", " ", "  ", "\t", "\u00a0", "\u202f", "[", "]", "{",
            "}", "#", "*", "&", "!", "|", ">", "%", "@", "`", "“", "”", "«", "»", ",", "\n",
            "?", "~", "é", "2017:", "<<<<<<< HEAD\n", "=======\n", "\\", "\\x", "0x", "1e9",
            "yes", "null", "2016-13-45", "T1 2017", "6,5", "24 500 000", "32 000 €"]  # fmt: skip
LINES = BILAN.split("\n")


@st.composite
def broken_bilan(draw: st.DrawFn) -> str:
    """The bilan after a few edits as a hand makes them: a character typed, a character
    deleted, a line indented or dedented, a line duplicated, moved or deleted."""
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        edit = draw(st.sampled_from(["insert", "delete", "indent", "dedent", "copy", "drop"]))
        if edit == "insert":
            at = draw(st.integers(0, len(line)))
            lines[index] = line[:at] + draw(st.sampled_from(_TROUBLE)) + line[at:]
        elif edit == "delete" and line:
            at = draw(st.integers(0, len(line) - 1))
            lines[index] = line[:at] + line[at + 1 :]
        elif edit == "indent":
            lines[index] = " " * draw(st.integers(1, 4)) + line
        elif edit == "dedent":
            lines[index] = line[draw(st.integers(1, 4)) :] if line.startswith(" ") else line
        elif edit == "copy":
            lines.insert(draw(st.integers(0, len(lines))), line)
        elif edit == "drop":
            del lines[index]
    return "\n".join(lines)


@given(broken_bilan())
@settings(max_examples=1500, deadline=None)
def test_broken_bilans_are_reported_in_french(text: str) -> None:
    found = diagnostics_of(text)
    assert_french(found)
    for diagnostic in found:
        assert diagnostic.hint, diagnostic  # every error says how to fix it
        assert 0 < diagnostic.line <= text.count("\n") + 2, diagnostic


_TEXT_TROUBLE = ["{", "}", "{{", "}}", "{%", "%}", "{#", "#}", " ", ".", "..", "|", "(", ")",
                 "'", '"', "[0]", "[", "]", "chiffres", "actions", "total", "x", "-", "!", "\n",
                 "<<<<<<< HEAD\n", "=======\n", ">>>>>>> b\n", "+ 1", "*"]  # fmt: skip


@given(edits=st.lists(st.tuples(st.integers(0, 200), st.sampled_from(_TEXT_TROUBLE)), max_size=3))
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_broken_narratives_are_reported_in_french(
    edits: list[tuple[int, str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    text = EDITO
    for at, piece in edits:
        at = min(at, len(text))
        text = text[:at] + piece + text[at:]
    data = write_data(tmp_path_factory.mktemp("data"), edito=text)
    found = validate_data(data).diagnostics
    assert_french(found)


def test_the_base_files_load_without_a_message() -> None:
    """The generator above starts from a valid bilan (else every example would fail)."""
    assert diagnostics_of(BILAN) == []
    assert diagnostics_of(FICHE, Fiche) == []
