"""plotly figures from report sections (plotly.graph_objects; rendered by static/crm/reports.js).

Money is charted in 万 (10,000 ¥) in Chinese and in ¥ in English; every point carries its
drill-through URL in customdata, which reports.js follows on click."""

import json

import plotly.graph_objects as go
from flask_babel import gettext

from app.reports.base import is_zh

COLORS = ["#337ab7", "#f0ad4e", "#5cb85c", "#d9534f", "#5bc0de", "#8e6cc2", "#777777"]
FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif'


def _money_scale(section):
    kinds = {c.key: c.kind for c in section.columns}
    money = all(kinds.get(y) == "money" for y in section.chart.y)
    if not money:
        return 1, None, None
    if is_zh():
        return 10_000, gettext("10k ¥"), "¥%{customdata[1]:,.2f}"
    return 1, "¥", "¥%{customdata[1]:,.2f}"


def _value_format(section, y):
    kind = next((c.kind for c in section.columns if c.key == y), "int")
    return {"pct": "%{customdata[1]:.1%}", "num": "%{customdata[1]:.2f}"}.get(kind, "%{customdata[1]:,}")


def figure(section):
    chart = section.chart
    scale, unit, money_hover = _money_scale(section)
    labels = {c.key: str(c.label) for c in section.columns}
    fig = go.Figure()
    if chart.kind == "pie":
        y = chart.y[0]
        fig.add_trace(
            go.Pie(
                labels=[str(r[chart.x]) for r in section.rows],
                values=[r[y] for r in section.rows],
                customdata=[r.get("_link") for r in section.rows],
                hole=0.45,
                sort=False,
                marker={"colors": COLORS},
                textinfo="label+percent",
            )
        )
    elif chart.kind == "funnel":
        y = chart.y[0]
        fig.add_trace(
            go.Funnel(
                y=[str(r[chart.x]) for r in section.rows],
                x=[r[y] for r in section.rows],
                customdata=[r.get("_link") for r in section.rows],
                textinfo="value+percent initial",
                marker={"color": COLORS[: len(section.rows)]},
            )
        )
    else:
        groups = _traces(section)
        for i, (name, y, rows) in enumerate(groups):
            xs = [str(r[chart.x]) for r in rows]
            values = [None if r[y] is None else r[y] / scale for r in rows]
            custom = [[r.get("_link"), r[y]] for r in rows]
            hover = (money_hover or _value_format(section, y)) + f"<extra>{name}</extra>"
            common = {"name": name, "customdata": custom, "hovertemplate": "%{x}: " + hover}
            color = COLORS[i % len(COLORS)]
            if chart.kind == "line":
                fig.add_trace(go.Scatter(x=xs, y=values, mode="lines+markers", line={"color": color}, **common))
            elif chart.kind == "hbar":
                common["hovertemplate"] = "%{y}: " + hover
                fig.add_trace(go.Bar(y=xs, x=values, orientation="h", marker={"color": color}, **common))
            else:
                fig.add_trace(go.Bar(x=xs, y=values, marker={"color": color}, **common))
        axis_title = str(chart.y_title or "") + (f" ({unit})" if unit else "")
        value_axis = {"title": {"text": axis_title}, "tickformat": _tickformat(section), "rangemode": "tozero"}
        peak = max((r[y] or 0 for _, y, rows in groups for r in rows), default=0)
        if value_axis["tickformat"] == ",d" and peak < 6:
            value_axis["dtick"] = 1  # counts: no 0.2 steps
        # the rows' order (months, ranks), not each trace's first appearance
        order = list(dict.fromkeys(str(r[chart.x]) for r in section.rows))
        category_axis = {"type": "category", "automargin": True, "categoryorder": "array", "categoryarray": order}
        if chart.kind == "hbar":
            fig.update_layout(xaxis=value_axis, yaxis={**category_axis, "autorange": "reversed"})
        else:
            fig.update_layout(yaxis=value_axis, xaxis={**category_axis, "title": {"text": labels.get(chart.x, "")}})
        fig.update_layout(barmode="group", showlegend=len(groups) > 1)
    fig.update_layout(
        autosize=True,
        height=340,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        font={"family": FONT, "size": 12},
        legend={"orientation": "h", "y": -0.2},
        separators=".,",
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return fig


def _tickformat(section):
    kinds = {c.key: c.kind for c in section.columns}
    y_kinds = {kinds.get(y) for y in section.chart.y}
    if y_kinds == {"pct"}:
        return ".0%"
    return ",.2~f" if y_kinds == {"money"} else ",d" if y_kinds == {"int"} else ",.2~f"


def _traces(section):
    """(trace name, y column, rows) per trace: one per y column, or per series value."""
    chart = section.chart
    labels = {c.key: str(c.label) for c in section.columns}
    if chart.series:
        names = list(dict.fromkeys(r[chart.series] for r in section.rows))
        return [(n, chart.y[0], [r for r in section.rows if r[chart.series] == n]) for n in names]
    return [(labels.get(y, y), y, section.rows) for y in chart.y]


def has_data(section):
    return any(r.get(y) for r in section.rows for y in section.chart.y)


def figure_json(section):
    """The figure as a JSON-able dict (embedded in the page as application/json); None when
    there is nothing to draw."""
    if section.chart is None or not has_data(section):
        return None
    return json.loads(figure(section).to_json())
