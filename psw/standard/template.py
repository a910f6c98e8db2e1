"""The blank Excel template, written from the standard: the return sheet first (the
platform reads a workbook's first sheet), then a guidance sheet, then the code lists.

Every cell of the return sheet, to row 5,000, refuses what the standard would reject at
once, as the person types: a code not in its list (a drop-down), a date that is not one
or before the earliest start date, an FTE outside 0-1, a negative salary, a job title
over its length. Each column shows what it holds when its cell is chosen. Code and text
columns are formatted as text, so a code such as AfC band `4` stays `4`, not the number
4. The platform's validation stays the gate: these only catch mistakes early.
"""

from __future__ import annotations

import io

from psw.standard.model import Column, Standard

LAST_ROW = 5000
REQUIRED = {"Y": "Yes", "C": "When the rule says", "N": "No"}


def template_xlsx(standard: Standard) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "PSW return"
    guidance = workbook.create_sheet("Guidance")
    codes = workbook.create_sheet("Codes")
    ranges = _code_lists(codes, standard, bold)
    for position, column in enumerate(standard.columns, start=1):
        cell = sheet.cell(row=1, column=position, value=column.name)
        cell.font = bold
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(12, len(column.name) + 2)
        if column.type in ("code", "text"):
            sheet.column_dimensions[letter].number_format = "@"
        rule = _validation(column, ranges, standard)
        if rule is not None:
            rule.add(f"{letter}2:{letter}{LAST_ROW}")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"
    _guidance(guidance, standard, bold, Alignment(wrap_text=True, vertical="top"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _code_lists(codes, standard: Standard, bold) -> dict[str, str]:
    codes.append(["column", "code", "label"])
    ranges: dict[str, str] = {}
    for name, items in standard.code_lists.items():
        first = codes.max_row + 1
        for item in items:
            codes.append([name, item.code, item.label])
        # Stored without a leading '=', as Excel itself writes list sources.
        ranges[name] = f"Codes!$B${first}:$B${codes.max_row}"
    for cell in codes[1]:
        cell.font = bold
    for letter, width in zip("ABC", (24, 32, 60), strict=True):
        codes.column_dimensions[letter].width = width
    codes.freeze_panes = "A2"
    return ranges


def _validation(column: Column, ranges: dict[str, str], standard: Standard):
    from openpyxl.worksheet.datavalidation import DataValidation

    earliest = standard.limits["earliest_start_date"]
    year, month, day = (int(part) for part in earliest.split("-"))
    if column.codes:
        rule = DataValidation(type="list", formula1=ranges[column.codes])
        error = "Choose one of the codes in the list (the Codes sheet says what each means)."
    elif column.type == "date":
        rule = DataValidation(
            type="date",
            operator="between",
            formula1=f"DATE({year},{month},{day})",
            formula2="DATE(2099,12,31)",
        )
        error = f"Enter a date (for example 30/06/2025), not before {day}/{month}/{year}."
    elif column.type == "decimal" and column.max is not None:
        low = column.min_exclusive if column.min_exclusive is not None else 0
        rule = DataValidation(
            type="decimal", operator="between", formula1=str(low + 0.0001), formula2=str(column.max)
        )
        error = f"Enter a number over {low:g} and at most {column.max:g}, e.g. {column.example}."
    elif column.type == "decimal":
        rule = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
        error = "Enter a number of pounds, 0 or more, without a £ sign or commas."
    elif column.max_length:
        rule = DataValidation(
            type="textLength", operator="lessThanOrEqual", formula1=str(column.max_length)
        )
        error = f"Keep it to {column.max_length} characters."
    else:
        return None
    rule.allow_blank = True  # a blank row is no row; a required blank is the platform's to say
    rule.showErrorMessage, rule.errorStyle = True, "stop"
    rule.errorTitle, rule.error = f"Not a valid {column.name}"[:32], error[:255]
    rule.showInputMessage = True
    rule.promptTitle, rule.prompt = column.name[:32], column.description[:255]
    return rule


def _guidance(sheet, standard: Standard, bold, wrapped) -> None:
    lines = [
        (f"{standard.name} v{standard.version}: how to fill in this template", True),
        (
            "Put one row per peer support worker assignment in post on the last day of the "
            "month, on the first sheet (PSW return), under the column names in row 1. Do not "
            "rename, move or delete columns; leave a column blank when it does not apply.",
            False,
        ),
        ("No PSWs that month? Send the template with no rows: that is a nil return.", False),
        (
            "Never add names, dates of birth, NHS or National Insurance numbers, addresses, "
            "emails or phone numbers: the platform rejects any file that holds them.",
            False,
        ),
        (
            "The drop-downs and checks on the first sheet catch mistakes as you type; the "
            "platform checks the whole file when you upload it, and says what to fix.",
            False,
        ),
        (
            "Save as Excel (.xlsx) or CSV and upload it through the portal, or to your trust's "
            "bucket under returns/<YYYY-MM>/, by the 15th of the following month.",
            False,
        ),
        ("", False),
    ]
    for text, heading in lines:
        sheet.append([text])
        if heading:
            sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append(["Column", "Required", "What it holds", "Format or codes", "Example"])
    header = sheet.max_row
    for column in standard.columns:
        form = (
            f"a code from the list {column.codes} (Codes sheet)"
            if column.codes
            else column.format_hint
            or {"date": "a date", "decimal": "a number", "text": "text"}[column.type]
        )
        sheet.append(
            [column.name, REQUIRED[column.required], column.description, form, column.example]
        )
    for cell in sheet[header]:
        cell.font = bold
    for letter, width in zip("ABCDE", (28, 12, 70, 36, 26), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=header):
        for cell in row:
            cell.alignment = wrapped
