"""Charts for the pages that summarise numbers, drawn server-side as SVG with pygal.

Inline SVG, no JavaScript, no requests to anyone else's server. Each chart shows one measure (one unit on its one
axis: a % and a count are two charts), draws periods with nothing to measure as gaps (``None``: no bar, a broken
line), carries a ``<title>`` and a ``<desc>`` for screen readers, and is shown with a table of its numbers
(``{% chart_figure %}``), so nothing is only in the picture. It downloads as an SVG file or a PNG picture
(rasterised here with CairoSVG), for pasting into a report.

Sizes: the SVG is drawn on a ``WIDTH``-unit-wide canvas with ``FONT_SIZE``-unit text and scales to its box; the
site's CSS never shows it narrower than ``MIN_DISPLAY_WIDTH`` px (a narrower screen scrolls the chart sideways in
its frame), so its smallest text is at least 12 px on screen.

A leaf module: it imports no app, so every app may draw with it. Each chart carries one ``<style>`` element, which
the Content-Security-Policy lets through only with the request's nonce: templates put charts in with
``{% load charts %}{% chart svg %}`` or ``{% chart_figure chart %}``, which add it.
"""

import base64
import re
from dataclasses import dataclass
from urllib.parse import urlencode

import pygal
from django import template
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from pygal.style import Style

WIDTH = 640
HEIGHT = 360
FONT_SIZE = 16
MIN_DISPLAY_WIDTH = 480  # px: FONT_SIZE * MIN_DISPLAY_WIDTH / WIDTH = 12 px, the smallest text on screen
PNG_SCALE = 2  # a PNG of 1280 × 720 px: sharp when pasted into a document

