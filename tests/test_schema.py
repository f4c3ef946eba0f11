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
from bilan.schema import FILE_NAMES, MODELS, build_schema, models_of, render
from tests.conftest import DATA, ROOT, DataMaker, bilan, fiche

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


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_object_and_field_has_the_models_french_title_and_description(name: str) -> None:
    """Titles and descriptions are the models' French ones, never the Python names or the
    English class docstrings that pydantic would use by default."""
    schema = build_schema(name)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    models = {m.__name__: m for m in models_of(MODELS[name])}
    objects = {MODELS[name].__name__: schema, **schema.get("definitions", {})}
    assert set(objects) <= set(models)
    for model_name, obj in objects.items():
        model = models[model_name]
        assert obj["title"] == model.model_config.get("title"), model_name
        assert obj["description"] and obj["description"] not in (model.__doc__ or ""), model_name
        for field, spec in obj.get("properties", {}).items():
            info = model.model_fields[field]
            assert info.title and spec["title"] == info.title, (model_name, field)
            assert len(spec["description"]) > 10, (model_name, field)
            assert "\n" not in spec["description"], (model_name, field)


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


def _schema_files() -> dict[str, list[Path]]:
    """Each schema → the repository's files that name it."""
    return {
        "fiche": sorted((DATA / "actions").glob("*.yaml")),
        "bilan": sorted((DATA / "rapports").glob("*/bilans/*.yaml")),
        "communes": [DATA / "communes.yaml"],
        "projet": [DATA / "bilan.yaml"],
    }


def test_every_data_file_of_the_repository_is_valid_for_its_schema() -> None:
    files = _schema_files()
    assert len(files["fiche"]) >= 25 and len(files["bilan"]) >= 25
    for name, paths in files.items():
        result = check_jsonschema(SCHEMAS / FILE_NAMES[name], *paths)
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_data_file_names_its_schema_on_its_first_line() -> None:
    """The line VS Code's YAML extension reads; its path is relative to the file."""

    def schema_of(path: Path) -> Path:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path.name
        return (path.parent / first.split("$schema=")[1]).resolve()

    for name, paths in _schema_files().items():
        for path in paths:
            assert schema_of(path) == SCHEMAS / FILE_NAMES[name], path.name


@pytest.mark.parametrize(
    ("model", "change", "expected"),
    [
        ("fiche", ("objectifs:", "objectif:"), "Additional properties are not allowed"),
        ("fiche", ("type: existante", "type: existant"), "existant"),
        ("fiche", ("themes: [fonctions-ressources]", "themes: [finances]"), "finances"),
        ("bilan", ("etat: en-cours", "etat: encours"), "encours"),
        ("bilan", ("debut: 2015-T4", "debut: 2015-T5"), "2015-T5"),
        ("bilan", ("phases: [1, 2, 3, 4]", "phases: [1, 2, 5]"), "phases"),
        (
            "bilan",
            (
                "  phases: [1, 2, 3, 4]\n",
                "  lignes: [{resultat: 1, phases: [1]}]\n  phases: [1]\n",
            ),
            "calendrier",
        ),
        (
            "bilan",
            ("calendrier:\n  debut: 2015-T4\n  phases: [1, 2, 3, 4]\n", "points_forts: [Un]\n"),
            "calendrier",
        ),
    ],
)
def test_schema_rejects_what_validate_rejects(
    make_data: DataMaker, model: str, change: tuple[str, str], expected: str
) -> None:
    text = fiche() if model == "fiche" else bilan()
    assert change[0] in text
    name = "e01-test.yaml" if model == "fiche" else "2016/e01-test.yaml"
    data = make_data({name: text.replace(*change)})
    path = data / ("actions" if model == "fiche" else "rapports/2016/bilans") / "e01-test.yaml"
    result = check_jsonschema(SCHEMAS / FILE_NAMES[model], path)
    assert result.returncode == 1, result.stdout
    assert expected in result.stdout
    invalid = runner.invoke(app, ["validate", "--data", str(data)])
    assert invalid.exit_code == 1, invalid.stdout
