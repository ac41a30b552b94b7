"""Reading an uploaded file for an import (app/imports/reading.py): what is
accepted and detected, what is refused and with which French message, the line
numbers the user sees, cells kept as text, the limits (size, rows, zip bombs).
Pure: no app, no database; the corpus is tests/import_corpus (its README)."""
import codecs
import csv
import io
import tracemalloc
import zipfile
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.imports.columns import KINDS
from app.imports.reading import REPORT_HEADERS, FileRefused, Limits, read_file
from import_corpus.build_corpus import (
    ARTICLE_HEADERS, ARTICLE_ROWS, BY_NAME, CONTACT_HEADERS, CORPUS, Formula, corpus_bytes,
    csv_bytes, oversized_csv, xlsx_bytes, zip_bytes,
)

ARTICLES, CONTACTS = KINDS["articles"], KINDS["contacts"]
LIMITS = Limits()
NNBSP = "\u202f"


def gettext(msgid):
    return msgid


def read(data, name="articles.csv", kind=ARTICLES, limits=LIMITS, translate=gettext):
    return read_file(data, name, kind, limits=limits, gettext=translate)


def refusal(data, name="articles.csv", kind=ARTICLES, limits=LIMITS, translate=gettext):
    with pytest.raises(FileRefused) as caught:
        read(data, name, kind, limits, translate)
    return caught.value.message


def values(table):
    return [(row.line, tuple(row.values.values())) for row in table.rows]


# The corpus -----------------------------------------------------------------------------

REFUSED_FILES = [case for case in CORPUS if case.refusal]
READABLE_FILES = [case for case in CORPUS if not case.refusal]


def test_the_template_headers_are_those_of_the_corpus():
    """The file format is a contract: the corpus writes the headers out."""
    assert ARTICLES.headers == ARTICLE_HEADERS
    assert CONTACTS.headers == CONTACT_HEADERS


@pytest.mark.parametrize("case", REFUSED_FILES, ids=lambda case: case.name)
def test_each_bad_file_is_refused_with_its_message(case):
    assert refusal(corpus_bytes(case), case.name, KINDS[case.kind]) == case.refusal


@pytest.mark.parametrize("case", READABLE_FILES, ids=lambda case: case.name)
def test_each_readable_file_is_read(case):
    table = read(corpus_bytes(case), case.name, KINDS[case.kind])
    assert table.kind is KINDS[case.kind]
    assert all(set(row.values) == set(KINDS[case.kind].keys) for row in table.rows)
    if case.accepted:
        assert table.detected == case.detected
        assert len(table.rows) == len(case.rows)


def test_every_stored_corpus_file_is_small_and_as_build_corpus_writes_it():
    from import_corpus import build_corpus

    for case in CORPUS:
        path = build_corpus.HERE / case.name
        if not case.stored:
            assert not path.exists(), case.name
            continue
        stored, built = path.read_bytes(), case.build()
        assert len(stored) < 100_000, case.name
        if stored[:4] == b"PK\x03\x04" and case.name != "truncated.xlsx":
            # Zips are compared by their directory: another zlib may deflate differently.
            assert _directory(stored) == _directory(built), case.name
        elif case.name == "truncated.xlsx":
            assert stored[:30] == built[:30]  # the first part's header; the rest is cut
        else:
            assert stored == built, case.name
    readme = (build_corpus.HERE / "README.md").read_text(encoding="utf-8")
    assert readme == build_corpus.readme()
    for case in CORPUS:
        assert f"`{case.name}" in readme


def _directory(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(part.filename, part.file_size, part.CRC) for part in archive.infolist()]


# Accepted files: detection, text cells, line numbers ------------------------------------

