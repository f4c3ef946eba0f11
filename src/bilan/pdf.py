"""HTML → PDF for the council: the only module that knows WeasyPrint.

The PDF is rendered from the same content as the site (templates/pdf.html.j2) with a
print stylesheet (templates/print.css): A4, running headers, a sommaire with page
numbers, bookmarks, and a tagged PDF (PDF/UA-1) so that it is accessible too.
WeasyPrint needs Pango; when it cannot be loaded the build says so (PdfUnavailable).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bilan.errors import BilanError
from bilan.render import environment

PDF_VARIANT = "pdf/ua-1"
SYSTEM_PACKAGES = (
    "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2"
)


class PdfUnavailable(BilanError):
    """WeasyPrint or the system libraries it needs cannot be loaded."""


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as error:
        raise PdfUnavailable(
            f"WeasyPrint ne peut pas être chargé ({str(error).splitlines()[0]})",
            "installez les bibliothèques dont il a besoin, par exemple sous Debian ou Ubuntu : "
            f"apt-get install {SYSTEM_PACKAGES}",
        ) from None
    return weasyprint


def render_pdf(dirs: list[Path], context: dict[str, Any]) -> bytes:
    """The whole report as a tagged A4 PDF (deterministic: no dates, fixed identifier)."""
    weasyprint = _weasyprint()
    env = environment(dirs)
    html = env.get_template("pdf.html.j2").render(context, page="pdf")
    css, _filename, _uptodate = env.loader.get_source(env, "print.css")  # type: ignore[union-attr]
    document = weasyprint.HTML(string=html, base_url=str(dirs[0]))
    identifier = f"bilan-{context['annee']}".encode()
    pdf: bytes = document.write_pdf(
        stylesheets=[weasyprint.CSS(string=css)],
        pdf_variant=PDF_VARIANT,
        pdf_identifier=identifier,
        uncompressed_pdf=False,
    )
    return pdf
