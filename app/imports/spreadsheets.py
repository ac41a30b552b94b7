"""The spreadsheets of the imports: the templates to fill (XLSX with its « Mode
d'emploi » sheet, and CSV), and the report of the rejected rows.

Every text written is neutralised (app.accounting.spreadsheet.neutralise): a
value typed « =1+1 » or « +33 6… » comes back as « '=1+1 », never as a formula;
characters XML forbids become spaces. The report keeps the template's columns,
in order, then adds « Ligne d'origine » and « Motif du refus »: once the rows
are corrected, the report itself can be imported again (app.imports.reading
ignores those two columns and the neutralising quote).

The template's columns are formatted as text (« @ »), so that a spreadsheet
keeps what is typed there as typed: the zero of a postcode 01000, a SIREN, a
phone number starting with +.
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Callable, Iterable, Optional

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from app.accounting.spreadsheet import neutralise
from app.imports.columns import ImportKind
from app.imports.reading import REPORT_HEADERS
from app.imports.validation import Plan, format_rate
from app.messages import N_

TEXT_FORMAT = "@"
# The rows of the template's first sheet that get the columns' suggestions (drop-downs).
SUGGESTED_ROWS = 5000
DEFAULT_RATE = Decimal("20")
CSV_SEPARATOR = ";"
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP = Alignment(wrap_text=True, vertical="top")
_FORBIDDEN_IN_TITLE = str.maketrans({char: " " for char in "[]:*?/\\"})

HELP_TITLE = N_("Mode d'emploi")
REPORT_TITLE = N_("Lignes refusées")
HELP_HEADING = N_("Import « %(kind)s » : mode d'emploi")
HELP_HEADERS = (N_("Colonne"), N_("Obligatoire"), N_("Contenu"), N_("Format"),
                N_("Valeurs possibles"))
HELP_WIDTHS = (28, 12, 60, 50, 45)
YES, NO = N_("Oui"), N_("Non")
HELP_NOTES = (
    N_("Remplissez la première feuille, une ligne par enregistrement à partir de la ligne 2. "
       "Gardez la ligne 1 (les en-têtes) et toutes les colonnes, dans leur ordre, même celles "
       "que vous laissez vides."),
    N_("Les lignes 2 et 3 sont des exemples : remplacez-les par vos données, sinon elles "
       "seront importées."),
    N_("Formats acceptés : ce classeur (.xlsx), ou un fichier CSV en UTF-8 ou Windows-1252, "
       "séparé par des points-virgules ou des virgules."),
    N_("Rien n'est importé tant qu'une ligne contient une erreur : l'aperçu liste chaque "
       "problème (ligne, colonne, motif) et le fichier des lignes refusées les reprend ; "
       "corrigez-le et renvoyez-le tel quel."),
    N_("Une ligne qui correspond à un enregistrement du dossier (voir « Contenu » : comment il "
       "est reconnu) est refusée, sauf si vous cochez « Mettre à jour ceux qui existent "
       "déjà » : elle le met alors à jour, et une cellule vide garde la valeur actuelle."),
    N_("Une valeur qui commence par =, +, - ou @ est importée comme du texte, jamais comme une "
       "formule."),
)
ARTICLE_NOTES = (
    N_("Une catégorie qui n'existe pas encore dans le dossier est créée par l'import."),
)
RATES_HEADING = N_("Taux de TVA du dossier")
NO_RATES = N_("Aucun : ajoutez les taux de TVA dans le plan comptable du dossier.")


def _text(value) -> Optional[str]:
    """A text cell's value: XML-illegal characters to spaces, neutralised; None
    (a blank cell) for an empty text."""
    if value is None:
        return None
    text = ILLEGAL_CHARACTERS_RE.sub(" ", str(value))
    return neutralise(text) if text else None


def _title(text: str) -> str:
    return text.translate(_FORBIDDEN_IN_TITLE)[:31].strip() or "Feuille"


def _rate_example(vat_rates: list) -> str:
    """The example rows' rate: 20 when the client has it, else its highest rate."""
    if not vat_rates or DEFAULT_RATE in vat_rates:
        return "20"
    return format_rate(max(vat_rates)).removesuffix(" %")


def _example_rows(kind: ImportKind, vat_rates: Optional[list]) -> list:
    rows = kind.example_rows
    if vat_rates is not None and "vat_rate" in kind.keys:
        position = kind.keys.index("vat_rate")
        rate = _rate_example(vat_rates)
        for row in rows:
            row[position] = rate
    return rows


# Templates --------------------------------------------------------------------------------

def template_xlsx(kind: ImportKind, vat_rates: Iterable[Decimal], *,
                  gettext: Callable) -> bytes:
    """The XLSX template: sheet 1, the headers and example rows; sheet 2,
    « Mode d'emploi », each column explained, and the client's VAT rates."""
    vat_rates = sorted(vat_rates, reverse=True)
    # Filled into a sentence that has its own full stop (« … du dossier : %(rates)s. »).
    rates_text = (", ".join(format_rate(rate) for rate in vat_rates)
                  or gettext(NO_RATES).rstrip("."))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _title(gettext(kind.label))
    help_sheet = workbook.create_sheet(_title(gettext(HELP_TITLE)))
    _write_data_sheet(sheet, kind, vat_rates)
    rates_range = _write_help_sheet(help_sheet, kind, vat_rates, rates_text, gettext)
    _add_suggestions(sheet, kind, vat_rates, rates_range)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_data_sheet(sheet, kind: ImportKind, vat_rates: list):
    sheet.append([_text(header) for header in kind.headers])
    for cell in sheet[1]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
    for row in _example_rows(kind, vat_rates):
        sheet.append([_text(value) if value else None for value in row])
    for position, column in enumerate(kind.columns, start=1):
        dimension = sheet.column_dimensions[get_column_letter(position)]
        examples = [len(value) for value in column.example]
        dimension.width = max(12, len(column.header) + 4, *examples) + 2
        dimension.number_format = TEXT_FORMAT
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.number_format = TEXT_FORMAT
    sheet.freeze_panes = "A2"


