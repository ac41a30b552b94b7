"""The spreadsheets of the imports (app/imports/spreadsheets.py): the XLSX and
CSV templates (headers in order, example rows, a « Mode d'emploi » sheet
explaining every column), and the rejected-rows report — every text neutralised
so that no spreadsheet runs it as a formula, and the report, once corrected,
importable as it is. Pure: no app, no database; files read back with openpyxl
(as a spreadsheet would) and with app.imports.reading."""
import io
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from app.imports.columns import KINDS
from app.imports.reading import REPORT_HEADERS, Limits, read_file
from app.imports.spreadsheets import rejected_rows_xlsx, template_csv, template_xlsx
from app.imports.validation import Context, validate
from app.plans.default_data import DEFAULT_PLANS
from import_corpus.build_corpus import csv_bytes

ARTICLES, CONTACTS = KINDS["articles"], KINDS["contacts"]
TRIGGERS = ("=", "+", "-", "@")
PCG = next(plan for plan in DEFAULT_PLANS if plan["code"] == "pcg")
PCG_RATES = frozenset(rate["rate"].quantize(D("0.01")) for rate in PCG["vat_rates"])
PCG_CONTEXT = Context(vat_rates=PCG_RATES, existing={}, categories={},
                      plan_accounts=frozenset(number for number, *_ in PCG["accounts"]),
                      account_length=8)
HELP_HEADERS = ("Colonne", "Obligatoire", "Contenu", "Format", "Valeurs possibles")


def gettext(msgid):
    return msgid


def workbook(data):
    return load_workbook(io.BytesIO(data))


def read(data, name, kind):
    return read_file(data, name, kind, limits=Limits(), gettext=gettext)


def sheet_values(sheet):
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def help_rows(sheet):
    """The « Mode d'emploi » rows of the columns' table, by column header."""
    rows = sheet_values(sheet)
    start = rows.index(HELP_HEADERS) + 1
    table = {}
    for row in rows[start:]:
        if row[0] is None:
            break
        table[row[0]] = row[1:]
    return table


# XLSX template ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", [CONTACTS, ARTICLES], ids=lambda kind: kind.code)
def test_template_xlsx_first_sheet_headers_in_order_then_examples_as_text(kind):
    book = workbook(template_xlsx(kind, PCG_RATES, gettext=gettext))
    assert book.sheetnames == [{"contacts": "Clients facturés", "articles": "Articles"}[kind.code],
                               "Mode d'emploi"]
    sheet = book.worksheets[0]
    rows = sheet_values(sheet)
    assert rows[0] == kind.headers
    assert [[value or "" for value in row] for row in rows[1:]] == kind.example_rows
    assert len(rows) == 3
    assert all(cell.font.bold for cell in sheet[1])
    # Typed as text: a postcode keeps its 0, a « +33 » phone is no formula.
    assert {cell.number_format for row in sheet.iter_rows(min_row=2) for cell in row} == {"@"}
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row
               if cell.value is not None)
    assert sheet.freeze_panes == "A2"


def test_template_xlsx_examples_of_the_articles():
    sheet = workbook(template_xlsx(ARTICLES, PCG_RATES, gettext=gettext)).worksheets[0]
    assert sheet_values(sheet)[1:] == [
        ("ART-001", "Audit énergétique", "service", "450,00", "20", "Prestations", "706000"),
        ("ART-002", "Thermostat connecté", "produit", "129,90", "20", "Matériel", None)]


@pytest.mark.parametrize("kind", [CONTACTS, ARTICLES], ids=lambda kind: kind.code)
def test_the_help_sheet_explains_every_column(kind):
    sheet = workbook(template_xlsx(kind, [D("20"), D("5.5")], gettext=gettext))["Mode d'emploi"]
    rows = sheet_values(sheet)
    assert rows[0][0] == f"Import « {kind.label} » : mode d'emploi"
    table = help_rows(sheet)
    assert list(table) == list(kind.headers)
    for column in kind.columns:
        required, meaning, format_, allowed = table[column.header]
        assert required == ("Oui" if column.required else "Non")
        assert format_ == column.format.replace("%%", "%")
        assert meaning == (column.meaning or None)
        assert format_, column.header
    texts = [value for row in rows for value in row if isinstance(value, str)]
    assert not [text for text in texts if "%(" in text or "%%" in text]
    assert any("Une valeur qui commence par =, +, - ou @ est importée comme du texte" in text
               for text in texts)


