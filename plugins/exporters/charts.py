"""Charts for exported documents (考核, and any report carrying the same data): each department's on-time
rate and score, and — when the result carries ``trend`` (the JSON of
:class:`duban.services.dashboard_results.DepartmentRanking`) — each department's 红/黄/绿 and on-time rate at
the last quarter ends.

- xlsx: a sheet 图表 with the numbers and native Excel charts (openpyxl.chart), so the picture is live data.
- docx and Markdown: no plotting library is installed with duban, so the pictures are text — a bar of
  ``█`` per department and a sparkline of ``▁…█`` per series — written beside the numbers.

openpyxl is imported inside the functions: exporter modules load with the plugins at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl import Workbook

#: departments drawn in the trend charts (the worst by severity; the numbers list every department)
TREND_TOP = 8
SPARK = "▁▂▃▄▅▆▇█"
SHEET = "图表"


def period_labels(trend: Mapping[str, Any]) -> list[str]:
    """``2025Q4末`` for each quarter end, ``截至 2026-05-15`` for the day asked about."""
    periods = [str(p) for p in trend.get("periods", [])]
    labels = []
    for i, iso in enumerate(periods):
        year, month = int(iso[:4]), int(iso[5:7])
        labels.append(f"截至 {iso}" if i == len(periods) - 1 else f"{year}Q{(month - 1) // 3 + 1}末")
    return labels


def text_bar(value: float, top: float, cells: int = 20) -> str:
    """``█████`` proportional to ``value`` of ``top`` (a text picture for docx and Markdown)."""
    if top <= 0 or value <= 0:
        return ""
    return "█" * max(1, round(cells * value / top))


def sparkline(values: Sequence[float | None]) -> str:
    """``▁▃█`` for a series (None: a gap, drawn as a space); flat series sit on the baseline."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        else:
            out.append(SPARK[round((len(SPARK) - 1) * (v - low) / span)] if span else SPARK[0])
    return "".join(out)


def rate_text(rate: float | None) -> str:
    return "不适用" if rate is None else f"{rate:.1%}"


def trend_series(dept: Mapping[str, Any]) -> dict[str, list[float | None]]:
    """A trend department's four series, oldest first."""
    history = dept.get("history", [])
    return {
        "红": [float(p["red"]) for p in history],
        "黄": [float(p["yellow"]) for p in history],
        "绿": [float(p["green"]) for p in history],
        "按时率": [p["on_time_rate"] for p in history],
    }


def trend_name(dept: Mapping[str, Any]) -> str:
    return str(dept.get("name") or dept.get("agency") or "未识别部门")


def add_xlsx_charts(wb: Workbook, result: Mapping[str, Any]) -> None:
    """A sheet 图表: the departments' on-time rate and score (a bar chart each); with ``trend``, the red
    counts and on-time rates at each quarter end (a line chart each, the worst ``TREND_TOP`` departments)."""
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font

    ws = wb.create_sheet(SHEET)
    depts = list(result.get("departments", []))
    ws.append(["部门", "辖区", "得分", "按时率"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for d in depts:
        ws.append([d.get("agency_name"), d.get("jurisdiction_name"), d.get("score"), d.get("on_time_rate")])
        ws.cell(row=ws.max_row, column=4).number_format = "0.0%"
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 12
    n = len(depts)
    if n:
        names = Reference(ws, min_col=1, min_row=2, max_row=n + 1)
        for col, title, anchor in ((4, "各部门按时率", "F2"), (3, "各部门考核得分", "F22")):
            chart = BarChart()
            chart.type = "bar"
            chart.title = title
            chart.legend = None
            chart.height, chart.width = max(7.5, 0.5 * n), 16
            chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=n + 1), titles_from_data=True)
            chart.set_categories(names)
            ws.add_chart(chart, anchor)
    trend = result.get("trend")
    if not trend or not trend.get("departments"):
        return
    labels = period_labels(trend)
    top = list(trend["departments"])[:TREND_TOP]
    start = ws.max_row + 3
    for key, title, anchor_col in (
        ("red", "红灯责任数（各季度末）", "F"),
        ("on_time_rate", "按时率（各季度末）", "P"),
    ):
        header = start
        ws.cell(row=header, column=1, value=title).font = Font(bold=True)
        ws.cell(row=header + 1, column=1, value="时点").font = Font(bold=True)
        for j, dept in enumerate(top, start=2):
            ws.cell(row=header + 1, column=j, value=trend_name(dept)).font = Font(bold=True)
        for i, label in enumerate(labels):
            ws.cell(row=header + 2 + i, column=1, value=label)
            for j, dept in enumerate(top, start=2):
                value = dept["history"][i][key] if i < len(dept["history"]) else None
                cell = ws.cell(row=header + 2 + i, column=j, value=value)
                if key == "on_time_rate":
                    cell.number_format = "0.0%"
        line = LineChart()
        line.title = title
        line.height, line.width = 9, 18
        data = Reference(
            ws, min_col=2, max_col=len(top) + 1, min_row=header + 1, max_row=header + 1 + len(labels)
        )
        line.add_data(data, titles_from_data=True)
        line.set_categories(Reference(ws, min_col=1, min_row=header + 2, max_row=header + 1 + len(labels)))
        ws.add_chart(line, f"{anchor_col}{header}")
        start = header + len(labels) + 4


def text_charts(result: Mapping[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The same pictures as text tables — (title, headers, rows) — for docx and Markdown."""
    depts = list(result.get("departments", []))
    tables: list[tuple[str, list[str], list[list[str]]]] = []
    if depts:
        tables.append(
            (
                "各部门按时率",
                ["部门", "辖区", "按时率", "图示"],
                [
                    [
                        str(d.get("agency_name") or ""),
                        str(d.get("jurisdiction_name") or ""),
                        rate_text(d.get("on_time_rate")),
                        text_bar(d.get("on_time_rate") or 0.0, 1.0),
                    ]
                    for d in depts
                ],
            )
        )
    trend = result.get("trend")
    if trend and trend.get("departments"):
        labels = period_labels(trend)
        rows = []
        for dept in trend["departments"]:
            s = trend_series(dept)
            last = dept["history"][-1] if dept.get("history") else {}
            rows.append(
                [
                    trend_name(dept),
                    str(dept.get("severity", "")),
                    f"红 {last.get('red', 0)} 黄 {last.get('yellow', 0)} 绿 {last.get('green', 0)}",
                    sparkline(s["红"]),
                    sparkline(s["黄"]),
                    sparkline(s["绿"]),
                    sparkline(s["按时率"]),
                ]
            )
        span = f"（{labels[0]} 至 {labels[-1]}）" if labels else ""
        tables.append(
            (
                f"各部门灯色和按时率的变化{span}",
                ["部门", "严重度", "现在", "红", "黄", "绿", "按时率"],
                rows,
            )
        )
    return tables
