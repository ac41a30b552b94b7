"""The corpus of import files (issue 8): every file, how it is built, and what
the product must answer — the exact French refusal, the exact problems, or the
records written.

    .venv/bin/python tests/import_corpus/build_corpus.py

rewrites every file of this folder and README.md from `CORPUS`, identically
each time (no clock, no random: the XLSX files are zipped by hand with a fixed
date). The tests read `CORPUS` for the expected answers and check that the
files on disk are the ones this script writes.

Independent of the engine on purpose: the template's headers are written out
here, the XLSX files are assembled part by part (so that a formula can carry
its cached value, as Excel writes it, and a zip can lie about its sizes), and
the expected messages are typed, not taken from app.imports.

The expectations assume the client has the default « pcg » plan applied: VAT
rates 20, 10, 5,5, 2,1 and 0 %, accounts 706, 707… of 8 digits.
"""
from __future__ import annotations

import codecs
import struct
import sys
import zlib
from dataclasses import dataclass
from decimal import Decimal as D
from pathlib import Path
from typing import Callable, Optional
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent

ARTICLE_HEADERS = ("Référence", "Désignation", "Nature", "Prix unitaire HT", "Taux de TVA",
                   "Catégorie", "Compte de vente")
CONTACT_HEADERS = ("Type", "Nom ou raison sociale", "Prénom", "Adresse",
                   "Complément d'adresse", "Code postal", "Ville", "Pays", "E-mail",
                   "Téléphone", "SIREN", "N° de TVA intracommunautaire", "Compte auxiliaire")
HEADERS = {"articles": ARTICLE_HEADERS, "contacts": CONTACT_HEADERS}
# The fields of the records written by a good file, in the order of `Case.rows`
# (an article's category is given by its name).
ARTICLE_FIELDS = ("reference", "label", "nature", "unit_price_ht", "vat_rate", "category",
                  "account")
CONTACT_FIELDS = ("is_company", "name", "first_name", "address_line1", "address_line2",
                  "postcode", "city", "country", "email", "phone", "siren", "vat_number",
                  "auxiliary_account")
FIELDS = {"articles": ARTICLE_FIELDS, "contacts": CONTACT_FIELDS}
RATES_TEXT = "20 %, 10 %, 5,5 %, 2,1 %, 0 %"  # the pcg plan's rates, as the messages list them
NNBSP = "\u202f"  # French thousands separator in the messages (Babel, fr_FR)


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    what: str
    build: Callable[[], bytes]
    # Refused as a whole (FileRefused): the message, exactly.
    refusal: Optional[str] = None
    # Refused row by row (ImportRefused): every problem, « Ligne n, colonne « … » : … ».
    problems: tuple = ()
    # Accepted: the records written (FIELDS[kind]), the categories created, what was detected.
    rows: tuple = ()
    categories: tuple = ()
    detected: Optional[dict] = None
    # False: built at test time, never stored (see README).
    stored: bool = True

    @property
    def accepted(self) -> bool:
        return self.refusal is None and not self.problems


# Building blocks ----------------------------------------------------------------------------

def csv_text(rows, sep=";") -> str:
    """Rows as a spreadsheet writes them: quoted only when needed, CRLF."""
    def cell(value):
        value = "" if value is None else str(value)
        if any(char in value for char in (sep, '"', "\r", "\n")):
            return '"' + value.replace('"', '""') + '"'
        return value
    return "".join(sep.join(cell(value) for value in row) + "\r\n" for row in rows)


def csv_bytes(rows, sep=";", encoding="utf-8", bom=False) -> bytes:
    data = csv_text(rows, sep).encode(encoding)
    return (codecs.BOM_UTF8 if bom else b"") + data


class Formula:
    """A formula cell and the value Excel cached with it (None: no cached value,
    as a program that does not compute writes it)."""

    def __init__(self, formula: str, cached=None):
        self.formula, self.cached = formula, cached


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell_xml(ref: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, Formula):
        formula = f"<f>{escape(value.formula)}</f>"
        if value.cached is None:
            return f'<c r="{ref}">{formula}</c>'
        if isinstance(value.cached, str):
            return f'<c r="{ref}" t="str">{formula}<v>{escape(value.cached)}</v></c>'
        return f'<c r="{ref}">{formula}<v>{value.cached!r}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return (f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t>'
            f'</is></c>')


NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS_NS = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def sheet_xml(rows, padding: int = 0) -> bytes:
    """A worksheet; `padding` spaces of whitespace between two rows (valid XML,
    the stuff zip bombs are made of)."""
    body = []
    for number, row in enumerate(rows, start=1):
        cells = "".join(_cell_xml(f"{_column_letter(index)}{number}", value)
                        for index, value in enumerate(row))
        if cells:
            body.append(f'<row r="{number}">{cells}</row>')
    text = (XML_HEAD + f'<worksheet {NS}><sheetData>' + "".join(body[:1]))
    tail = "".join(body[1:]) + "</sheetData></worksheet>"
    return text.encode() + b" " * padding + tail.encode()


