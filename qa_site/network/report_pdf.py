"""The value report as a PDF for a network to send to its funders, drawn with WeasyPrint.

The same numbers, charts and tables as the page, for the same months. The HTML is rendered from
``network/report_pdf.html``; the charts go in as SVG ``data:`` images, and WeasyPrint fetches nothing else (no
files, no network). The report's queries have run before rendering starts, so the PDF holds no database
transaction or connection work of its own.
"""

import logging

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from .report import file_stem

# WeasyPrint logs each step of every document at INFO: only its warnings belong in the site's log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def render_pdf(report, charts):
    """The PDF's bytes."""
    # Imported here: WeasyPrint parses its own style sheets on import, which only a PDF needs.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(
        "network/report_pdf.html",
        {"report": report, "network": report.network, "charts": charts, "generated": timezone.localtime()},
    )
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


def pdf_response(report, charts):
    response = HttpResponse(render_pdf(report, charts), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{file_stem(report)}.pdf"'
    return response