def test_utf8_bom_semicolons_decimal_commas_lines_count_blank_ones():
    table = read(corpus_bytes(BY_NAME["good_articles_utf8_bom_semicolons.csv"]))
    assert table.detected == {"format": "csv", "encoding": "UTF-8 (BOM)", "separator": ";",
                              "decimal": ","}
    assert [row.line for row in table.rows] == [2, 3, 5, 6, 7]
    first = table.rows[0].values
    assert first == {"reference": "ART-001", "label": "Audit énergétique", "nature": "service",
                     "unit_price_ht": "1 234,56", "vat_rate": "20", "category": "Prestations",
                     "account": "706000"}
    assert table.rows[1].values["unit_price_ht"] == "1\u00a0299,90"
    assert table.rows[3].values["reference"] is None


def test_windows_1252_accents_are_read():
    table = read(corpus_bytes(BY_NAME["good_contacts_windows1252.csv"]), kind=CONTACTS)
    assert table.detected["encoding"] == "Windows-1252"
    assert [row.values["name"] for row in table.rows] == [
        "Boulangerie Lefèvre", "Cœur", "Société Générale d'Études"]
    assert table.rows[0].values["address_line1"] == "3 place de l'Église"
    assert table.rows[1].values["city"] == "Orléans"


def test_xlsx_cells_are_text_as_the_sheet_shows_them():
    table = read(corpus_bytes(BY_NAME["good_articles.xlsx"]), "articles.xlsx")
    assert [row.line for row in table.rows] == [2, 4, 5]
    assert values(table) == [
        (2, ("X-1", "Câble 3G2,5", "produit", "129.9", "20", "Électricité", "706000")),
        (4, ("1001", "Diagnostic", "service", "120", "0.055", "Diagnostics", None)),
        (5, ("X-3", "Kit solaire", "bien", "0.3", "0.2", None, None)),
    ]


def test_xlsx_booleans_dates_and_leading_blank_cells():
    import datetime as dt

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(ARTICLE_HEADERS))
    sheet.append([None, True, dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 8, 30), 12.5,
                  "  espaces  ", " "])
    buffer = io.BytesIO()
    workbook.save(buffer)
    (row,) = read(buffer.getvalue(), "a.xlsx").rows
    assert tuple(row.values.values()) == (None, "VRAI", "2026-03-01", "2026-03-01 08:30:00",
                                          "12.5", "espaces", None)


@pytest.mark.parametrize("encoding, bom, detected", [
    ("utf-8", b"", "UTF-8"),
    ("utf-8", codecs.BOM_UTF8, "UTF-8 (BOM)"),
    ("cp1252", b"", "Windows-1252"),
    ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-16"),
    ("utf-16-be", codecs.BOM_UTF16_BE, "UTF-16"),
])
@pytest.mark.parametrize("separator, name", [(";", ";"), (",", ","), ("\t", "tabulation")])
def test_encodings_and_separators_are_detected(encoding, bom, detected, separator, name):
    rows = [ARTICLE_HEADERS, ("É-1", "Désignation; « œuvre », 12,5 €", "service", "12,50",
                              "5,5", None, None)]
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerows(rows)
    table = read(bom + buffer.getvalue().encode(encoding))
    assert table.detected == {"format": "csv", "encoding": detected, "separator": name,
                              "decimal": ","}
    assert values(table) == [(2, ("É-1", "Désignation; « œuvre », 12,5 €", "service", "12,50",
                                  "5,5", None, None))]


def test_excel_sep_hint_line_sets_the_separator_and_is_not_a_line():
    text = "sep=,\r\n" + ",".join(ARTICLE_HEADERS) + "\r\nA;1,Audit,service,12.5,20,,\r\n"
    table = read(text.encode())
    assert table.detected["separator"] == ","
    assert table.detected["decimal"] == "."
    assert values(table) == [(2, ("A;1", "Audit", "service", "12.5", "20", None, None))]


def test_short_rows_are_padded_and_trailing_empty_cells_ignored():
    text = ";".join(ARTICLE_HEADERS) + ";;\r\nA-1;Audit\r\nA-2;Pose;service;1;20;;;;;\r\n"
    table = read(text.encode())
    assert values(table) == [(2, ("A-1", "Audit", None, None, None, None, None)),
                             (3, ("A-2", "Pose", "service", "1", "20", None, None))]


