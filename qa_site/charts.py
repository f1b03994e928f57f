"""Charts for the pages that summarise numbers, drawn server-side as SVG with pygal.

Inline SVG, no JavaScript, no requests to anyone else's server; every chart sits beside a table with the
same numbers (and a CSV of them), so nothing is only in the picture. A leaf module: it imports no app, so
every app may draw with it.

Each chart carries one ``<style>`` element, which the Content-Security-Policy lets through only with the
request's nonce: templates put charts in with ``{% load charts %}{% chart svg %}``, which adds it.
"""

import math
import re

import pygal
from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from pygal.style import Style

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2a26",
    foreground_strong="#1f2a26",
    foreground_subtle="#5b6661",
    colors=("#1d6b57", "#b7791f", "#4b3a83", "#b3261e", "#21457d"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    title_font_size=15,
    value_font_size=11,
)


def _config(chart_class, *, title, labels, percent, height, **extra):
    chart = chart_class(
        style=STYLE,
        height=height,
        width=800,
        explicit_size=False,
        js=[],
        disable_xml_declaration=True,
        show_legend=True,
        legend_at_bottom=True,
        print_values=False,
        x_label_rotation=30 if len(labels) > 8 else 0,
        truncate_label=-1,
        truncate_legend=-1,
        title=title,
        **extra,
    )
    chart.x_labels = labels
    if percent:
        # The axis title says "%": a value formatter would also turn a secondary axis of counts into percents.
        chart.range = (0, 100)
        chart.y_title = "%"
    return chart


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_STYLE = re.compile(r"<style\b")
# The (empty, never shown) tooltip's only style attribute, which CSP would refuse: as a presentation attribute.
_TOOLTIP_STYLE = ' style="opacity: 0"'


def _svg(chart):
    # pygal inlines a config <script> for its tooltips library, which is never loaded here (js=[]).
    svg = _SCRIPT.sub("", chart.render(is_unicode=True))
    return mark_safe(svg.replace(_TOOLTIP_STYLE, ' opacity="0"'))


register = template.Library()


@register.simple_tag(takes_context=True)
def chart(context, svg):
    """A chart drawn here, its ``<style>`` let through by the page's Content-Security-Policy (the request's nonce)."""
    if not svg:
        return ""
    request = context.get("request")
    if request is None or not hasattr(request, "csp_nonce"):
        return svg
    return mark_safe(_STYLE.sub(f'<style nonce="{escape(request.csp_nonce)}"', str(svg)))


def pounds(value):
    return f"£{value:,.2f}"


def bar(*, title, labels, series, percent=False, height=320, money=False):
    """A bar chart as inline SVG. ``series``: {name: [values aligned with labels]}; ``money`` labels values in £."""
    extra = {"value_formatter": pounds} if money else {}
    chart = _config(pygal.Bar, title=title, labels=labels, percent=percent, height=height, **extra)
    for name, values in series.items():
        chart.add(name, [float(value) for value in values] if money else list(values))
    return _svg(chart)


class _LineWithCounts(pygal.Line):
    """pygal labels the right-hand axis with the left-hand formatter, at fractional steps: counts beside a % read
    "2%", "2%", "3%". Here the right-hand axis counts whole numbers from 0, in whole steps, on the left's grid."""

    def _compute_secondary(self):
        if not (self.secondary_series and self._y_labels):
            return super()._compute_secondary()
        positions = [position for _, position in self._y_labels]
        intervals = len(positions) - 1 or 1
        step = max(math.ceil(max(self._secondary_max or 0, 0) / intervals), 1)
        self._y_2nd_labels = [(f"{step * i:,}", position) for i, position in enumerate(positions)]
        self._scale = abs(positions[-1] - positions[0]) / (step * intervals)
        self._scale_diff = positions[0]
        self._scale_min_2nd = 0


def _count(value):
    return "–" if value is None else f"{value:,.0f}"


def line(*, title, labels, series, percent=False, height=320, secondary=None):
    """A line chart as inline SVG; ``secondary`` series (counts, 0 or more) use the right-hand axis, e.g. beside a %."""
    chart = _config(_LineWithCounts, title=title, labels=labels, percent=percent, height=height, dots_size=3)
    for name, values in series.items():
        chart.add(name, list(values))
    for name, values in (secondary or {}).items():
        chart.add(name, list(values), secondary=True, formatter=_count)
    return _svg(chart)