def xlsx_parts(rows, sheet_name="Feuille1", padding: int = 0) -> list:
    """The parts of a minimal workbook, in the order Excel writes them."""
    return [
        ("[Content_Types].xml", (
            XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '</Types>').encode()),
        ("_rels/.rels", (
            XML_HEAD + f'<Relationships {RELS_NS}><Relationship Id="rId1" Type="'
            f'{OFFICE_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode()),
        ("xl/workbook.xml", (
            XML_HEAD + f'<workbook {NS} xmlns:r="{OFFICE_REL}"><sheets><sheet name="'
            f'{escape(sheet_name)}" sheetId="1" r:id="rId1"/></sheets></workbook>').encode()),
        ("xl/_rels/workbook.xml.rels", (
            XML_HEAD + f'<Relationships {RELS_NS}><Relationship Id="rId1" Type="'
            f'{OFFICE_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ).encode()),
        ("xl/worksheets/sheet1.xml", sheet_xml(rows, padding)),
    ]


DOS_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1  # 1 January 2026, 00:00
LOCAL = struct.Struct("<IHHHHHIIIHH")
CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
END = struct.Struct("<IHHHHIIH")


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def zip_bytes(parts, *, stored=(), aliases=(), declared=None) -> bytes:
    """A zip written field by field. `stored`: names kept uncompressed; `aliases`:
    (name, target) directory entries pointing at the data of part `target` (the
    overlapping entries of a zip bomb); `declared`: name → the uncompressed size
    the directory claims (a lie)."""
    declared = declared or {}
    out, directory, offsets, entries = bytearray(), [], {}, {}
    for name, data in parts:
        method = 0 if name in stored else 8
        packed = data if method == 0 else _deflate(data)
        crc = zlib.crc32(data)
        encoded = name.encode()
        offsets[name] = len(out)
        entries[name] = (method, crc, len(packed), len(data))
        out += LOCAL.pack(0x04034B50, 20, 0, method, 0, DOS_DATE, crc, len(packed), len(data),
                          len(encoded), 0) + encoded + packed
    for name, target in [(name, name) for name, _ in parts] + list(aliases):
        method, crc, packed_size, size = entries[target]
        encoded = name.encode()
        directory.append(CENTRAL.pack(0x02014B50, 20, 20, 0, method, 0, DOS_DATE, crc,
                                      packed_size, declared.get(name, size), len(encoded),
                                      0, 0, 0, 0, 0, offsets[target]) + encoded)
    start = len(out)
    for entry in directory:
        out += entry
    out += END.pack(0x06054B50, 0, 0, len(directory), len(directory), len(out) - start,
                    start, 0)
    return bytes(out)


def xlsx_bytes(rows, sheet_name="Feuille1") -> bytes:
    return zip_bytes(xlsx_parts(rows, sheet_name))


# The rows of the files ------------------------------------------------------------------

A, C = ARTICLE_HEADERS, CONTACT_HEADERS
ARTICLE_ROWS = [
    ("ART-001", "Audit énergétique", "service", "450,00", "20", "Prestations", "706000"),
    ("ART-002", "Thermostat connecté", "produit", "129,90", "20", "Matériel", None),
]
CONTACT_ROWS = [
    ("Société", "Dupont Rénovation", None, "12 rue des Lilas", "Bâtiment B", "69003", "Lyon",
     "FR", "contact@dupont-renovation.fr", "04 72 00 00 00", "732829320", "FR44732829320",
     "DUPONT"),
    ("Particulier", "Martin", "Claire", "5 avenue Foch", None, "75016", "Paris", "FR",
     "claire.martin@example.fr", "06 12 34 56 78", None, None, None),
]


def _without(headers, rows, position):
    return [tuple(value for index, value in enumerate(row) if index != position)
            for row in [headers, *rows]]


def _swapped(row, first, second):
    row = list(row)
    row[first], row[second] = row[second], row[first]
    return tuple(row)


PDF = (b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
       b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
       b"trailer <</Root 1 0 R>>\n%%EOF\n")
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # an Excel 97-2003 file's header
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
       b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x00IEND\xaeB`\x82")


def _good_articles_xlsx() -> bytes:
    return xlsx_bytes([
        A,
        ("X-1", "Câble 3G2,5", "produit", 129.9, 20, "Électricité", 706000),
        (),  # a blank row: skipped, still counted
        (1001, "Diagnostic", "service", Formula("2*60", 120), 0.055, "Diagnostics", None),
        ("X-3", Formula('CONCAT("Kit ";"solaire")', "Kit solaire"), "bien",
         Formula("0.1+0.2", 0.1 + 0.2), Formula("B9", 0.2), None, None),
    ], sheet_name="Articles")


def _good_contacts_xlsx() -> bytes:
    return xlsx_bytes([
        C,
        ("Société", "Garage de l'Ain", None, "1 route de Lyon", None, "01000",
         "Bourg-en-Bresse", "FR", "Atelier@Garage-Ain.FR", "+33 4 74 00 00 00", 380129866,
         "FR89380129866", "garageain"),
        ("Particulier", "Lemaire", "Hugo", None, None, 13001, "Marseille", "fr", None, None,
         None, None, None),
    ], sheet_name="Clients facturés")


def _report_xlsx() -> bytes:
    """A rejected-rows report, as the product writes it, corrected by the user:
    the formula-like texts still carry the report's quote."""
    return xlsx_bytes([
        A + ("Ligne d'origine", "Motif du refus"),
        ("'-REMISE-", "'=Forfait pose", "service", "80,00", "20", "'@Atelier", None, 4,
         "Prix unitaire HT : « -80,00 » n'est pas un prix valide : il doit être positif "
         "ou nul."),
        ("R-2", "Déplacement", "service", "35", "10", None, None, 7,
         "Taux de TVA : « 19,6 » n'est pas un taux de TVA du dossier."),
    ], sheet_name="Lignes refusées")


def _bomb_parts(size: int) -> list:
    parts = xlsx_parts([A, ARTICLE_ROWS[0]])
    return parts[:-1] + [("xl/worksheets/sheet1.xml", sheet_xml([A, ARTICLE_ROWS[0]], size))]


BOMB_SHEET = 10_000_000    # spaces in the sheet: about 10 kB once deflated
BOMB_ALIASES = [(f"xl/worksheets/sheet{number}.xml", "xl/worksheets/sheet1.xml")
                for number in range(2, 11)]  # ten times the sheet: 100 MB for 80 allowed


def _zip_bomb() -> bytes:
    """Ten directory entries share the data of one 10 MB sheet, and the
    directory claims 1 kB for each: only inflating them shows the 100 MB."""
    declared = {name: 1000 for name, _ in BOMB_ALIASES}
    declared["xl/worksheets/sheet1.xml"] = 1000
    return zip_bytes(_bomb_parts(BOMB_SHEET), aliases=BOMB_ALIASES, declared=declared)


def _zip_bomb_declared() -> bytes:
    return zip_bytes(_bomb_parts(BOMB_SHEET), aliases=BOMB_ALIASES)


def _zip_bomb_ratio() -> bytes:
    return zip_bytes(_bomb_parts(5_000_000))


def _custom_sheet(cells_xml: bytes, declared=None) -> bytes:
    """A workbook whose sheet is the template's header row, then `cells_xml`."""
    parts = xlsx_parts([A])
    header = sheet_xml([A]).split(b"</sheetData>")[0]
    sheet = header + cells_xml + b"</sheetData></worksheet>"
    return zip_bytes(parts[:-1] + [("xl/worksheets/sheet1.xml", sheet)], declared=declared)


def _cell_range_bomb() -> bytes:
    """One value in the last cell of a sheet, XFD1048576."""
    return _custom_sheet(b'<row r="2"><c r="A2" t="inlineStr"><is><t>ART-1</t></is></c></row>'
                         b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')


def _implicit_rows_bomb() -> bytes:
    """Two million rows written without their reference (`<row/>`: each the previous
    one plus one), then a row of 42 cells; the directory claims 1 kB."""
    cells = b"<row>" + b"<c/>" * 41 + b"<c><v>1</v></c></row>"
    return _custom_sheet(b"<row/>" * 2_000_000 + cells,
                         declared={"xl/worksheets/sheet1.xml": 1000})


def _ods() -> bytes:
    return zip_bytes([("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
                      ("content.xml", b"<office:document-content/>")], stored=("mimetype",))


def _archive() -> bytes:
    return zip_bytes([("facture.pdf", PDF), ("notes.txt", "Articles à importer".encode())])


def oversized_csv(limit: int = 8_000_000) -> bytes:
    """A valid articles CSV a little over `limit` bytes (built at test time)."""
    head = csv_bytes([A], bom=True)
    row = csv_text([("", "Article de remplissage", "service", "10,00", "20", None, None)])
    count = (limit - len(head)) // len(row.encode()) + 1
    return head + (row * count).encode()


def _articles(rows, **kwargs) -> Callable[[], bytes]:
    return lambda: csv_bytes([A, *rows], **kwargs)


def _contacts(rows, **kwargs) -> Callable[[], bytes]:
    return lambda: csv_bytes([C, *rows], **kwargs)


def _raw(text: str, encoding="utf-8") -> Callable[[], bytes]:
    return lambda: text.encode(encoding)


def _line(number, column, reason):
    return f"Ligne {number}, colonne « {column} » : {reason}"


COLUMNS_DIFFER = "Colonnes différentes du modèle : "
KEEP_ALL = "Gardez toutes les colonnes du modèle, dans son ordre, même vides."
COMMA_HINT = ("Le fichier est séparé par des virgules : une valeur qui contient une virgule "
              "(un prix comme 12,50) doit être entre guillemets, ou enregistrez le fichier avec "
              "des points-virgules.")
SEND_TEMPLATE = "envoyez le classeur rempli à partir du modèle."
PRICE_INVALID = "n'est pas un prix valide : "
ALREADY = "Doublon : "

# The corpus -----------------------------------------------------------------------------

CORPUS = (
    # --- accepted -------------------------------------------------------------------------
    Case("good_articles_utf8_bom_semicolons.csv", "articles",
         "UTF-8 with BOM, `;`, decimal commas with spaces between thousands (normal and "
         "no-break), « € » and « % » typed, words for the nature, a category spelled two "
         "ways (created once), a blank line.",
         _articles([
             ("ART-001", "Audit énergétique", "service", "1 234,56", "20", "Prestations",
              "706000"),
             ("ART-002", "Thermostat connecté", "produit", "1\u00a0299,90", "20 %", "Matériel",
              None),
             (None,) * 7,
             ("ART-003", "Livre « Économies d'énergie »", "bien", "12,5 €", "5,5", "matériel",
              "707"),
             (None, "Forfait déplacement", "prestation", "45", "10", "PRESTATIONS", None),
             ("ART-005", "Échantillon offert", "produit", "0,00", "0", None, None),
         ], bom=True),
         rows=(
             ("ART-001", "Audit énergétique", "services", D("1234.56"), D("20.00"),
              "Prestations", "706000"),
             ("ART-002", "Thermostat connecté", "goods", D("1299.90"), D("20.00"), "Matériel",
              None),
             ("ART-003", "Livre « Économies d'énergie »", "goods", D("12.50"), D("5.50"),
              "Matériel", "707"),
             (None, "Forfait déplacement", "services", D("45.00"), D("10.00"), "Prestations",
              None),
             ("ART-005", "Échantillon offert", "goods", D("0.00"), D("0.00"), None, None),
         ),
         categories=("Prestations", "Matériel"),
         detected={"format": "csv", "encoding": "UTF-8 (BOM)", "separator": ";",
                   "decimal": ","}),
    Case("good_contacts_windows1252.csv", "contacts",
         "Windows-1252 (Excel's « CSV (séparateur : point-virgule) »): accents, « œ », the « ° » "
         "of a header; SIREN with spaces, country by name, type in "
         "other words, a postcode with its leading zero, a phone starting with +.",
         _contacts([
             ("Société", "Boulangerie Lefèvre", None, "3 place de l'Église", "Bâtiment B",
              "01000", "Bourg-en-Bresse", "FR", "contact@lefevre.fr", "04 74 00 00 00",
              "542 051 180", "FR 59 542051180", "lefevre"),
             ("Particulier", "Cœur", "Zoé", "12 rue de la Paix", None, "45000", "Orléans",
              "France", "zoe.coeur@example.fr", "+33 6 12 34 56 78", None, None, None),
             ("Entreprise", "Société Générale d'Études", None, None, None, "1204", "Genève",
              "Suisse", None, None, None, None, "ETUDES"),
         ], encoding="cp1252"),
         rows=(
             (True, "Boulangerie Lefèvre", None, "3 place de l'Église", "Bâtiment B", "01000",
              "Bourg-en-Bresse", "FR", "contact@lefevre.fr", "04 74 00 00 00", "542051180",
              "FR59542051180", "LEFEVRE"),
             (False, "Cœur", "Zoé", "12 rue de la Paix", None, "45000", "Orléans", "FR",
              "zoe.coeur@example.fr", "+33 6 12 34 56 78", None, None, None),
             (True, "Société Générale d'Études", None, None, None, "1204", "Genève", "CH",
              None, None, None, None, "ETUDES"),
         ),
         detected={"format": "csv", "encoding": "Windows-1252", "separator": ";",
                   "decimal": None}),
    Case("good_articles_commas_points.csv", "articles",
         "UTF-8 without BOM, `,`, decimal points; values holding a comma or quotes are "
         "quoted, as every spreadsheet writes them; natures in English.",
         _articles([
             ("REF-10", "Vis, boulons et écrous", "goods", "1234.56", "20", "Quincaillerie",
              "707000"),
             ("REF-11", "Pose", "services", ".5", "10", None, None),
             ("REF-12", 'Main d\'œuvre "express"', "service", "1 200.00", "5.5", None, "706"),
         ], sep=","),
         rows=(
             ("REF-10", "Vis, boulons et écrous", "goods", D("1234.56"), D("20.00"),
              "Quincaillerie", "707000"),
             ("REF-11", "Pose", "services", D("0.50"), D("10.00"), None, None),
             ("REF-12", 'Main d\'œuvre "express"', "services", D("1200.00"), D("5.50"), None,
              "706"),
         ),
         categories=("Quincaillerie",),
         detected={"format": "csv", "encoding": "UTF-8", "separator": ",", "decimal": "."}),
    Case("good_articles.xlsx", "articles",
         "XLSX: numbers as numbers (129.9, an integer reference, an account), rates as "
         "« % » cells (0.055, 0.2), formulas with the values Excel cached (=2*60 → 120, "
         "=0.1+0.2 → 0.3, a text formula), a blank row.",
         _good_articles_xlsx,
         rows=(
             ("X-1", "Câble 3G2,5", "goods", D("129.90"), D("20.00"), "Électricité", "706000"),
             ("1001", "Diagnostic", "services", D("120.00"), D("5.50"), "Diagnostics", None),
             ("X-3", "Kit solaire", "goods", D("0.30"), D("20.00"), None, None),
         ),
         categories=("Électricité", "Diagnostics"),
         detected={"format": "xlsx", "encoding": None, "separator": None, "decimal": None}),
    Case("good_contacts.xlsx", "contacts",
         "XLSX: a postcode typed as text (01000) and one as a number, a SIREN as a number, "
         "an e-mail in capitals, a lower-case auxiliary code, a phone starting with +.",
         _good_contacts_xlsx,
         rows=(
             (True, "Garage de l'Ain", None, "1 route de Lyon", None, "01000",
              "Bourg-en-Bresse", "FR", "Atelier@garage-ain.fr", "+33 4 74 00 00 00",
              "380129866", "FR89380129866", "GARAGEAIN"),
             (False, "Lemaire", "Hugo", None, None, "13001", "Marseille", "FR", None, None, None,
              None, None),
         ),
         detected={"format": "xlsx", "encoding": None, "separator": None, "decimal": None}),
    Case("good_contacts_utf16_tabs.txt", "contacts",
         "Excel's « Texte Unicode »: UTF-16 LE with BOM, tab-separated, .txt.",
         lambda: codecs.BOM_UTF16_LE + csv_text([C, *CONTACT_ROWS], sep="\t").encode(
             "utf-16-le"),
         rows=(
             (True, "Dupont Rénovation", None, "12 rue des Lilas", "Bâtiment B", "69003",
              "Lyon", "FR", "contact@dupont-renovation.fr", "04 72 00 00 00", "732829320",
              "FR44732829320", "DUPONT"),
             (False, "Martin", "Claire", "5 avenue Foch", None, "75016", "Paris", "FR",
              "claire.martin@example.fr", "06 12 34 56 78", None, None, None),
         ),
         detected={"format": "csv", "encoding": "UTF-16", "separator": "tabulation",
                   "decimal": None}),
    Case("good_formula_text_contacts.csv", "contacts",
         "Texts starting with =, +, -, @ (a spreadsheet would run them as formulas): "
         "imported as the texts they are, never evaluated.",
         _contacts([
             ("Société", '=HYPERLINK("http://evil.example";"Cliquez")', None,
              "@Bureau 12", "-2e étage-", "75001", "=1+1", "FR", None, "+33 1 23 45 67 89",
              None, None, None),
             ("Particulier", "-Durand-", "+Léa", None, None, None, "@Paris", None, None,
              "-", None, None, None),
         ]),
         rows=(
             (True, '=HYPERLINK("http://evil.example";"Cliquez")', None, "@Bureau 12",
              "-2e étage-", "75001", "=1+1", "FR", None, "+33 1 23 45 67 89", None, None,
              None),
             (False, "-Durand-", "+Léa", None, None, None, "@Paris", "FR", None, "-", None,
              None, None),
         ),
         detected={"format": "csv", "encoding": "UTF-8", "separator": ";", "decimal": None}),
    Case("good_report_corrected.xlsx", "articles",
         "A rejected-rows report (« Lignes refusées »), corrected and sent again as it is: "
         "its two added columns are ignored, the quote it put before =, -, @ is removed.",
         _report_xlsx,
         rows=(
             ("-REMISE-", "=Forfait pose", "services", D("80.00"), D("20.00"), "@Atelier",
              None),
             ("R-2", "Déplacement", "services", D("35.00"), D("10.00"), None, None),
         ),
         categories=("@Atelier",),
         detected={"format": "xlsx", "encoding": None, "separator": None, "decimal": None}),

    # --- columns ----------------------------------------------------------------------------
    Case("wrong_order_articles.csv", "articles",
         "« Référence » and « Désignation » swapped.",
         lambda: csv_bytes([_swapped(row, 0, 1) for row in [A, *ARTICLE_ROWS]]),
         refusal=COLUMNS_DIFFER + "la colonne 1 (A) est « Désignation » alors que le modèle "
         "attend « Référence » ; une colonne manque ou l'ordre a changé. " + KEEP_ALL),
    Case("wrong_order_contacts.xlsx", "contacts",
         "XLSX with « Code postal » and « Ville » swapped.",
         lambda: xlsx_bytes([_swapped(row, 5, 6) for row in [C, *CONTACT_ROWS]]),
         refusal=COLUMNS_DIFFER + "la colonne 6 (F) est « Ville » alors que le modèle attend "
         "« Code postal » ; une colonne manque ou l'ordre a changé. " + KEEP_ALL),
    Case("missing_column_articles.csv", "articles",
         "« Nature » removed: the columns after it moved left.",
         lambda: csv_bytes(_without(A, ARTICLE_ROWS, 2)),
         refusal=COLUMNS_DIFFER + "la colonne 3 (C) est « Prix unitaire HT » alors que le "
         "modèle attend « Nature » ; une colonne manque ou l'ordre a changé. " + KEEP_ALL),
    Case("missing_last_column_contacts.csv", "contacts",
         "The last column, « Compte auxiliaire », removed.",
         lambda: csv_bytes(_without(C, CONTACT_ROWS, 12)),
         refusal=COLUMNS_DIFFER + "il manque la colonne « Compte auxiliaire » (colonne 13, M) "
         "; le fichier a 12 colonnes, le modèle 13. " + KEEP_ALL),
    Case("extra_column_contacts.csv", "contacts",
         "A column « Commentaire » added after the last one.",
         lambda: csv_bytes([C + ("Commentaire",)] + [row + ("à relancer",)
                                                     for row in CONTACT_ROWS]),
         refusal=COLUMNS_DIFFER + "la colonne 14 (N), « Commentaire », est en trop ; le modèle "
         "s'arrête à « Compte auxiliaire ». Supprimez-la."),
    Case("extra_column_articles.csv", "articles",
         "A column « Remise » inserted before « Taux de TVA ».",
         lambda: csv_bytes([A[:4] + ("Remise",) + A[4:]] + [row[:4] + ("5 %",) + row[4:]
                                                              for row in ARTICLE_ROWS]),
         refusal=COLUMNS_DIFFER + "la colonne 5 (E), « Remise », n'est pas une colonne du "
         "modèle, qui attend ici « Taux de TVA »."),
    Case("blank_header_articles.csv", "articles",
         "The header of « Catégorie » erased.",
         lambda: csv_bytes([A[:5] + (None,) + A[6:], *ARTICLE_ROWS]),
         refusal=COLUMNS_DIFFER + "la colonne 6 (F) n'a pas d'en-tête alors que le modèle "
         "attend « Catégorie »."),
    Case("contacts_sent_as_articles.csv", "articles",
         "The contacts template sent to the articles import.",
         _contacts(CONTACT_ROWS),
         refusal="Ce fichier suit le modèle « Clients facturés », pas celui des « Articles » : "
         "envoyez-le avec le formulaire des « Clients facturés »."),
    Case("no_header_articles.csv", "articles",
         "Line 1 left empty, headers on line 2.",
         lambda: b";;;;;;\r\n" + csv_bytes([A, *ARTICLE_ROWS]),
         refusal="La ligne 1 doit contenir les en-têtes du modèle (« Référence », "
         "« Désignation », …) : elle est vide."),

    # --- empty ------------------------------------------------------------------------------
    Case("empty.csv", "articles", "0 bytes.", lambda: b"",
         refusal="Le fichier est vide : il n'y a rien à importer."),
    Case("blank.csv", "contacts", "Only separators and line ends.",
         _raw(";;;;;;;;;;;;\r\n\r\n;;;\r\n"),
         refusal="Le fichier est vide : il n'y a rien à importer."),
    Case("empty_sheet.xlsx", "articles", "A workbook whose first sheet is empty.",
         lambda: xlsx_bytes([]),
         refusal="La première feuille du classeur est vide : les en-têtes du modèle doivent "
         "être en ligne 1 de la première feuille."),
    Case("header_only_contacts.csv", "contacts", "The header line and nothing else.",
         lambda: csv_bytes([C], bom=True),
         refusal="Le fichier ne contient que la ligne d'en-têtes : aucune ligne à importer."),
    Case("header_only_articles.xlsx", "articles",
         "XLSX: the header row, then blank rows only.",
         lambda: xlsx_bytes([A, (), (None, " ")]),
         refusal="Le fichier ne contient que la ligne d'en-têtes : aucune ligne à importer."),

    # --- encodings and separators -----------------------------------------------------------
    Case("dos_cp850_contacts.csv", "contacts",
         "Saved in the DOS code page 850: « ü » is byte 0x81, which Windows-1252 does not "
         "have, and nothing else is UTF-8.",
         _contacts([("Société", "Müller Bâtiment", None, None, None, "67000", "Strasbourg",
                     "FR", None, None, None, None, None)], encoding="cp850"),
         refusal="L'encodage de « dos_cp850_contacts.csv » n'est pas reconnu (ni UTF-8 ni "
         "Windows-1252) : enregistrez-le en « CSV UTF-8 » depuis votre tableur."),
    Case("mixed_utf8_windows1252_articles.csv", "articles",
         "UTF-8, except one « é » pasted in Windows-1252: the file is read as Windows-1252, "
         "and its UTF-8 accents become « Ã© » — the header is refused.",
         lambda: csv_bytes([A, *ARTICLE_ROWS]).replace("Thermostat connecté".encode(),
                                                       "Thermostat connecté".encode("cp1252")),
         refusal=COLUMNS_DIFFER + "la colonne 1 (A), « RÃ©fÃ©rence », n'est pas une colonne du "
         "modèle, qui attend ici « Référence »."),
    Case("bom_but_windows1252_contacts.csv", "contacts",
         "A UTF-8 BOM, then Windows-1252 text.",
         lambda: codecs.BOM_UTF8 + csv_bytes([C, *CONTACT_ROWS], encoding="cp1252"),
         refusal="« bom_but_windows1252_contacts.csv » s'annonce en UTF-8 mais contient des "
         "caractères qui n'en sont pas (près de l'octet 32) : enregistrez-le à nouveau en "
         "« CSV UTF-8 »."),
    Case("utf16_without_bom_articles.csv", "articles",
         "UTF-16 without its BOM: NUL bytes everywhere.",
         lambda: csv_text([A, *ARTICLE_ROWS]).encode("utf-16-le"),
         refusal="« utf16_without_bom_articles.csv » n'est pas un fichier texte : un fichier "
         "CSV ne contient que du texte. Enregistrez-le au format CSV depuis votre tableur."),
    Case("semicolon_in_value_contacts.csv", "contacts",
         "`;`-separated, an address holding an unquoted « ; »: a value falls after the last "
         "column.",
         _raw(csv_text([C]) + "Société;Dupont;;Bât. A; 2e étage;;69003;Lyon;FR;;;;;DUPONT\r\n"),
         refusal="Ligne 2 : la valeur « DUPONT » est en colonne 14 (N), après la dernière "
         "colonne du modèle (« Compte auxiliaire »)."),
    Case("decimal_comma_unquoted_articles.csv", "articles",
         "`,`-separated, a price 12,50 not quoted: a value falls after the last column.",
         _raw(csv_text([A], sep=",") + "A-1,Audit,service,450,20,,\r\n"
              "A-2,Pose,service,12,50,20,Matériel,706000\r\n"),
         refusal="Ligne 3 : la valeur « 706000 » est en colonne 8 (H), après la dernière "
         "colonne du modèle (« Compte de vente »). " + COMMA_HINT),
    Case("decimal_comma_shift_articles.csv", "articles",
         "`,`-separated, a price 10,00 not quoted and the last columns empty: nothing falls "
         "outside, but « 00 » would be read as the VAT rate (0 %, a rate of the dossier) and "
         "« 20 » as the category — the row is wider than the header line.",
         _raw(csv_text([A], sep=",") + "A-1,Audit,service,450,20,,\r\n"
              "A-2,Pose,service,10,00,20,,\r\n"),
         refusal="Ligne 3 : 8 valeurs alors que la ligne d'en-têtes en a 7. " + COMMA_HINT),

    # --- not what they claim ----------------------------------------------------------------
    Case("renamed_pdf.xlsx", "articles", "A PDF renamed .xlsx.", lambda: PDF,
         refusal="« renamed_pdf.xlsx » est un document PDF, pas un classeur XLSX : "
         + SEND_TEMPLATE),
    Case("renamed_pdf.csv", "contacts", "A PDF renamed .csv.", lambda: PDF,
         refusal="« renamed_pdf.csv » est un document PDF, pas un fichier CSV : "
         + SEND_TEMPLATE),
    Case("excel97.xlsx", "articles", "An Excel 97-2003 file (OLE2) renamed .xlsx.",
         lambda: OLE,
         refusal="« excel97.xlsx » est un classeur Excel 97-2003 (.xls) ou protégé par un mot "
         "de passe : ouvrez-le dans votre tableur et enregistrez-le au format .xlsx, sans mot "
         "de passe."),
    Case("opendocument.xlsx", "articles", "A LibreOffice .ods renamed .xlsx.", _ods,
         refusal="« opendocument.xlsx » est un classeur OpenDocument (.ods) : enregistrez-le "
         "au format .xlsx ou .csv."),
    Case("archive.xlsx", "articles", "A zip of a PDF and a text renamed .xlsx.", _archive,
         refusal="« archive.xlsx » est une archive, pas un classeur XLSX : " + SEND_TEMPLATE),
    Case("workbook_named.csv", "articles", "A good XLSX renamed .csv.", _good_articles_xlsx,
         refusal="« workbook_named.csv » est un classeur XLSX (ou une archive), pas un fichier "
         "CSV : envoyez-le avec l'extension .xlsx."),
    Case("text_named.xlsx", "articles", "A good CSV renamed .xlsx.",
         _articles(ARTICLE_ROWS, bom=True),
         refusal="« text_named.xlsx » n'est pas un classeur XLSX : son contenu ne correspond "
         "pas à son extension."),
    Case("image.csv", "contacts", "A PNG image renamed .csv.", lambda: PNG,
         refusal="« image.csv » n'est pas un fichier texte : un fichier CSV ne contient que du "
         "texte. Enregistrez-le au format CSV depuis votre tableur."),
    Case("truncated.xlsx", "articles", "A good XLSX cut in half (an interrupted download).",
         lambda: _good_articles_xlsx()[:len(_good_articles_xlsx()) // 2],
         refusal="Le classeur « truncated.xlsx » est endommagé et ne peut pas être lu : "
         "enregistrez-le à nouveau depuis votre tableur."),
    Case("articles.ods", "articles", "An extension that is neither .xlsx nor .csv/.txt.",
         _ods,
         refusal="« articles.ods » n'est ni un classeur .xlsx ni un fichier .csv : "
         "enregistrez-le dans l'un de ces formats depuis votre tableur, comme les modèles."),

    # --- limits -----------------------------------------------------------------------------
    Case("oversized.csv", "articles",
         "A valid CSV of 8 MB and a few bytes, for the default limit of 8 MB. Built at test "
         "time by `oversized_csv()`, never stored.",
         oversized_csv, stored=False,
         refusal="Le fichier dépasse la taille maximale de 8 Mo : découpez-le en plusieurs "
         "fichiers."),
    Case("zip_bomb.xlsx", "articles",
         "A 12 kB XLSX inflating to 100 MB (limit 80 MB): ten directory entries share one "
         "10 MB sheet, and the directory claims 1 kB each — only inflating shows it.",
         _zip_bomb,
         refusal="Le classeur se décompresse en plus de 80 Mo : il est refusé par précaution. "
         "Supprimez ce qui n'est pas à importer (autres feuilles, images) ou découpez-le."),
    Case("zip_bomb_declared.xlsx", "articles",
         "The same bomb with an honest directory: refused from the sizes it declares, "
         "before inflating anything.",
         _zip_bomb_declared,
         refusal="Le classeur se décompresse en plus de 80 Mo : il est refusé par précaution. "
         "Supprimez ce qui n'est pas à importer (autres feuilles, images) ou découpez-le."),
    Case("zip_bomb_ratio.xlsx", "articles",
         "A 7 kB XLSX whose sheet inflates to 5 MB: under the size limit, but compressed "
         "1,000 times, which no spreadsheet does.",
         _zip_bomb_ratio,
         refusal="Le classeur contient une partie (« xl/worksheets/sheet1.xml ») comprimée "
         "plus de 200 fois, ce qu'aucun tableur ne produit : il est refusé par précaution."),

    Case("cell_range_bomb.xlsx", "articles",
         "A 2 kB XLSX with one value in XFD1048576: read as a grid from A1, 17 billion cells "
         "(python-calamine aborts the process).",
         _cell_range_bomb,
         refusal=f"Une feuille du classeur s'étend jusqu'à la ligne 1{NNBSP}048{NNBSP}576 et la "
         f"colonne XFD, soit 17{NNBSP}179{NNBSP}869{NNBSP}184 cellules : un import en lit "
         f"3{NNBSP}000{NNBSP}030 au plus. Supprimez ce qui est au-delà de vos données (une "
         "valeur isolée, des cellules mises en forme) ou découpez le fichier."),
    Case("implicit_rows_bomb.xlsx", "articles",
         "A 19 kB XLSX of two million rows without reference, then 42 cells: 84 million cells, "
         "12 MB of XML, a directory that lies about it.",
         _implicit_rows_bomb,
         refusal=f"Une feuille du classeur s'étend jusqu'à la ligne 2{NNBSP}000{NNBSP}002 et la "
         f"colonne AP, soit 84{NNBSP}000{NNBSP}084 cellules : un import en lit "
         f"3{NNBSP}000{NNBSP}030 au plus. Supprimez ce qui est au-delà de vos données (une "
         "valeur isolée, des cellules mises en forme) ou découpez le fichier."),

    # --- rows -------------------------------------------------------------------------------
    Case("duplicate_rows_articles.csv", "articles",
         "The same reference twice (case aside), the same designation without reference "
         "twice (accents aside).",
         _articles([
             ("ART-001", "Audit énergétique", "service", "450,00", "20", None, None),
             ("art-001", "Audit complet", "service", "650,00", "20", None, None),
             (None, "Pose de thermostat", "service", "90", "20", None, None),
             (None, "POSE DE THERMOSTAT", "service", "95", "20", None, None),
         ]),
         problems=(
             _line(3, "Référence", ALREADY + "la référence « art-001 » figure déjà ligne 2."),
             _line(5, "Désignation", ALREADY + "la désignation « POSE DE THERMOSTAT », sans "
                   "référence, figure déjà ligne 4."),
         )),
    Case("duplicate_rows_contacts.csv", "contacts",
         "A SIREN twice (once with spaces), a person twice (same name, first name and "
         "postcode), an auxiliary code twice.",
         _contacts([
             CONTACT_ROWS[0],
             ("Société", "Dupont Rénovation SAS", None, None, None, None, None, None, None,
              None, "732 829 320", None, None),
             CONTACT_ROWS[1],
             ("Particulier", "MARTIN", "claire", None, None, "75016", None, None, None, None,
              None, None, None),
             ("Société", "Dupond", None, None, None, None, None, None, None, None, None, None,
              "dupont"),
         ]),
         problems=(
             _line(3, "SIREN", ALREADY + "le SIREN 732 829 320 figure déjà ligne 2."),
             _line(5, "Nom ou raison sociale", ALREADY + "même nom, prénom et code postal qu'à "
                   "la ligne 4."),
             _line(6, "Compte auxiliaire", ALREADY + "le compte auxiliaire DUPONT figure déjà "
                   "ligne 2."),
         )),
    Case("invalid_siren_contacts.csv", "contacts",
         "SIRENs: a wrong check digit, a SIRET, 8 digits; VAT numbers: a wrong key, one "
         "that is not the SIREN of its row, one without country code.",
         _contacts([
             ("Société", "Alpha", None, None, None, None, None, None, None, None, "732829321",
              None, None),
             ("Société", "Bêta", None, None, None, None, None, None, None, None,
              "73282932000019", None, None),
             ("Société", "Gamma", None, None, None, None, None, None, None, None, "73282932",
              None, None),
             ("Société", "Delta", None, None, None, None, None, None, None, None, None,
              "FR45732829320", None),
             ("Société", "Epsilon", None, None, None, None, None, None, None, None, "552100554",
              "FR44732829320", None),
             ("Société", "Zêta", None, None, None, None, None, None, None, None, None,
              "44732829320", None),
         ]),
         problems=(
             _line(2, "SIREN", "Ce SIREN n'est pas valide (clé de contrôle incorrecte)."),
             _line(3, "SIREN", "« 73282932000019 » est un SIRET (14 chiffres) : indiquez le "
                   "SIREN, ses 9 premiers chiffres (732829320)."),
             _line(4, "SIREN", "Le SIREN doit compter 9 chiffres."),
             _line(5, "N° de TVA intracommunautaire",
                   "Ce numéro de TVA intracommunautaire n'est pas valide."),
             _line(6, "N° de TVA intracommunautaire", "Le numéro de TVA FR44732829320 ne "
                   "correspond pas au SIREN 552100554 de la même ligne (un numéro de TVA "
                   "français finit par le SIREN)."),
             _line(7, "N° de TVA intracommunautaire", "Le numéro de TVA intracommunautaire "
                   "commence par le code du pays (par exemple FR44732829320)."),
         )),
    Case("bad_values_contacts.csv", "contacts",
         "A type, a country, e-mails, an auxiliary code and a name that the rules refuse; "
         "a row without name.",
         _contacts([
             ("Association loi 1901", "Club", None, None, None, None, None, "Narnia",
              "club@", None, None, None, None),
             ("Société", "N" * 201, None, None, None, None, None, "FR", "a@b", None, None, None,
              "AUX-1"),
             ("Particulier", None, "Jean", None, None, None, None, None, None, None, None, None,
              None),
         ]),
         problems=(
             _line(2, "Type", "« Association loi 1901 » n'est pas un type : écrivez « Société » "
                   "ou « Particulier »."),
             _line(2, "Pays", "« Narnia » n'est pas un pays : écrivez son code ISO à deux "
                   "lettres (FR, BE, DE, CH…)."),
             _line(2, "E-mail", "« club@ » n'est pas une adresse e-mail valide."),
             _line(3, "Nom ou raison sociale", "Texte trop long : 201 caractères pour 200 au "
                   "plus."),
             _line(3, "E-mail", "« a@b » n'est pas une adresse e-mail valide."),
             _line(3, "Compte auxiliaire", "Un compte auxiliaire ne contient que des lettres "
                   "majuscules sans accent et des chiffres (« AUX-1 »)."),
             _line(4, "Nom ou raison sociale", "Cette colonne est obligatoire : la cellule est "
                   "vide."),
         )),
    Case("unknown_vat_rate_articles.csv", "articles",
         "VAT rates the dossier does not have (19,6 %, the old rate; 7 %), and one that is "
         "not a rate.",
         _articles([
             ("A-1", "Audit", "service", "450", "19,6", None, None),
             ("A-2", "Pose", "service", "90", "7 %", None, None),
             ("A-3", "Conseil", "service", "120", "vingt", None, None),
             ("A-4", "Étude", "service", "300", "20", None, None),
         ]),
         problems=(
             _line(2, "Taux de TVA", f"« 19,6 » n'est pas un taux de TVA du dossier : "
                   f"choisissez parmi {RATES_TEXT}."),
             _line(3, "Taux de TVA", f"« 7 % » n'est pas un taux de TVA du dossier : "
                   f"choisissez parmi {RATES_TEXT}."),
             _line(4, "Taux de TVA", "« vingt » n'est pas un taux de TVA."),
         )),
    Case("negative_price_articles.csv", "articles",
         "Negative prices, with a comma, a point, a space after the sign.",
         _articles([
             ("A-1", "Remise fidélité", "service", "-12,50", "20", None, None),
             ("A-2", "Avoir", "service", "- 0.01", "20", None, None),
             ("A-3", "Audit", "service", "450", "20", None, None),
         ]),
         problems=(
             _line(2, "Prix unitaire HT", "« -12,50 » " + PRICE_INVALID + "il doit être positif "
                   "ou nul."),
             _line(3, "Prix unitaire HT", "« - 0.01 » " + PRICE_INVALID + "il doit être positif "
                   "ou nul."),
         )),
    Case("bad_prices_articles.csv", "articles",
         "Prices: thousands separated by a point, three decimals, words, too big, empty; a "
         "nature that is neither; an account that is no sales account, one missing from the "
         "plan.",
         _articles([
             ("A-1", "Audit", "service", "1.234,56", "20", None, None),
             ("A-2", "Pose", "service", "12,345", "20", None, None),
             ("A-3", "Conseil", "service", "sur devis", "20", None, None),
             ("A-4", "Immeuble", "bien", "1 000 000 000 000", "20", None, None),
             ("A-5", "Étude", "logiciel", None, "20", None, "606000"),
             ("A-6", "Frais de dossier", "service", "25", "20", None, "708800"),
         ]),
         problems=(
             _line(2, "Prix unitaire HT", "« 1.234,56 » " + PRICE_INVALID + "il mélange virgule "
                   "et point. Écrivez-le sans séparateur de milliers, par exemple 12345,60."),
             _line(3, "Prix unitaire HT", "« 12,345 » " + PRICE_INVALID + "deux décimales au "
                   "plus (arrondissez au centime, par exemple 12,35)."),
             _line(4, "Prix unitaire HT", "« sur devis » " + PRICE_INVALID + "écrivez un nombre, "
                   "par exemple 1234,56."),
             _line(5, "Prix unitaire HT", "« 1 000 000 000 000 » " + PRICE_INVALID + "il dépasse "
                   "999 999 999 999,99."),
             _line(6, "Nature", "« logiciel » n'est pas une nature : écrivez « produit » ou "
                   "« service »."),
             _line(6, "Prix unitaire HT", "Cette colonne est obligatoire : la cellule est vide."),
             _line(6, "Compte de vente", "Un compte de type « Vente » commence par 70 (plan "
                   "comptable général)."),
             _line(7, "Compte de vente", "Le compte 708800 (compte de vente) n'existe pas dans "
                   "le plan comptable : créez-le d'abord dans « Plan comptable »."),
         )),
    Case("formula_cells_articles.csv", "articles",
         "Formulas typed in a CSV: as texts, =2*60 is no price and =20 no rate (refused, "
         "never computed); =HYPERLINK(…) and @Matériel are plain texts, not problems.",
         _articles([
             ("-ART-1", '=HYPERLINK("http://evil.example";"Audit")', "service", "=2*60", "20",
              "@Matériel", None),
             ("ART-2", "Pose", "service", "90", "=20", None, None),
             ("ART-3", "+Conseil", "service", "+120", "+20", None, None),
         ]),
         problems=(
             _line(2, "Prix unitaire HT", "« =2*60 » " + PRICE_INVALID + "écrivez un nombre, "
                   "par exemple 1234,56."),
             _line(3, "Taux de TVA", "« =20 » n'est pas un taux de TVA."),
         )),
    Case("formulas_without_values.xlsx", "articles",
         "XLSX formulas with no cached value (written by a program that does not compute, "
         "never by Excel or LibreOffice): the product never computes them, the cells are "
         "empty.",
         lambda: xlsx_bytes([A, ("F-1", Formula('"Audit"'), "service", Formula("2*60"),
                                 Formula("10+10"), None, None)]),
         problems=(
             _line(2, "Désignation", "Cette colonne est obligatoire : la cellule est vide."),
             _line(2, "Prix unitaire HT", "Cette colonne est obligatoire : la cellule est vide."),
             _line(2, "Taux de TVA", "Cette colonne est obligatoire : la cellule est vide."),
         )),
)

BY_NAME = {case.name: case for case in CORPUS}


def corpus_bytes(case: Case) -> bytes:
    """The bytes of `case`: the stored file, or built now when it is not stored."""
    return (HERE / case.name).read_bytes() if case.stored else case.build()


# README -----------------------------------------------------------------------------------

README_HEAD = """\
# Corpus of import files (issue 8)

Generated by `build_corpus.py` — do not edit by hand: change `CORPUS` there and run

    .venv/bin/python tests/import_corpus/build_corpus.py

Every file is sent to `app.imports.service.run_import` on SQLite and PostgreSQL
(tests/test_imports_corpus.py), for a client with the default « pcg » plan applied
(VAT rates 20, 10, 5,5, 2,1 and 0 %). A refused file raises `FileRefused` (refused as
a whole) or `ImportRefused` (rows with problems) with exactly the messages below, and
writes nothing: the rows of `contact`, `article`, `article_category`, their history
tables, `accounting_transaction` and `import_record` are counted before and after. An
accepted file writes exactly the records listed in `CORPUS`.
The pure tests (tests/test_imports_reading.py, tests/test_imports_validation.py) run
the same files through `read_file` and `validate`.

Sizes: every stored file is under 100 kB. The zip bombs are small files that
inflate beyond the default limit of 80 MB (`Limits.max_uncompressed`): 100 MB from
about 12 kB, ten directory entries sharing the data of one 10 MB sheet (the
overlapping-entries technique), once with a directory that lies about the sizes
(only inflating finds it) and once honest (refused from the directory). The
oversized file is **not stored**: 8 MB would weigh on the repository, and a small
file refused by a small `Limits.max_bytes` would not test the real limit; the tests
build it with `oversized_csv()` (a valid CSV of 8 MB and a few bytes) and send it
with the default limits. Two more bombs aim at python-calamine rather than zlib: it
reads a sheet as a dense grid from A1 to its farthest cell, so one value in
XFD1048576 (2 kB) or two million rows written without reference (19 kB) would ask
for billions of cells and abort the server's process; both are refused before
calamine opens them.

The issue's list, file by file:

- wrong order: `wrong_order_articles.csv`, `wrong_order_contacts.xlsx`;
- missing column: `missing_column_articles.csv`, `missing_last_column_contacts.csv`,
  `blank_header_articles.csv`, `no_header_articles.csv`;
- extra column: `extra_column_contacts.csv`, `extra_column_articles.csv`;
- empty file: `empty.csv`, `blank.csv`, `empty_sheet.xlsx`;
- header only: `header_only_contacts.csv`, `header_only_articles.xlsx`;
- Windows-1252 accents: accepted in `good_contacts_windows1252.csv`; refused when the
  file is in another code page (`dos_cp850_contacts.csv`) or mixes encodings
  (`mixed_utf8_windows1252_articles.csv`);
- BOM: accepted in `good_articles_utf8_bom_semicolons.csv`,
  `good_contacts_utf16_tabs.txt`; refused when it lies
  (`bom_but_windows1252_contacts.csv`) or is missing from UTF-16
  (`utf16_without_bom_articles.csv`);
- semicolons: accepted in the good CSV files; `semicolon_in_value_contacts.csv`;
- decimal commas: accepted in `good_articles_utf8_bom_semicolons.csv`;
  `decimal_comma_unquoted_articles.csv`, `decimal_comma_shift_articles.csv`;
- duplicated rows: `duplicate_rows_articles.csv`, `duplicate_rows_contacts.csv`
  (and the same file sent twice, in tests/test_imports_corpus.py);
- invalid SIREN: `invalid_siren_contacts.csv` (with VAT numbers), `bad_values_contacts.csv`;
- unknown VAT rate: `unknown_vat_rate_articles.csv`;
- negative price: `negative_price_articles.csv`, `bad_prices_articles.csv`;
- formula cells: `formula_cells_articles.csv`, `formulas_without_values.xlsx`; accepted
  as texts in `good_formula_text_contacts.csv`, cached values in `good_articles.xlsx`;
- a renamed PDF: `renamed_pdf.xlsx`, `renamed_pdf.csv` (and `excel97.xlsx`,
  `opendocument.xlsx`, `archive.xlsx`, `workbook_named.csv`, `text_named.xlsx`,
  `image.csv`, `truncated.xlsx`, `articles.ods`);
- an oversized file: `oversized.csv`, built at test time;
- an XLSX zip bomb: `zip_bomb.xlsx`, `zip_bomb_declared.xlsx`, `zip_bomb_ratio.xlsx`,
  `cell_range_bomb.xlsx`, `implicit_rows_bomb.xlsx`.

Line numbers are those a spreadsheet shows: the header is line 1, blank lines count.

| File | Kind | What is in it | Expected |
|---|---|---|---|
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _expected(case: Case) -> str:
    if case.refusal:
        return "Refused: « " + case.refusal.replace(NNBSP, " ") + " »"
    if case.problems:
        return "Rows refused: " + "<br>".join(case.problems)
    created = f"Accepted: {len(case.rows)} record(s) created"
    if case.categories:
        created += ", categories " + ", ".join(f"« {name} »" for name in case.categories)
    detected = case.detected or {}
    found = [f"{key} {value}" for key, value in detected.items() if value]
    return created + (" (detected: " + ", ".join(found) + ")" if found else "")


def readme() -> str:
    lines = [README_HEAD]
    for case in CORPUS:
        name = case.name if case.stored else case.name + " (built at test time)"
        lines.append(f"| `{name}` | {case.kind} | {_cell(case.what)} | "
                     f"{_cell(_expected(case))} |\n")
    return "".join(lines)


def main(folder: Path = HERE) -> list:
    written = []
    for case in CORPUS:
        if not case.stored:
            continue
        data = case.build()
        assert len(data) < 100_000, f"{case.name}: {len(data)} bytes"
        (folder / case.name).write_bytes(data)
        written.append(case.name)
    (folder / "README.md").write_text(readme(), encoding="utf-8")
    return written


if __name__ == "__main__":
    names = main()
    print(f"{len(names)} files and README.md written in {HERE}", file=sys.stderr)