def test_a_trailing_semicolon_on_each_row_is_harmless():
    text = ";".join(ARTICLE_HEADERS) + "\r\nA-1;Audit;service;10,00;20;;;\r\n"
    assert values(read(text.encode())) == [
        (2, ("A-1", "Audit", "service", "10,00", "20", None, None))]


def test_a_comma_row_wider_than_its_header_line_is_refused_even_when_the_overflow_is_empty():
    header = ",".join(ARTICLE_HEADERS)
    message = refusal((header + "\r\nA-1,Audit,service,450,20,,\r\n"
                       "A-2,Pose,service,10,00,20,,\r\n").encode())
    assert message.startswith("Ligne 3 : 8 valeurs alors que la ligne d'en-têtes en a 7. Le "
                              "fichier est séparé par des virgules : une valeur qui contient "
                              "une virgule (un prix comme 12,50) doit être entre guillemets")
    # Quoted, the same price is one cell; a header line as wide as the rows is fine too.
    assert values(read((header + '\r\nA-2,Pose,service,"10,00",20,,\r\n').encode()))[0][1][3] \
        == "10,00"
    assert len(read((header + ",\r\nA-2,Pose,service,10,20,,,\r\n").encode()).rows) == 1


def test_header_names_fold_case_accents_spaces_and_typographic_apostrophes():
    header = ["TYPE", "nom  ou raison sociale", "prenom", "Adresse",
              "Complément d’Adresse", "code postal", "VILLE", "pays", "e-mail", "telephone",
              "Siren", "n° de tva intracommunautaire", "compte AUXILIAIRE"]
    data = csv_bytes([header, ["Société", "Dupont"] + [None] * 11])
    (row,) = read(data, kind=CONTACTS).rows
    assert row.values["name"] == "Dupont"


def test_formula_like_texts_stay_texts_and_only_the_report_loses_its_quote():
    rows = [("'=1+1", "=HYPERLINK(\"x\")", "-service", "+12", "@20", "'plain", "'-706")]
    csv_table = read(csv_bytes([ARTICLE_HEADERS, *rows]))
    assert tuple(csv_table.rows[0].values.values()) == rows[0]
    report = read(xlsx_bytes([ARTICLE_HEADERS + REPORT_HEADERS, rows[0] + (2, "Motif")]),
                  "report.xlsx")
    assert tuple(report.rows[0].values.values()) == (
        "=1+1", "=HYPERLINK(\"x\")", "-service", "+12", "@20", "'plain", "-706")


def test_an_xlsx_formula_gives_its_cached_value_never_its_text():
    data = xlsx_bytes([ARTICLE_HEADERS, ("F", Formula("UPPER(\"a\")", "A"), "service",
                                         Formula("1+2", 3), Formula("2*10", 20), None,
                                         Formula("706000+0"))])
    assert values(read(data, "f.xlsx")) == [(2, ("F", "A", "service", "3", "20", None, None))]


def test_the_report_columns_are_ignored_but_not_a_value_after_them():
    header = ARTICLE_HEADERS + REPORT_HEADERS
    table = read(csv_bytes([header, ("A", "Audit", "service", "1", "20", None, None, "4",
                                     "Motif du refus : …")]))
    assert values(table) == [(2, ("A", "Audit", "service", "1", "20", None, None))]
    message = refusal(csv_bytes([header, ("A", "Audit", "service", "1", "20", None, None, "4",
                                          "Motif", "en trop")]))
    assert message == ("Ligne 2 : la valeur « en trop » est en colonne 10 (J), après la "
                       "dernière colonne du modèle (« Compte de vente »).")


def test_a_file_name_with_a_windows_path_is_named_by_its_last_part():
    message = refusal(b"%PDF-1.7 ...", "C:\\Users\\compta\\Bureau\\articles.xlsx")
    assert message.startswith("« articles.xlsx » est un document PDF, pas un classeur XLSX")


