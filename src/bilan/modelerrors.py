"""Apply a pydantic model to a loaded Document; its errors become French located
diagnostics, one per mistake.

A valid document costs the validation only: the errors are explained by
:mod:`bilan.modelmistakes`, imported when a document has some.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bilan.diagnostics import Diagnostic
from bilan.document import Document
from bilan.frenchvalues import NameIndex
from bilan.models import CommunesFile

M = TypeVar("M", bound=BaseModel)

COMMUNE_NAMES = "noms-des-communes"
"""The key, in the validation context, of what finds a commune's id from its name
(:func:`commune_index`): the models do not read it, only the messages of their errors."""


def commune_index(communes: CommunesFile | None) -> NameIndex | None:
    """What finds a commune's id from its name, for the context of :func:`check_model`."""
    if communes is None:
        return None
    return NameIndex((c.id, c.nom) for c in communes.communes)


def check_model(
    doc: Document, model: type[M], context: dict[str, Any] | None = None
) -> tuple[M | None, list[Diagnostic]]:
    """Validate the document's data against ``model`` (``context``: the project's
    vocabulary, see :func:`bilan.models.declared`, and the communes' names,
    :data:`COMMUNE_NAMES`); every error located and in French."""
    try:
        return model.model_validate(doc.data, context=context), []
    except ValidationError as exc:
        from bilan.modelmistakes import translate  # the messages' work, only on errors

        return None, translate(doc, model, context or {}, exc)
