"""PDF through WeasyPrint from the report's own HTML (print styles, A4, running footer).

Page margin boxes get an explicit font-family in the stylesheet (docs/architecture.md §7):
without it WeasyPrint falls back to a default font that may not be installed. Charts arrive as
PNG through a URL fetcher that serves only them: nothing else is fetched, from disk or network.
The PDF is tagged (PDF/UA-1). Its identifier is fixed from its HTML and it carries no creation
date, so the same inputs give the same file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from forcestat.outputs.report.html import CHART_SCHEME


def _fetcher(images: Mapping[str, bytes]):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ChartFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith(CHART_SCHEME) and url[len(CHART_SCHEME) :] in images:
                body = images[url[len(CHART_SCHEME) :]]
                return URLFetcherResponse(url, body, {"Content-Type": "image/png"})
            raise ValueError(f"the report fetches nothing but its charts, not {url!r}")

    return ChartFetcher(fail_on_errors=True)


def render_pdf(html: str, images: Mapping[str, bytes], path: Path | None = None) -> bytes:
    """``html`` from ``render_html(report, charts_as="link")``; ``images`` maps chart keys to
    PNG bytes."""
    import weasyprint  # heavy (Pango, fonts): imported only when a PDF is asked for

    ident = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode()
    doc = weasyprint.HTML(string=html, url_fetcher=_fetcher(images)).render()
    # PDF/UA-1: tagged (headings, tables and their header cells, figures with their alternative
    # text), with the document's language and title, as a public body must publish it.
    data = doc.write_pdf(pdf_identifier=ident, pdf_variant="pdf/ua-1")
    assert data is not None
    if path is not None:
        Path(path).write_bytes(data)
    return data