def _write_help_sheet(sheet, kind: ImportKind, vat_rates: list, rates_text: str,
                      gettext: Callable) -> Optional[str]:
    """Writes the « Mode d'emploi »; returns the range of the rates' cells (for the
    rate column's drop-down), or None when the client has none."""
    params = {"rates": rates_text, "kind": gettext(kind.label)}
    sheet.append([_text(gettext(HELP_HEADING) % params)])
    sheet["A1"].font = Font(bold=True, size=13)
    notes = HELP_NOTES + (ARTICLE_NOTES if kind.code == "articles" else ())
    for note in notes:
        sheet.append([_text("• " + gettext(note) % params)])
        sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row,
                          end_column=len(HELP_HEADERS))
        sheet.cell(sheet.max_row, 1).alignment = WRAP
        sheet.row_dimensions[sheet.max_row].height = 32
    sheet.append([])
    sheet.append([_text(gettext(header)) for header in HELP_HEADERS])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
    for column in kind.columns:
        sheet.append([
            _text(column.header),
            _text(gettext(YES) if column.required else gettext(NO)),
            _text(gettext(column.meaning) % params if column.meaning else ""),
            _text(gettext(column.format) % params if column.format else ""),
            _text(gettext(column.allowed) % params if column.allowed else ""),
        ])
        for cell in sheet[sheet.max_row]:
            cell.alignment = WRAP
        sheet.cell(sheet.max_row, 1).font = BOLD
    for position, width in enumerate(HELP_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    if "vat_rate" not in kind.keys:
        return None
    sheet.append([])
    sheet.append([_text(gettext(RATES_HEADING))])
    sheet.cell(sheet.max_row, 1).font = BOLD
    first = sheet.max_row + 1
    for rate in vat_rates:
        sheet.append([_text(format_rate(rate).removesuffix(" %"))])
        sheet.cell(sheet.max_row, 1).number_format = TEXT_FORMAT
    if not vat_rates:
        sheet.append([_text(gettext(NO_RATES))])
        return None
    return f"{quote_sheetname(sheet.title)}!$A${first}:$A${sheet.max_row}"


def _add_suggestions(sheet, kind: ImportKind, vat_rates: list, rates_range: Optional[str]):
    """Drop-downs on the columns with a few known values. Suggestions only
    (no error box): the import also understands « bien », « 5.5 », « 20 % »…"""
    lists = {"is_company": '"Société,Particulier"', "nature": '"produit,service"'}
    if rates_range:
        lists["vat_rate"] = rates_range
    for position, key in enumerate(kind.keys, start=1):
        formula = lists.get(key)
        if formula is None:
            continue
        letter = get_column_letter(position)
        validation = DataValidation(type="list", formula1=formula, allow_blank=True,
                                    showErrorMessage=False)
        validation.add(f"{letter}2:{letter}{SUGGESTED_ROWS}")
        sheet.add_data_validation(validation)


def template_csv(kind: ImportKind) -> bytes:
    """The CSV template: UTF-8 with BOM (so that Excel reads the accents),
    semicolons (Excel's separator in French), the headers and example rows."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=CSV_SEPARATOR, lineterminator="\r\n")
    writer.writerow([_text(header) for header in kind.headers])
    for row in _example_rows(kind, None):
        writer.writerow([_text(value) or "" for value in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


# Rejected rows ----------------------------------------------------------------------------

def rejected_rows_xlsx(table, plan: Plan, *, gettext: Callable) -> bytes:
    """The rows refused, as typed, in the template's columns, then « Ligne
    d'origine » and « Motif du refus » (every problem of the row, one per line)."""
    kind = table.kind
    reasons = {}
    for problem in plan.problems:
        reasons.setdefault(problem.line, []).append(f"{problem.column} : {problem.reason}")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_title(gettext(REPORT_TITLE)))
    widths = [max(12, len(header) + 4) for header in kind.headers] + [16, 80]
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.freeze_panes = "A2"
    header_cells = []
    for header in kind.headers + REPORT_HEADERS:
        cell = WriteOnlyCell(sheet, value=_text(header))
        cell.font = BOLD
        header_cells.append(cell)
    sheet.append(header_cells)
    keys = kind.keys
    for row in table.rows:
        lines = reasons.get(row.line)
        if lines is None:
            continue
        reason = WriteOnlyCell(sheet, value=_text("\n".join(lines)))
        reason.alignment = WRAP
        sheet.append([_text(row.values.get(key)) for key in keys] + [row.line, reason])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


__all__ = ["rejected_rows_xlsx", "template_csv", "template_xlsx"]
