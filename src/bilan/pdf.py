"""HTML → PDF: the only module that knows WeasyPrint (filled in by the PDF work)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bilan.errors import BilanError


class PdfUnavailable(BilanError):
    """WeasyPrint or its system libraries are missing."""


def render_pdf(dirs: list[Path], context: dict[str, Any]) -> bytes:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        raise PdfUnavailable(
            f"WeasyPrint ne peut pas être chargé ({error})",
            "installez-le : voir la section PDF du README",
        ) from None
    raise PdfUnavailable("PDF pas encore disponible", "")