def test_the_help_sheet_gives_the_clients_rates():
    book = workbook(template_xlsx(ARTICLES, [D("5.5"), D("20"), D("2.1")], gettext=gettext))
    sheet = book["Mode d'emploi"]
    table = help_rows(sheet)
    assert table["Taux de TVA"] == (
        "Oui", "Le taux de TVA appliqué à l'article.", "Le taux en pourcentage : 20, 5,5 ou 20 %.",
        "Un des taux de TVA du dossier : 20 %, 5,5 %, 2,1 %.")
    rows = sheet_values(sheet)
    start = rows.index(("Taux de TVA du dossier", None, None, None, None)) + 1
    assert [row[0] for row in rows[start:]] == ["20", "5,5", "2,1"]
    # The rate column offers them (a suggestion), as natures are offered.
    validations = {str(validation.sqref): validation.formula1
                   for validation in book.worksheets[0].data_validations.dataValidation}
    assert validations == {"C2:C5000": '"produit,service"',
                           "E2:E5000": f"'Mode d''emploi'!$A${start + 1}:$A${start + 3}"}


def test_a_client_without_20_percent_gets_examples_it_can_import():
    rates = [D("8.5"), D("2.1")]
    data = template_xlsx(ARTICLES, rates, gettext=gettext)
    rows = sheet_values(workbook(data).worksheets[0])
    assert [row[4] for row in rows[1:]] == ["8,5", "8,5"]
    plan = validate(read(data, "modele.xlsx", ARTICLES),
                    Context(vat_rates=frozenset(rates), existing={}, categories={}),
                    gettext=gettext)
    assert plan.ok and [create["vat_rate"] for create in plan.creates] == [D("8.5")] * 2


def test_a_client_without_rates_is_told_to_add_them():
    book = workbook(template_xlsx(ARTICLES, [], gettext=gettext))
    table = help_rows(book["Mode d'emploi"])
    assert table["Taux de TVA"][3] == ("Un des taux de TVA du dossier : Aucun : ajoutez les taux "
                                       "de TVA dans le plan comptable du dossier.")
    assert [str(validation.sqref) for validation in
            book.worksheets[0].data_validations.dataValidation] == ["C2:C5000"]


@pytest.mark.parametrize("kind", [CONTACTS, ARTICLES], ids=lambda kind: kind.code)
def test_the_template_xlsx_imports_as_it_is(kind):
    data = template_xlsx(kind, PCG_RATES, gettext=gettext)
    table = read(data, "modele.xlsx", kind)
    assert [row.line for row in table.rows] == [2, 3]
    assert [list(row.values.values()) for row in table.rows] == [
        [value or None for value in row] for row in kind.example_rows]
    assert validate(table, PCG_CONTEXT, gettext=gettext).ok


def test_the_template_is_translated_but_not_its_headers_and_stays_neutralised():
    catalogue = {"Articles": "Items", "Mode d'emploi": "How to", "Oui": "=OUI()",
                 "Non": "-non", "Le libellé de l'article, repris sur les factures.": "@label",
                 "Import « %(kind)s » : mode d'emploi": "+%(kind)s: how to"}
    book = workbook(template_xlsx(ARTICLES, PCG_RATES,
                                  gettext=lambda msgid: catalogue.get(msgid, msgid)))
    assert book.sheetnames == ["Items", "How to"]
    assert sheet_values(book["Items"])[0] == ARTICLES.headers
    sheet = book["How to"]
    assert sheet["A1"].value == "'+Items: how to"
    table = help_rows(sheet)
    assert table["Désignation"][:2] == ("'=OUI()", "'@label")
    assert table["Référence"][0] == "'-non"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


# CSV template -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", [CONTACTS, ARTICLES], ids=lambda kind: kind.code)
def test_the_template_csv_is_excel_french_and_reads_back_without_refusal(kind):
    data = template_csv(kind)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data[3:].decode("utf-8").split("\r\n")
    assert lines[0] == ";".join(kind.headers)
    assert lines[1:] == [";".join(row) for row in kind.example_rows] + [""]
    table = read(data, "modele.csv", kind)
    assert table.detected == {"format": "csv", "encoding": "UTF-8 (BOM)", "separator": ";",
                              "decimal": "," if kind is ARTICLES else None}
    assert [list(row.values.values()) for row in table.rows] == [
        [value or None for value in row] for row in kind.example_rows]
    assert validate(table, PCG_CONTEXT, gettext=gettext).ok


# Rejected-rows report ---------------------------------------------------------------------

BAD_FILE = csv_bytes([
    ARTICLES.headers,
    ("A-1", "Audit", "service", "450", "20", None, None),
    ("A-2", '=HYPERLINK("http://evil.example";"Pose")', "service", "-90", "20", "@Atelier",
     None),
    (None,) * 7,
    ("-A-3", "+Conseil", "truc", "12,345", "19,6", None, "706"),
])


