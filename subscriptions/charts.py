"""Charts for the billing report, drawn server-side as inline SVG with pygal.

No JavaScript and no requests to anyone else's server; every chart sits beside a table (and a CSV) of the
same numbers. The experts app draws its charts the same way (``experts/charts.py``), one layer up, so this
lower layer keeps its own small copy of the look.
"""

import re

import pygal
from django.utils.safestring import mark_safe
from pygal.style import Style

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2a26",
    foreground_strong="#1f2a26",
    foreground_subtle="#5b6661",
    colors=("#1d6b57", "#b7791f", "#b3261e", "#4b3a83", "#21457d"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    title_font_size=15,
    value_font_size=11,
)

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def pounds(value):
    return f"£{value:,.2f}"


def bar(*, title, labels, series, height=320):
    """A bar chart of sums of money as inline SVG. ``series``: {name: [values aligned with labels]}."""
    chart = pygal.Bar(
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
        value_formatter=pounds,
    )
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, [float(value) for value in values])
    # pygal inlines a config <script> for its tooltips library, which is never loaded here (js=[]).
    return mark_safe(_SCRIPT.sub("", chart.render(is_unicode=True)))
