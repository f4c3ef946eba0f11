"""The project's configuration, ``data/bilan.yaml``: what varies from one body to another.

Read first, like any data file (positions kept, every error located), then given to
everything that needs it: the vocabulary to the models (validation context), the rules,
the figures and the templates. A data folder without the file uses the defaults.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ConfigDict, Field

from bilan.diagnostics import Diagnostic
from bilan.files import display_path, read_bytes
from bilan.modelerrors import check_model
from bilan.models import Model
from bilan.vocabulary import Vocabulary, default_vocabulary
from bilan.yamlio import load_bytes

CONFIG_FILE = "bilan.yaml"


class Project(Model):
    """data/bilan.yaml: a project's own words and settings."""

    model_config = ConfigDict(
        title="Projet",
        json_schema_extra={
            "description": "Le fichier data/bilan.yaml : ce qui est propre à l'établissement "
            "et à son rapport (vocabulaire…). Format : docs/configuration.md."
        },
    )

    vocabulaire: Vocabulary = Field(default_factory=default_vocabulary)
    """Vocabulaire

    Les listes de mots des fiches : thèmes, phases, états, catégories d'indicateurs, types
    d'actions, évaluations. Une liste absente garde celle par défaut."""


def load_project(data_dir: Path) -> tuple[Project | None, bytes, list[Diagnostic]]:
    """The configuration of ``data_dir`` (its defaults without the file), its bytes (what
    the build cache keys everything by), and what is wrong with it."""
    path = data_dir / CONFIG_FILE
    if not path.exists():
        return Project(), b"", []
    raw, found = read_bytes(path, data_dir)
    if raw is None:
        return None, b"", found
    doc, found = load_bytes(raw, display_path(path))
    if doc is None:
        return None, raw, found
    project, found = check_model(doc, Project)
    return project, raw, found
