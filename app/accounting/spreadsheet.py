"""The entries as an XLSX workbook (DESIGN.md §4, « Spreadsheet »), for the
people who check an export by eye: the FEC's columns plus the « provenance »
of every line (why it got its account). Pure Python: openpyxl only.

Written with openpyxl's write-only workbook, row by row, so that memory stays
flat whatever the number of lines. Amounts are numbers (exact Decimal) with
the format '#,##0.00', dates are real dates shown DD/MM/YYYY, so that the
accountant can sum, filter and sort. The empty side of a line is a blank
cell, as in a printed ledger.

No text cell is ever evaluated by a spreadsheet program: a text starting
with =, +, -, @, a tab or a CR (a customer named « =HYPERLINK(…) », a piece
« +33… ») is prefixed with a single quote (`neutralise`); characters XML
forbids are replaced by a space (openpyxl would refuse the file otherwise).
"""
from __future__ import annotations

from decimal import Decimal
from typing import BinaryIO, Iterable, Optional, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.accounting.entries import Entry
from app.messages import N_

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "DD/MM/YYYY"
# What a spreadsheet program may take for the start of a formula (OWASP « CSV injection »).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"

SHEET_TITLE = N_("Écritures")
HEADERS = (
    N_("Journal"), N_("Libellé du journal"), N_("N° d'écriture"), N_("Date"), N_("Compte"),
    N_("Libellé du compte"), N_("Compte auxiliaire"), N_("Libellé auxiliaire"), N_("Pièce"),
    N_("Date de pièce"), N_("Libellé"), N_("Débit"), N_("Crédit"), N_("Lettrage"),
    N_("Date de lettrage"), N_("Provenance"),
)
# Widths in characters, column by column: wide enough for the usual content.
COLUMN_WIDTHS = (9, 22, 12, 11, 11, 30, 14, 28, 14, 12, 40, 13, 13, 9, 12, 70)
# Sheet titles: 31 characters, none of []:*?/\
_FORBIDDEN_IN_TITLE = str.maketrans({char: " " for char in "[]:*?/\\"})


def neutralise(text):
    """`text` as a spreadsheet program will never evaluate it: prefixed with
    a single quote when it starts with =, +, -, @, a tab or a CR (« =1+1 » →
    « '=1+1 »). Anything that is not a non-empty str is returned unchanged."""
    if isinstance(text, str) and text.startswith(FORMULA_TRIGGERS):
        return QUOTE + text
    return text


def _text(value) -> Optional[str]:
    """A text cell's value: XML-illegal characters to spaces, neutralised;
    None (a blank cell) for an empty text."""
    if value is None:
        return None
    text = ILLEGAL_CHARACTERS_RE.sub(" ", str(value))
    return neutralise(text) if text else None


def _styled(sheet, value, number_format: str):
    """A cell with a number format; a blank cell for None or a zero amount."""
    if value is None or (isinstance(value, Decimal) and not value):
        return None
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _row(sheet, entry, line) -> list:
    """The 16 cells of one entry line."""
    return [
        _text(entry.journal_code), _text(entry.journal_label), _text(entry.number),
        _styled(sheet, entry.date, DATE_FORMAT),
        _text(line.account), _text(line.account_label),
        _text(line.auxiliary), _text(line.auxiliary_label if line.auxiliary else ""),
        _text(entry.piece_ref), _styled(sheet, entry.piece_date, DATE_FORMAT),
        _text(line.label or entry.label),
        _styled(sheet, line.debit, MONEY_FORMAT), _styled(sheet, line.credit, MONEY_FORMAT),
        _text(line.lettering),
        _styled(sheet, line.lettering_date if line.lettering else None, DATE_FORMAT),
        _text(line.provenance),
    ]


def write_entries_xlsx(entries: Iterable[Entry], out: BinaryIO, *,
                       headers: Optional[Sequence[str]] = None,
                       title: Optional[str] = None) -> int:
    """Writes one sheet of the entries' lines to the binary file `out`: a
    bold, frozen header row (`headers`, the translated HEADERS; French by
    default), then one row per entry line. Returns the number of lines."""
    headers = tuple(HEADERS if headers is None else headers)
    if len(headers) != len(HEADERS):
        raise ValueError(f"{len(HEADERS)} en-têtes attendus, {len(headers)} reçus.")
    workbook = Workbook(write_only=True)
    sheet_title = (title or SHEET_TITLE).translate(_FORBIDDEN_IN_TITLE)[:31].strip()
    sheet = workbook.create_sheet(title=sheet_title or SHEET_TITLE)
    for position, width in enumerate(COLUMN_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=_text(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    written = 0
    for entry in entries:
        for line in entry.lines:
            sheet.append(_row(sheet, entry, line))
            written += 1
    workbook.save(out)
    return written


__all__ = ["HEADERS", "MONEY_FORMAT", "DATE_FORMAT", "neutralise", "write_entries_xlsx"]
