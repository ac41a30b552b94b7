"""XLSX files written for download (lists of the invoicing space)."""
import datetime as dt
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

MONEY_FORMAT = '#,##0.00'
DATE_FORMAT = 'DD/MM/YYYY'
# Excel sheet names: 31 characters, none of []:*?/\
FORBIDDEN_IN_TITLE = str.maketrans({char: " " for char in "[]:*?/\\"})


def write_xlsx(title: str, headers, rows) -> bytes:
    """One sheet: a bold header row, then the rows; Decimal stays exact (written
    as a number with two decimals), dates as dates."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(title.translate(FORBIDDEN_IN_TITLE)[:31] or "Export"))
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(sheet, value):
    if isinstance(value, bool):
        return WriteOnlyCell(sheet, value="oui" if value else "non")
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = MONEY_FORMAT
        return cell
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT + " HH:MM"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        # A customer named « =HYPERLINK(…) » must stay text, not become a formula.
        return WriteOnlyCell(sheet, value="'" + value)
    return WriteOnlyCell(sheet, value=value)