def test_a_txt_extension_is_read_as_csv_and_extensions_ignore_case():
    data = csv_bytes([ARTICLE_HEADERS, ARTICLE_ROWS[0]])
    assert len(read(data, "ARTICLES.TXT").rows) == 1
    assert len(read(data, "Articles.CSV").rows) == 1
    assert refusal(data, "articles") == (
        "« articles » n'est ni un classeur .xlsx ni un fichier .csv : enregistrez-le dans l'un "
        "de ces formats depuis votre tableur, comme les modèles.")


# Headers ----------------------------------------------------------------------------------

def _letter(position):
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[position - 1]


@given(kind=st.sampled_from([ARTICLES, CONTACTS]), data=st.data())
@settings(max_examples=60, deadline=None)
def test_any_other_column_order_is_refused_naming_the_first_column_that_differs(kind, data):
    headers = list(kind.headers)
    order = data.draw(st.permutations(headers))
    assume(order != headers)
    message = refusal(csv_bytes([order, ["x"] * len(order)]), kind=kind)
    position = next(index for index, (a, b) in enumerate(zip(order, headers)) if a != b) + 1
    assert message == (
        f"Colonnes différentes du modèle : la colonne {position} ({_letter(position)}) est "
        f"« {order[position - 1]} » alors que le modèle attend « {headers[position - 1]} » ; "
        "une colonne manque ou l'ordre a changé. Gardez toutes les colonnes du modèle, dans "
        "son ordre, même vides.")


@pytest.mark.parametrize("kind", [ARTICLES, CONTACTS], ids=lambda kind: kind.code)
def test_each_missing_column_is_named(kind):
    headers = kind.headers
    for removed in range(len(headers)):
        kept = headers[:removed] + headers[removed + 1:]
        message = refusal(csv_bytes([kept, ["x"] * len(kept)]), kind=kind)
        position = removed + 1
        if removed == len(headers) - 1:
            assert message == (
                f"Colonnes différentes du modèle : il manque la colonne « {headers[-1]} » "
                f"(colonne {position}, {_letter(position)}) ; le fichier a {len(kept)} "
                f"colonnes, le modèle {len(headers)}. Gardez toutes les colonnes du modèle, "
                "dans son ordre, même vides.")
        else:
            assert message.startswith(
                f"Colonnes différentes du modèle : la colonne {position} ({_letter(position)}) "
                f"est « {headers[removed + 1]} » alors que le modèle attend "
                f"« {headers[removed]} »"), message


def test_the_other_kinds_file_is_named_in_the_callers_language():
    catalogue = {
        "Ce fichier suit le modèle « %(found)s », pas celui des « %(expected)s » : envoyez-le "
        "avec le formulaire des « %(found)s ».":
            "This file follows the « %(found)s » template, not the « %(expected)s » one.",
        "Clients facturés": "Billed customers", "Articles": "Items"}
    message = refusal(csv_bytes([ARTICLE_HEADERS, ARTICLE_ROWS[0]]), kind=CONTACTS,
                      translate=lambda msgid: catalogue.get(msgid, msgid))
    assert message == "This file follows the « Items » template, not the « Billed customers » one."


# Limits -----------------------------------------------------------------------------------

def test_the_default_size_limit_refuses_a_file_of_8_mb_before_reading_it():
    data = oversized_csv()
    assert len(data) > 8_000_000
    assert refusal(data) == ("Le fichier dépasse la taille maximale de 8 Mo : découpez-le en "
                             "plusieurs fichiers.")
    # The size is checked first: an oversized PDF is refused for its size.
    assert refusal(b"%PDF" + data).startswith("Le fichier dépasse la taille maximale")


def test_the_size_limit_is_inclusive():
    data = csv_bytes([ARTICLE_HEADERS, ARTICLE_ROWS[0]])
    assert len(read(data, limits=Limits(max_bytes=len(data))).rows) == 1
    assert refusal(data, limits=Limits(max_bytes=len(data) - 1)).startswith(
        "Le fichier dépasse la taille maximale de ")


