"""The YAML reader: data, positions and every refusal, at exact lines and columns."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bilan.yamlio import MAX_BYTES, load_bytes


def codes(raw: bytes) -> list[tuple[str, int, int]]:
    _doc, found = load_bytes(raw, "f.yaml")
    return [(d.code, d.line, d.column) for d in found]


def test_positions_of_keys_and_values() -> None:
    doc, found = load_bytes(b"a: 1\nb:\n  - x\n  - {c: 2016}\n", "f.yaml")
    assert not found and doc is not None
    assert doc.data == {"a": 1, "b": ["x", {"c": 2016}]}
    assert doc.positions[("a",)] == (1, 4)
    assert doc.positions[("b", 0)] == (3, 5)
    assert doc.positions[("b", 1, "c")] == (4, 9)
    assert doc.key_positions[("b", 1, "c")] == (4, 6)


def test_missing_path_points_at_longest_known_prefix() -> None:
    doc, _ = load_bytes(b"a:\n  b: 1\n", "f.yaml")
    assert doc is not None
    assert doc.locate(("a", "zzz")) == (2, 3)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a: 1\nb: 2\na: 3\n", [("Y002", 3, 1)]),
        (b"a:\n  x: 1\n  x: 2\n", [("Y002", 3, 3)]),
        (b"a: !!python/object/apply:os.system [echo]\n", [("Y003", 1, 4)]),
        (b"a: !custom 1\n", [("Y003", 1, 4)]),
        (b"a: &anchor [1]\nb: *anchor\n", [("Y004", 2, 4)]),
        (b"a:\n\t- 1\n", [("Y009", 2, 1)]),
        (b"a: b: c\n", [("Y001", 1, 5)]),
        (b"a: [1, 2\n", [("Y001", 1, 4)]),  # at the bracket left open
        (b"", [("Y007", 1, 1)]),
        (b"# only a comment\n", [("Y007", 1, 1)]),
        (b"- a\n- b\n", [("Y008", 1, 1)]),
        (b"just text\n", [("Y008", 1, 1)]),
        (b"a: 1\n---\nb: 2\n", [("Y011", 2, 1)]),
        (b"a: caf\xe9\n", [("Y005", 1, 7)]),
        (b"a: 1\nb: x\x07y\n", [("Y010", 2, 5)]),
        (b"[" * 200, [("Y006", 1, 41)]),
        (b"? [a, b]\n: 1\n", [("Y001", 1, 3)]),
    ],
)
def test_refusals_are_located(raw: bytes, expected: list[tuple[str, int, int]]) -> None:
    assert codes(raw) == expected


def test_bom_and_crlf_are_accepted() -> None:
    doc, found = load_bytes(b"\xef\xbb\xbfa: \xc3\xa9t\xc3\xa9\r\nb: 2\r\n", "f.yaml")
    assert not found and doc is not None
    assert doc.data == {"a": "été", "b": 2}
    assert doc.positions[("b",)] == (2, 4)


def test_yaml_11_values_are_kept_as_read() -> None:
    doc, _ = load_bytes(b"a: on\nb: 2016-06-01\nc: '08'\nd: non\n", "f.yaml")
    assert doc is not None
    assert doc.data["a"] is True
    assert doc.data["b"].year == 2016
    assert doc.data["c"] == "08"
    assert doc.data["d"] == "non"


def test_billion_laughs_is_refused_at_first_alias() -> None:
    bomb = b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n".encode()
        for i in range(8)
    )
    found = codes(bomb)
    assert found and all(code == "Y004" for code, _, _ in found)


def test_oversized_input_is_refused_without_parsing() -> None:
    assert codes(b"a: " + b"x" * MAX_BYTES) == [("F004", 0, 0)]


def test_same_positions_with_pure_python_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    from bilan import locatedyaml, quickyaml

    raw = b"a: 1\nb:\n  - x\n  - {c: \xc3\xa9t\xc3\xa9, d: [1, 2]}\n"
    fast, _ = load_bytes(raw, "f.yaml")
    assert fast is not None
    located = (fast.positions, fast.key_positions)  # found now, with libyaml
    monkeypatch.setattr(locatedyaml.yamlsafe, "Loader", yaml.SafeLoader)
    monkeypatch.setattr(quickyaml, "Loader", yaml.SafeLoader)
    slow, _ = load_bytes(raw, "f.yaml")
    assert slow is not None
    assert fast.data == slow.data
    assert located == (slow.positions, slow.key_positions)


printable = st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))
yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(printable, max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(printable, min_size=1, max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(
    st.dictionaries(st.text(printable, min_size=1, max_size=8), yaml_values, min_size=1, max_size=5)
)
@settings(max_examples=200, deadline=None)
def test_round_trip_agrees_with_pyyaml(data: dict[str, object]) -> None:
    raw = yaml.safe_dump(data, allow_unicode=True).encode()
    doc, found = load_bytes(raw, "f.yaml")
    assert not found and doc is not None
    assert doc.data == yaml.safe_load(raw)


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    doc, found = load_bytes(raw, "f.yaml")
    assert (doc is None) == bool(found)
    for diagnostic in found:
        assert diagnostic.code[0] in "YF"