def _report():
    table = read(BAD_FILE, "articles.csv", ARTICLES)
    plan = validate(table, PCG_CONTEXT, gettext=gettext)
    return table, plan, rejected_rows_xlsx(table, plan, gettext=gettext)


def test_the_report_lists_the_rejected_rows_as_typed_with_line_and_reasons():
    _table, _plan, data = _report()
    book = workbook(data)
    assert book.sheetnames == ["Lignes refusées"]
    sheet = book.active
    rows = sheet_values(sheet)
    assert rows[0] == ARTICLES.headers + REPORT_HEADERS
    assert rows[1:] == [
        ("A-2", '\'=HYPERLINK("http://evil.example";"Pose")', "service", "'-90", "20",
         "'@Atelier", None, 3,
         "Prix unitaire HT : « -90 » n'est pas un prix valide : il doit être positif ou nul."),
        ("'-A-3", "'+Conseil", "truc", "12,345", "19,6", None, "706", 5,
         "Nature : « truc » n'est pas une nature : écrivez « produit » ou « service ».\n"
         "Prix unitaire HT : « 12,345 » n'est pas un prix valide : deux décimales au plus "
         "(arrondissez au centime, par exemple 12,35).\n"
         "Taux de TVA : « 19,6 » n'est pas un taux de TVA du dossier : choisissez parmi 20 %, "
         "10 %, 5,5 %, 2,1 %, 0 %."),
    ]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_the_report_reads_back_as_the_rows_it_holds():
    table, plan, data = _report()
    again = read(data, "lignes-refusees.xlsx", ARTICLES)
    assert again.detected["format"] == "xlsx"
    rejected = [row.values for row in table.rows if row.line in plan.rejected_lines]
    assert [row.values for row in again.rows] == rejected
    assert [row.line for row in again.rows] == [2, 3]
    # The same problems, on the report's own lines.
    problems = validate(again, PCG_CONTEXT, gettext=gettext).problems
    assert [(problem.line, problem.reason) for problem in problems] == [
        ({3: 2, 5: 3}[problem.line], problem.reason) for problem in plan.problems]


def test_the_report_corrected_in_a_spreadsheet_imports_its_rows():
    _table, _plan, data = _report()
    book = workbook(data)
    sheet = book.active
    sheet["D2"] = "90"       # was -90
    sheet["C3"] = "service"  # was truc
    sheet["D3"] = "12,35"    # was 12,345
    sheet["E3"] = "20"       # was 19,6
    buffer = io.BytesIO()
    book.save(buffer)
    plan = validate(read(buffer.getvalue(), "corrige.xlsx", ARTICLES), PCG_CONTEXT,
                    gettext=gettext)
    assert plan.ok
    assert [(create["reference"], create["label"], create["unit_price_ht"], create["account"])
            for create in plan.creates] == [
        ("A-2", '=HYPERLINK("http://evil.example";"Pose")', D("90.00"), None),
        ("-A-3", "+Conseil", D("12.35"), "706")]
    assert plan.new_categories == ["@Atelier"]


CHARACTERS = st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp"))
texts = st.text(alphabet=CHARACTERS, min_size=1, max_size=15).map(str.strip).filter(bool)
# What the report's quote cannot tell apart: a text that itself starts with « ' » and
# a trigger reads back without that quote (the corner is left to the user).
texts = texts.filter(lambda text: not (text[0] == "'" and text[1:2] in TRIGGERS))
formula_like = st.builds(lambda trigger, rest: trigger + rest, st.sampled_from(TRIGGERS),
                         st.text(alphabet=CHARACTERS, max_size=10).map(str.rstrip))
cells = st.one_of(st.none(), texts, formula_like)


@given(rows=st.lists(st.lists(cells, min_size=7, max_size=7), min_size=1, max_size=5))
@settings(max_examples=60, deadline=None)
def test_any_rejected_row_comes_back_from_the_report_and_is_never_a_formula(rows):
    # Every row is rejected: its nature is unknown.
    rows = [row[:2] + ["¤"] + row[3:] for row in rows]
    table = read(csv_bytes([ARTICLES.headers, *rows]), "a.csv", ARTICLES)
    plan = validate(table, PCG_CONTEXT, gettext=gettext)
    assert len(plan.rejected_lines) == len(table.rows)
    data = rejected_rows_xlsx(table, plan, gettext=gettext)
    sheet = workbook(data).active
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert not cell.value.startswith(TRIGGERS), cell.value
    again = read(data, "report.xlsx", ARTICLES)
    assert [row.values for row in again.rows] == [row.values for row in table.rows]