_STYLE_ARGS = dict(
    plot_background="transparent",
    foreground="#1f2a26",
    foreground_strong="#1f2a26",
    foreground_subtle="#5b6661",
    colors=("#1d6b57", "#b7791f", "#4b3a83", "#b3261e", "#21457d"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif",
    label_font_size=FONT_SIZE,
    major_label_font_size=FONT_SIZE,
    legend_font_size=FONT_SIZE,
    title_font_size=FONT_SIZE + 4,
    value_font_size=FONT_SIZE,
    value_label_font_size=FONT_SIZE,
    tooltip_font_size=FONT_SIZE,
    no_data_font_size=FONT_SIZE + 4,
)
STYLE = Style(background="transparent", **_STYLE_ARGS)  # on the page: the card's colour shows through
FILE_STYLE = Style(background="#ffffff", **_STYLE_ARGS)  # downloads and the PDF: white, whatever they land on

FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
DOWNLOAD_PARAMETERS = ("chart", "format", "export")
NO_VALUE = "–"


def pounds(value):
    return f"£{value:,.2f}"


def _number(value):
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{value:,.0f}"


@dataclass
class Chart:
    """One measure over a series of labelled periods (or things), as a bar or line chart and as a table.

    ``series``: {name: [values aligned with ``labels``]}, every series in the same unit (``unit`` titles the axis);
    ``None`` is "nothing to measure", drawn as a gap and shown as "–" in the table. ``name`` identifies the chart
    on its page (download links and file names).
    """

    name: str
    title: str
    labels: list
    series: dict
    kind: str = "bar"  # or "line"
    unit: str = ""
    percent: bool = False
    money: bool = False
    label_heading: str = "Period"
    description: str = ""
    height: int = HEIGHT

    def __post_init__(self):
        if self.kind not in ("bar", "line"):
            raise ValueError(f"Unknown chart kind {self.kind!r}")
        self.labels = [str(label) for label in self.labels]
        self.series = {
            name: [None if value is None else float(value) if self.money else value for value in values]
            for name, values in self.series.items()
        }

    # --- words ----------------------------------------------------------------------------------------------------

    @property
    def has_gaps(self):
        return any(value is None for values in self.series.values() for value in values)

    @property
    def has_values(self):
        return any(value is not None for values in self.series.values() for value in values)

    @property
    def summary(self):
        """What the chart shows, in a sentence or two: its ``<desc>``."""
        if self.description:
            return self.description
        kind = "Bar chart" if self.kind == "bar" else "Line chart"
        names = " and ".join(self.series) if len(self.series) <= 2 else ", ".join(self.series)
        text = f"{kind} of {names}"
        if self.unit:
            text += f" ({self.unit})"
        if self.labels:
            span = self.labels[0] if len(self.labels) == 1 else f"{self.labels[0]} to {self.labels[-1]}"
            text += f", by {self.label_heading.lower()}, {span}"
        text += "."
        if self.has_gaps:
            text += f" Gaps mark where there was nothing to measure ({NO_VALUE} in the table)."
        return text + " The table of the same numbers gives every value."

    def value_text(self, value):
        if value is None:
            return NO_VALUE
        if self.money:
            return pounds(value)
        if self.percent:
            return f"{_number(value)}%"
        return _number(value)

    @property
    def rows(self):
        """The table: (label, [each series' value as text]) per label."""
        columns = list(self.series.values())
        return [
            (label, [self.value_text(values[i] if i < len(values) else None) for values in columns])
            for i, label in enumerate(self.labels)
        ]

    def filename(self, stem, extension):
        return f"{slugify(stem)}-{slugify(self.name)}.{extension}"

    # --- drawing --------------------------------------------------------------------------------------------------

    def _pygal(self, style, *, explicit_size, show_title=True):
        count = len(self.labels)
        longest = max((len(label) for label in self.labels), default=0)
        plot_width = WIDTH - 120
        crowded = count * (longest * FONT_SIZE * 0.6 + 8) > plot_width
        config = dict(
            style=style,
            width=WIDTH,
            height=self.height,
            explicit_size=explicit_size,
            js=[],
            disable_xml_declaration=not explicit_size,
            show_legend=len(self.series) > 1,
            legend_at_bottom=True,
            # Long series names one to a line: pygal cuts a name that does not fit its column.
            legend_at_bottom_columns=1 if max(map(len, self.series), default=0) > 24 else min(len(self.series), 3),
            print_values=False,
            x_label_rotation=40 if crowded else 0,
            truncate_label=-1,
            truncate_legend=-1,
            title=self.title if show_title else None,
            y_title=self.unit or None,
            margin_bottom=8,
            spacing=12,
        )
        # Too many labels to read at this size: label every nth (the table has them all).
        room = int(plot_width // (FONT_SIZE * 1.5)) or 1
        if count > room:
            every = -(-count // room)
            config.update(x_labels_major=self.labels[::every], show_minor_x_labels=False)
        if self.kind == "line":
            chart = pygal.Line(allow_interruptions=True, dots_size=4, stroke_style={"width": 3}, **config)
        else:
            chart = pygal.Bar(**config)
        chart.x_labels = self.labels
        if self.percent:
            chart.range = (0, 100)
        elif self.has_values:
            top = max(value for values in self.series.values() for value in values if value is not None)
            if top <= 0 and self.money:
                chart.range = (0, 1)
            elif not self.money and all(
                float(value).is_integer() for values in self.series.values() for value in values if value is not None
            ):
                # Whole counts: whole steps from 0, never "0.5 questions".
                chart.range = (0, max(top, 4))
                chart.y_labels = _whole_steps(top)
        if self.money:
            chart.value_formatter = pounds
        for name, values in self.series.items():
            chart.add(name, list(values))
        return chart

    def _render(self, style, *, explicit_size, show_title=True):
        chart = self._pygal(style, explicit_size=explicit_size, show_title=show_title)
        svg = _SCRIPT.sub("", chart.render(is_unicode=True))
        svg = svg.replace(_TOOLTIP_STYLE, ' opacity="0"')
        match = _ROOT.search(svg)
        chart_id = match["id"]
        # One picture to assistive technology, named by its title and described by its desc.
        svg = (
            svg[: match.end()] + f' role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"' + svg[match.end() :]
        )
        desc = f'<desc id="{chart_id}-desc">{escape(self.summary)}</desc>'
        if not show_title:  # pygal names an untitled chart "Pygal"
            svg = svg.replace("</defs><title>Pygal</title>", f"</defs><title>{escape(self.title)}</title>", 1)
        if "</defs><title>" in svg:
            start = svg.index("</defs><title>") + len("</defs>")
            end = svg.index("</title>", start) + len("</title>")
            title = svg[start:end].replace("<title>", f'<title id="{chart_id}-title">', 1)
            svg = svg[:start] + title + desc + svg[end:]
        else:  # the title shown outside the picture (``{% chart_figure %}``): still the SVG's name
            svg = svg.replace("</defs>", f'</defs><title id="{chart_id}-title">{escape(self.title)}</title>{desc}', 1)
        return svg

    def svg(self, show_title=True):
        """Inline SVG for a page: scales to its box. ``show_title=False``: the title is not drawn (the page shows it
        above the picture, where a phone's screen does not cut it off) but still names the SVG."""
        return mark_safe(self._render(STYLE, explicit_size=False, show_title=show_title))

    def svg_file(self):
        """A stand-alone SVG file (XML declaration, width and height, a white background), as bytes."""
        return self._render(FILE_STYLE, explicit_size=True).encode("utf-8")

    def png(self):
        """The chart as a PNG picture, ``PNG_SCALE`` times its drawn size, as bytes."""
        import cairosvg  # loads the Cairo library: imported here, as only a PNG needs it

        return cairosvg.svg2png(bytestring=self.svg_file(), scale=PNG_SCALE)

    def data_uri(self):
        """The stand-alone SVG as a ``data:`` URI (for an ``<img>`` in a PDF)."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg_file()).decode("ascii")

    def __str__(self):
        return str(self.svg())

    def __html__(self):
        return str(self)


def _whole_steps(top):
    """About five whole-number axis labels from 0 to at least ``top``."""
    top = max(int(-(-top // 1)), 4)
    step = max(1, -(-top // 5))
    for nice in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        if nice >= step:
            step = nice
            break
    return list(range(0, top + step, step))


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_STYLE = re.compile(r"<style\b")
_ROOT = re.compile(r'<svg\b[^>]*\bid="(?P<id>[^"]+)"[^>]*?(?=/?>)')
# The (empty, never shown) tooltip's only style attribute, which CSP would refuse: as a presentation attribute.
_TOOLTIP_STYLE = ' style="opacity: 0"'


# --- the simple forms, kept for screens that show a chart without downloads ----------------------------------------


def bar(*, title, labels, series, percent=False, height=HEIGHT, money=False, unit=""):
    """A bar chart as inline SVG. ``series``: {name: [values aligned with labels]}; ``money`` labels values in £."""
    return Chart(
        name="chart",
        title=title,
        labels=labels,
        series=series,
        kind="bar",
        percent=percent,
        money=money,
        unit=unit or ("%" if percent else ""),
        height=height,
    ).svg()


def line(*, title, labels, series, percent=False, height=HEIGHT, unit=""):
    """A line chart as inline SVG; ``None`` values are gaps in the line."""
    return Chart(
        name="chart",
        title=title,
        labels=labels,
        series=series,
        kind="line",
        percent=percent,
        unit=unit or ("%" if percent else ""),
        height=height,
    ).svg()


# --- downloads ----------------------------------------------------------------------------------------------------


def requested(params):
    """(chart name, format) asked for by a query string's ``chart`` and ``format``, or None when it asks for none."""
    name, fmt = params.get("chart"), params.get("format")
    if name is None and fmt is None:
        return None
    return (name or "").strip(), (fmt or "").strip().lower()


def download(request, charts, stem):
    """The response to ``?chart=<name>&format=svg|png`` on a page showing ``charts`` (a list or {name: Chart}), or
    None when the request asks for no chart. Call it after the page's own access checks: the download is the page's.
    An unknown chart or format gets a page saying so (400)."""
    asked = requested(request.GET)
    if asked is None:
        return None
    by_name = charts if isinstance(charts, dict) else {chart.name: chart for chart in charts}
    name, fmt = asked
    chart = by_name.get(name)
    if chart is None:
        known = ", ".join(by_name) or "none"
        return bad_request(request, f"This page has no chart called “{name}”. Its charts: {known}.")
    if fmt not in FORMATS:
        return bad_request(request, "Charts download as svg or png: choose format=svg or format=png.")
    content = chart.png() if fmt == "png" else chart.svg_file()
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{chart.filename(stem, fmt)}"'
    return response


def bad_request(request, message, status=400):
    """A page that says what was wrong with the link or form that led here."""
    back = request.path
    return render(request, "bad_request.html", {"message": message, "back": back}, status=status)


def download_query(params, chart, fmt):
    """A query string asking for ``chart`` as ``fmt``, keeping the page's other parameters (a QueryDict, or a query
    string such as the page's period)."""
    if isinstance(params, str):
        params = QueryDict(params)
    kept = [
        (key, value) for key, values in params.lists() if key not in ("chart", "format", "export") for value in values
    ]
    return "?" + urlencode([*kept, ("chart", chart.name), ("format", fmt)])


# --- template tags ------------------------------------------------------------------------------------------------

register = template.Library()


def _with_nonce(context, svg):
    request = context.get("request")
    if request is None or not hasattr(request, "csp_nonce"):
        return mark_safe(str(svg))
    return mark_safe(_STYLE.sub(f'<style nonce="{escape(request.csp_nonce)}"', str(svg)))


@register.simple_tag(takes_context=True)
def chart(context, svg):
    """A chart drawn here, its ``<style>`` let through by the page's Content-Security-Policy (the request's nonce)."""
    if not svg:
        return ""
    return _with_nonce(context, svg)


@register.inclusion_tag("charts/figure.html", takes_context=True)
def chart_figure(context, chart, downloads=True, query=None):
    """A chart in a ``<figure>``: the picture, links to download it as SVG and PNG (``downloads``: this page's URL
    with its query string, or ``query``, and ``chart`` and ``format``), and its numbers in a table (in a
    ``<details>``)."""
    request = context.get("request")
    links = []
    params = query if query is not None else getattr(request, "GET", None)
    if downloads and params is not None:
        links = [(fmt.upper(), download_query(params, chart, fmt)) for fmt in FORMATS]
    return {"chart": chart, "svg": _with_nonce(context, chart.svg(show_title=False)), "links": links}