@pytest.mark.parametrize("limit, said", [(40_000, "40 ko"), (400, "1 ko"),
                                          (949_000, "949 ko"), (950_000, "1 Mo"),
                                          (2_500_000, "2,5 Mo")])
def test_a_size_limit_is_said_in_ko_under_one_mo(limit, said):
    """A limit set low in the settings reads « 40 ko », not « 0 Mo »."""
    data = csv_bytes([ARTICLE_HEADERS] + [ARTICLE_ROWS[0]] * (limit // 40 + 1))
    assert len(data) > limit
    assert refusal(data, limits=Limits(max_bytes=limit)) == (
        f"Le fichier dépasse la taille maximale de {said} : découpez-le en plusieurs fichiers.")


def test_the_decompressed_size_limit_is_said_in_ko_under_one_mo():
    data = corpus_bytes(BY_NAME["good_articles.xlsx"])
    assert refusal(data, "a.xlsx", limits=Limits(max_uncompressed=2_000)).startswith(
        "Le classeur se décompresse en plus de 2 ko : il est refusé par précaution.")


def test_the_row_limit_counts_rows_not_blank_lines():
    rows = [ARTICLE_HEADERS] + [(f"R{number}", "Audit", "service", "1", "20", None, None)
                                for number in range(1001)]
    data = csv_bytes(rows[:3] + [(None,)] * 5 + rows[3:])
    assert len(read(data, limits=Limits(max_rows=1001)).rows) == 1001
    assert refusal(data, limits=Limits(max_rows=1000)) == (
        f"Le fichier contient 1{NNBSP}001 lignes à importer : la limite est de 1{NNBSP}000 par "
        "import. Découpez-le en plusieurs fichiers.")


def test_the_decompressed_size_limit_on_a_sane_workbook():
    data = corpus_bytes(BY_NAME["good_articles.xlsx"])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        inflated = sum(part.file_size for part in archive.infolist())
    assert len(read(data, "a.xlsx", limits=Limits(max_uncompressed=inflated)).rows) == 3
    assert refusal(data, "a.xlsx", limits=Limits(max_uncompressed=inflated - 1)).startswith(
        "Le classeur se décompresse en plus de ")


def test_a_lying_zip_directory_is_caught_by_inflating():
    """zip_bomb.xlsx declares 1 kB per part: only the real inflation sees 100 MB."""
    data = corpus_bytes(BY_NAME["zip_bomb.xlsx"])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        declared = sum(part.file_size for part in archive.infolist())
    assert declared < 80_000_000 and len(data) < 20_000
    assert refusal(data, "zip_bomb.xlsx") == BY_NAME["zip_bomb.xlsx"].refusal


def test_the_ratio_limit_spares_small_parts_and_ordinary_workbooks():
    # 900 kB of spaces compress ~1,000 times, but a part under 1 MB is not judged by ratio.
    sheet_rows = [ARTICLE_HEADERS, ARTICLE_ROWS[0]]
    from import_corpus.build_corpus import xlsx_parts

    parts = xlsx_parts(sheet_rows, padding=900_000)
    assert len(read(zip_bytes(parts), "a.xlsx").rows) == 1
    parts = xlsx_parts(sheet_rows, padding=2_000_000)
    assert refusal(zip_bytes(parts), "a.xlsx").startswith(
        "Le classeur contient une partie (« xl/worksheets/sheet1.xml ») comprimée plus de 200 fois")
    assert len(read(zip_bytes(parts), "a.xlsx", limits=Limits(max_ratio=5000)).rows) == 1


def test_the_opendocument_check_never_inflates_a_bomb_nor_trips_on_a_damaged_part():
    """A zip without the XLSX parts is sniffed for an .ods by its « mimetype » part:
    only its first bytes may be inflated (before the size checks), and a damaged
    part must give a refusal, not an error."""
    bomb = zip_bytes([("mimetype", b"\0" * 30_000_000), ("content.xml", b"<x/>")])
    tracemalloc.start()
    try:
        message = refusal(bomb, "bomb.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message == ("« bomb.xlsx » est une archive, pas un classeur XLSX : envoyez le "
                       "classeur rempli à partir du modèle.")
    assert peak < 5_000_000
    damaged = bytearray(zip_bytes([("mimetype", b"application/vnd.oasis.opendocument."
                                                b"spreadsheet" * 100)]))
    damaged[40:60] = b"\xff" * 20  # inside the deflated data: zlib fails on it
    assert refusal(bytes(damaged), "damaged.xlsx") == (
        "« damaged.xlsx » est une archive, pas un classeur XLSX : envoyez le classeur rempli à "
        "partir du modèle.")


def test_an_encrypted_or_exotic_part_is_refused_as_damaged():
    data = bytearray(corpus_bytes(BY_NAME["good_articles.xlsx"]))
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1  # the « encrypted » flag of the first part
    assert refusal(bytes(data), "secret.xlsx") == (
        "Le classeur « secret.xlsx » est endommagé et ne peut pas être lu : enregistrez-le à "
        "nouveau depuis votre tableur.")


# Properties -------------------------------------------------------------------------------

CELL_ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?'\"()-+=@/€%&*_#"
    "éèàçùâêîôûëïüÉÈÀÇŒœ’«»°\u00a0\t\n")
cells = st.one_of(st.none(), st.text(alphabet=CELL_ALPHABET, max_size=12))
grids = st.lists(st.lists(cells, min_size=7, max_size=7), min_size=1, max_size=6)


def _expected(grid):
    """What read_file gives for `grid`'s rows: stripped text or None, blank rows skipped."""
    out = []
    for line, row in enumerate(grid, start=2):
        row = tuple((value.strip() or None) if value is not None else None for value in row)
        if any(row):
            out.append((line, row))
    return out


@given(grid=grids, separator=st.sampled_from([";", ",", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_csv_a_spreadsheet_writes_reads_back_cell_for_cell(grid, separator, encoding):
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerows(
        [ARTICLE_HEADERS, *grid])
    data = buffer.getvalue().encode(encoding)
    expected = _expected(grid)
    if not expected:
        assert refusal(data) == ("Le fichier ne contient que la ligne d'en-têtes : aucune "
                                 "ligne à importer.")
        return
    table = read(data)
    assert values(table) == expected
    assert table.detected["encoding"] == {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)",
                                          "cp1252": "Windows-1252", "utf-16": "UTF-16"}[encoding]


xlsx_cells = st.one_of(
    st.none(), st.text(alphabet=CELL_ALPHABET.replace("\t", ""), max_size=12),
    st.integers(min_value=-10**12, max_value=10**12),
    st.decimals(min_value=0, max_value=10**9, places=2).map(float))


@given(grid=st.lists(st.lists(xlsx_cells, min_size=7, max_size=7), min_size=1, max_size=4))
@settings(max_examples=60, deadline=None)
def test_any_xlsx_reads_back_as_the_sheet_shows_it(grid):
    data = xlsx_bytes([ARTICLE_HEADERS, *grid])
    shown = [[value if value is None or isinstance(value, str) else _shown(value)
              for value in row] for row in grid]
    expected = _expected(shown)
    assume(expected)
    assert values(read(data, "a.xlsx")) == expected


def _shown(number):
    """What a sheet shows of a number: 15 significant digits, no « .0 »."""
    if isinstance(number, int):
        return str(number)
    return format(D(repr(number)).normalize(), "f")


@given(price=st.decimals(min_value=0, max_value=D("999999999999.99"), places=2))
@settings(max_examples=80, deadline=None)
def test_a_price_typed_as_a_number_in_a_sheet_comes_back_with_its_digits(price):
    """129.9 is stored as the double 129.900000000000005684…: read as Excel shows it."""
    data = xlsx_bytes([ARTICLE_HEADERS, ("A", "B", "service", float(price), 20, None, None)])
    (row,) = read(data, "a.xlsx").rows
    assert D(row.values["unit_price_ht"]) == price


# How far a sheet reaches ------------------------------------------------------------------

HEADER_CELLS = "".join(f'<c r="{_letter(index + 1)}1" t="inlineStr"><is><t>{header}</t></is></c>'
                       for index, header in enumerate(ARTICLE_HEADERS))


def _sheet(rows_xml: str, prefix: str = "") -> bytes:
    from import_corpus.build_corpus import xlsx_parts

    body = (f'<row r="1">{HEADER_CELLS}</row>' + rows_xml)
    xml = (f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           f'<sheetData>{body}</sheetData></worksheet>')
    if prefix:
        xml = xml.replace("<", f"<{prefix}:").replace(f"<{prefix}:/", f"</{prefix}:") \
            .replace("xmlns=", f"xmlns:{prefix}=")
    parts = xlsx_parts([ARTICLE_HEADERS])
    return zip_bytes(parts[:-1] + [("xl/worksheets/sheet1.xml", xml.encode())])


def _text_cell(value, ref=""):
    ref = f' r="{ref}"' if ref else ""
    return f'<c{ref} t="inlineStr"><is><t>{value}</t></is></c>'


@pytest.mark.parametrize("rows_xml, prefix", [
    # Attributes in another order, a namespace prefix, positions without reference:
    # the quick scan hands them to the exact count, which lets them through.
    ('<row r="2"><c t="inlineStr" r="A2"><is><t>A-1</t></is></c>'
     '<c t="inlineStr" r="B2"><is><t>Audit</t></is></c></row>', ""),
    ('<row r="2">' + _text_cell("A-1", "A2") + _text_cell("Audit", "B2") + "</row>", "x"),
    ("<row>" + _text_cell("A-1") + _text_cell("Audit") + "</row>", ""),
    # Wider than Z, but two rows: 2 × 78 cells.
    ('<row r="2">' + _text_cell("A-1", "A2") + _text_cell("Audit", "B2")
     + '<c r="BZ2" s="1"/></row>', ""),
])
def test_unusual_but_small_sheets_are_read(rows_xml, prefix):
    (row,) = read(_sheet(rows_xml, prefix), "a.xlsx").rows
    assert (row.line, row.values["reference"], row.values["label"]) == (2, "A-1", "Audit")


def test_the_cells_a_sheet_may_reach_follow_the_row_limit():
    five = "".join(f'<row r="{line}">' + _text_cell(f"R{line}", f"A{line}")
                   + _text_cell("x", f"G{line}") + "</row>" for line in range(2, 6))
    # 5 rows × 7 columns = 35 cells, for 4 × 30 allowed: the rows are what is too many.
    assert refusal(_sheet(five), "a.xlsx", limits=Limits(max_rows=3)) == (
        "Le fichier contient 4 lignes à importer : la limite est de 3 par import. Découpez-le "
        "en plusieurs fichiers.")
    twenty = five + f'<row r="20">{_text_cell("R20", "G20")}</row>'
    assert refusal(_sheet(twenty), "a.xlsx", limits=Limits(max_rows=3)) == (
        "Une feuille du classeur s'étend jusqu'à la ligne 20 et la colonne G, soit 140 cellules "
        ": un import en lit 120 au plus. Supprimez ce qui est au-delà de vos données (une "
        "valeur isolée, des cellules mises en forme) ou découpez le fichier.")


def test_a_far_cell_in_another_part_of_the_workbook_is_refused_too():
    """The part calamine reads is named by the workbook's relations, which the scan
    does not follow: every part is held to the same bound."""
    from import_corpus.build_corpus import xlsx_parts

    far = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b'<sheetData><row r="9"><c r="AAA900000"><v>1</v></c></row></sheetData>'
           b'</worksheet>')
    parts = xlsx_parts([ARTICLE_HEADERS, ARTICLE_ROWS[0]]) + [("xl/other/data.bin", far)]
    assert refusal(zip_bytes(parts), "a.xlsx").startswith(
        f"Une feuille du classeur s'étend jusqu'à la ligne 900{NNBSP}000 et la colonne AAA")
