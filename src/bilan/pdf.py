"""HTML → PDF for the council: the only module that knows WeasyPrint.

The PDF is rendered from the same content as the site (templates/pdf.html.j2) with a
print stylesheet (templates/print.css): A4, running headers, a sommaire with page
numbers, bookmarks, and a tagged PDF (PDF/UA-1) so that it is accessible too.
WeasyPrint needs Pango; when it cannot be loaded the build says so.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

PDF_VARIANT = "pdf/ua-1"
PRINT_STYLE_SHEET = "print.css"
SYSTEM_PACKAGES = (
    "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2"
)


@cache
def _weasyprint() -> tuple[Any, str]:
    """WeasyPrint, or None and why it cannot be loaded."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:
        return None, str(error).splitlines()[0]
    return weasyprint, ""


def unavailable() -> tuple[str, str] | None:
    """Why no PDF can be made here (message, hint), or None."""
    weasyprint, reason = _weasyprint()
    if weasyprint is not None:
        return None
    return (
        f"WeasyPrint ne peut pas être chargé ({reason})",
        "installez les bibliothèques dont il a besoin, par exemple sous Debian ou Ubuntu : "
        f"apt-get install {SYSTEM_PACKAGES}",
    )


def html_to_pdf(html: str, read: Callable[[str], bytes], *, identifier: str) -> bytes:
    """The print HTML as a tagged A4 PDF, styled by the templates' print.css
    (deterministic: no dates, a fixed identifier)."""
    weasyprint, _reason = _weasyprint()
    assert weasyprint is not None, "bilan.outputs checks unavailable() first"
    css = read(PRINT_STYLE_SHEET).decode("utf-8")
    pdf: bytes = weasyprint.HTML(string=html).write_pdf(
        stylesheets=[weasyprint.CSS(string=css)],
        pdf_variant=PDF_VARIANT,
        pdf_identifier=identifier.encode(),
        uncompressed_pdf=False,
    )
    return pdf
