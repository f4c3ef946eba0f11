"""`bilan schema` and the JSON Schemas kept under schemas/: fresh, French, and in agreement
with the repository's data (checked by check-jsonschema, as an editor would)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bilan.cli import app
from bilan.schema import FIELD_TITLES, FILE_NAMES, MODEL_TEXTS, MODELS, build_schema, render
from tests.conftest import DATA, ROOT, fiche

SCHEMAS = ROOT / "schemas"

runner = CliRunner()


def check_jsonschema(schema: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("name", sorted(FILE_NAMES))
def test_repository_schemas_are_up_to_date(name: str) -> None:
    kept = (SCHEMAS / FILE_NAMES[name]).read_text(encoding="utf-8")
    assert kept == render(name), f"schemas/{FILE_NAMES[name]} est périmé : lancez « make schemas »"


def test_cli_prints_and_writes_the_schema(tmp_path: Path) -> None:
    printed = runner.invoke(app, ["schema"], catch_exceptions=False)
    assert printed.exit_code == 0
    assert printed.stdout == render("fiche")
    target = tmp_path / "communes.json"
    written = runner.invoke(app, ["schema", "communes", "--out", str(target)])
    assert written.exit_code == 0, written.output
    assert json.loads(target.read_text(encoding="utf-8")) == build_schema("communes")


def test_cli_refuses_an_unknown_model_and_an_unwritable_target(tmp_path: Path) -> None:
    unknown = runner.invoke(app, ["schema", "commune"])
    assert unknown.exit_code == 2
    assert "valeur invalide pour 'MODÈLE'" in unknown.stderr
    missing = runner.invoke(app, ["schema", "--out", str(tmp_path / "absent" / "s.json")])
    assert missing.exit_code == 2
    assert "impossible d'écrire" in missing.stderr
    assert "Traceback" not in missing.output


def _objects(name: str, schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object schema, with the name of its model."""
    yield MODELS[name].__name__, schema
    yield from schema.get("definitions", {}).items()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_object_and_field_has_a_french_title_and_description(name: str) -> None:
    """Titles and descriptions come from the French tables, not from the Python names and
    the English class docstrings that pydantic would use."""
    schema = build_schema(name)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    for model, obj in _objects(name, schema):
        assert (obj["title"], obj["description"]) == MODEL_TEXTS[model]
        for field, spec in obj.get("properties", {}).items():
            assert spec["title"] == FIELD_TITLES[field], (model, field)
            assert len(spec["description"]) > 10, (model, field)
            assert "\n" not in spec["description"], (model, field)


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_schema_is_plain_draft_07(name: str) -> None:
    """No pydantic-only keyword, no keyword beside a $ref (ignored by draft-07 editors)."""
    schema = build_schema(name)
    assert "$defs" not in schema
    for node in _walk(schema):
        if "$ref" in node:
            assert set(node) == {"$ref"}, node
            assert node["$ref"].startswith("#/definitions/")
        assert not {"ge", "le", "gt", "lt"} & set(node), node


def test_check_jsonschema_accepts_the_schemas_as_draft_07() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--check-metaschema",
            *map(str, SCHEMAS.glob("*.json")),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_fiche_of_the_repository_is_valid_for_the_schema() -> None:
    fiches = sorted((DATA / "actions").glob("*.yaml"))
    assert len(fiches) >= 25
    result = check_jsonschema(SCHEMAS / "fiche.schema.json", *fiches)
    assert result.returncode == 0, result.stdout + result.stderr
    result = check_jsonschema(SCHEMAS / "communes.schema.json", DATA / "communes.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_data_file_names_its_schema_on_its_first_line() -> None:
    """The line VS Code's YAML extension reads; its path is relative to the file."""

    def schema_of(path: Path) -> Path:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path.name
        return (path.parent / first.split("$schema=")[1]).resolve()

    for path in sorted((DATA / "actions").glob("*.yaml")):
        assert schema_of(path) == SCHEMAS / "fiche.schema.json", path.name
    assert schema_of(DATA / "communes.yaml") == SCHEMAS / "communes.schema.json"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("objectifs:", "objectif:"), "Additional properties are not allowed"),
        (("  2016:", "  16:"), "does not match"),
        (("etat: en-cours", "etat: encours"), "encours"),
        (("debut: 2015-T4", "debut: 2015-T5"), "2015-T5"),
        (("phases: [1, 2, 3, 4]", "phases: [1, 2, 5]"), "phases"),
        (
            (
                "      phases: [1, 2, 3, 4]\n",
                "      lignes: [{resultat: 1, phases: [1]}]\n      phases: [1]\n",
            ),
            "calendrier",
        ),
        (
            (
                "    calendrier:\n      debut: 2015-T4\n      phases: [1, 2, 3, 4]\n",
                "    points_forts: [Un point]\n",
            ),
            "bilans",
        ),
    ],
)
def test_schema_rejects_what_validate_rejects(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    text = fiche()
    assert change[0] in text
    path = tmp_path / "e01-test.yaml"
    path.write_text(text.replace(*change), encoding="utf-8")
    result = check_jsonschema(SCHEMAS / "fiche.schema.json", path)
    assert result.returncode == 1, result.stdout
    assert expected in result.stdout
    invalid = runner.invoke(app, ["validate", "--data", str(_data_with(tmp_path, path))])
    assert invalid.exit_code == 1, invalid.stdout


def _data_with(tmp_path: Path, path: Path) -> Path:
    """A data folder holding only ``path`` and the real communes."""
    data = tmp_path / "data"
    (data / "actions").mkdir(parents=True)
    (data / "communes.yaml").write_bytes((DATA / "communes.yaml").read_bytes())
    (data / "actions" / path.name).write_bytes(path.read_bytes())
    return data
