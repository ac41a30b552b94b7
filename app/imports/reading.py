"""An uploaded file → the rows of an import, as text; or one French refusal.

Accepted: an XLSX workbook (its first sheet) or a CSV file (.csv or .txt) in
UTF-8 (with or without BOM), UTF-16 with BOM (Excel's « Texte Unicode ») or
Windows-1252, separated by semicolons, commas or tabs — detected, never asked.
Everything the server could choke on is refused before it is parsed, each time
with a message saying what and where (`FileRefused`):

- a file larger than `Limits.max_bytes`, empty, or not what its extension claims
  (magic bytes: an XLSX is a zip holding `[Content_Types].xml` and
  `xl/workbook.xml`; a PDF, an old .xls or an archive renamed .csv are named);
- an XLSX whose parts inflate beyond `Limits.max_uncompressed`, or far more than
  any spreadsheet does (`Limits.max_ratio`): a zip bomb. The zip directory is read
  first (declared sizes), then every part is inflated once, by zlib, without
  keeping the output, because a zip's directory may lie about its sizes; only
  then does python-calamine read it;
- an XLSX whose sheet reaches too far (a cell in XFD1048576, a million rows
  without reference): calamine would build it as a dense grid of billions of
  cells and abort the process. Every part is scanned while it is inflated;
- a CSV that is not text (a NUL byte) or in no known encoding;
- header row not the template's (missing, extra or swapped column: the first
  column that differs is named, with its position and letter), header only, or
  more data rows than `Limits.max_rows`;
- a row with a value after the template's last column, or, in a comma-separated
  file, a row with more cells than its header line: a comma left outside quotes
  (a price 12,50) moved the cells after it.

Cells are text, always: XLSX cells are read by python-calamine as values (a
formula gives its cached result, never evaluated here); a number is written
back with Excel's 15 significant digits, as the sheet shows it (129.9, not
129.90000000000001). A value starting with =, +, -, @ stays the text it is;
the single quote a spreadsheet (or our rejected-rows report) puts before such a
value to keep it from being evaluated is removed, so that « '=1+1 » imports
as « =1+1 » — stored as text, and neutralised again by every spreadsheet the
product writes.

Line numbers are those the user sees in their spreadsheet program: the header
is line 1; blank rows are skipped but still counted. The rejected-rows report
(app.imports.spreadsheets) adds two columns after the template's, « Ligne
d'origine » and « Motif du refus »; read_file ignores them, so that the report,
once corrected, can be sent again as it is.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import gc
import io
import re
import struct
import threading
import zipfile
import zlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import zip_longest
from typing import Callable, NamedTuple, Optional

from babel.numbers import format_decimal
from openpyxl.utils import get_column_letter
from python_calamine import CalamineError, CalamineWorkbook

from app.imports.columns import KINDS, ImportKind, fold
from app.messages import N_

# The two columns the rejected-rows report adds after the template's (never translated:
# they are part of the file format, like the template's headers).
REPORT_HEADERS = ("Ligne d'origine", "Motif du refus")
FORMULA_TRIGGERS = ("=", "+", "-", "@")
SEPARATORS = (";", ",", "\t")  # by preference when a header line has as many of each
SEPARATOR_NAMES = {";": ";", ",": ",", "\t": "tabulation"}
DECIMAL_KEYS = ("unit_price_ht",)
CSV_EXTENSIONS = ("csv", "txt")
XLSX_REQUIRED_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
# Parts smaller than this are never judged by their ratio: a few kilobytes of XML
# (styles, an empty sheet) may compress 100 times without harm.
RATIO_FLOOR = 1_000_000
# zlib is fed by slices this large: at most ~1,032 times as much comes out of each
# (deflate's limit), so that even a bomb is measured with bounded memory.
INFLATE_SLICE = 16 * 1024
LOCAL_HEADER = struct.Struct("<4s22xHH")
STORED_SLICE = 1024 * 1024
# calamine reads the first sheet as a dense grid, from A1 to its farthest cell: one value
# in XFD1048576 — a file of 1 kB — asks it for 17 billion cells, and Rust aborts the whole
# process (no exception to catch). Rows and cells written without their reference (each
# one after the previous) reach as far. So the farthest cell of every part is bounded
# while the part is inflated: a sheet may hold CELLS_PER_ROW cells per row the import
# may read (twice the widest template with the report's two columns).
CELLS_PER_ROW = 30
NEAR_COLUMNS = 26  # a reference of one letter is in columns A to Z
# Tags whose position the quick scan cannot read: a cell or a row without its reference
# right after its name (`<c>`, `<c s="1" r="B2">`), or with a namespace prefix.
_UNUSUAL = (re.compile(rb'<c(?![\w:]| r="[A-Z]+[0-9])'),
            re.compile(rb'<row(?![\w:]| r="[0-9])'),
            re.compile(rb':(?:c|row)[\s>/]'))
_TAG = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?(c|row)(?=[\s/>])([^>]*)>')
_TAG_REF = re.compile(rb'\sr\s*=\s*["\']([A-Za-z]*)([0-9]*)["\']')
SCAN_CARRY = 64             # longer than any reference: one cut between two slices is read again
TAG_MAX = 1024 * 1024       # no spreadsheet writes a tag this long
LOCAL_SIGNATURE = b"PK\x03\x04"
MAGIC = (
    (b"%PDF", "pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),  # Excel 97-2003, or an encrypted XLSX
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x89PNG", "binary"),
    (b"\xff\xd8\xff", "binary"),
    (b"GIF8", "binary"),
    (b"\x1f\x8b", "binary"),
    (b"Rar!", "binary"),
    (b"7z\xbc\xaf", "binary"),
)
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

# Messages -------------------------------------------------------------------------------

TOO_BIG = N_("Le fichier dépasse la taille maximale de %(limit)s Mo : découpez-le en "
             "plusieurs fichiers.")
TOO_BIG_KB = N_("Le fichier dépasse la taille maximale de %(limit)s ko : découpez-le en "
                "plusieurs fichiers.")
EMPTY = N_("Le fichier est vide : il n'y a rien à importer.")
EMPTY_SHEET = N_("La première feuille du classeur est vide : les en-têtes du modèle doivent "
                 "être en ligne 1 de la première feuille.")
HEADER_ONLY = N_("Le fichier ne contient que la ligne d'en-têtes : aucune ligne à importer.")
TOO_MANY_ROWS = N_("Le fichier contient %(count)s lignes à importer : la limite est de "
                   "%(limit)s par import. Découpez-le en plusieurs fichiers.")
UNSUPPORTED = N_("« %(name)s » n'est ni un classeur .xlsx ni un fichier .csv : enregistrez-le "
                 "dans l'un de ces formats depuis votre tableur, comme les modèles.")
IS_PDF = N_("« %(name)s » est un document PDF, pas un %(claimed)s : envoyez le classeur "
            "rempli à partir du modèle.")
IS_XLS = N_("« %(name)s » est un classeur Excel 97-2003 (.xls) ou protégé par un mot de "
            "passe : ouvrez-le dans votre tableur et enregistrez-le au format .xlsx, sans mot "
            "de passe.")
IS_ODS = N_("« %(name)s » est un classeur OpenDocument (.ods) : enregistrez-le au format "
            ".xlsx ou .csv.")
IS_ZIP_NOT_XLSX = N_("« %(name)s » est une archive, pas un classeur XLSX : envoyez le "
                     "classeur rempli à partir du modèle.")
XLSX_AS_CSV = N_("« %(name)s » est un classeur XLSX (ou une archive), pas un fichier CSV : "
                 "envoyez-le avec l'extension .xlsx.")
NOT_XLSX = N_("« %(name)s » n'est pas un classeur XLSX : son contenu ne correspond pas à son "
              "extension.")
XLSX_DAMAGED = N_("Le classeur « %(name)s » est endommagé et ne peut pas être lu : "
                  "enregistrez-le à nouveau depuis votre tableur.")
XLSX_UNREADABLE = N_("Le classeur « %(name)s » ne peut pas être lu (%(detail)s) : "
                     "enregistrez-le à nouveau depuis votre tableur.")
BOMB_SIZE = N_("Le classeur se décompresse en plus de %(limit)s Mo : il est refusé par "
               "précaution. Supprimez ce qui n'est pas à importer (autres feuilles, images) "
               "ou découpez-le.")
BOMB_SIZE_KB = N_("Le classeur se décompresse en plus de %(limit)s ko : il est refusé par "
                  "précaution. Supprimez ce qui n'est pas à importer (autres feuilles, images) "
                  "ou découpez-le.")
SHEET_TOO_LARGE = N_(
    "Une feuille du classeur s'étend jusqu'à la ligne %(row)s et la colonne %(column)s, soit "
    "%(count)s cellules : un import en lit %(limit)s au plus. Supprimez ce qui est au-delà de "
    "vos données (une valeur isolée, des cellules mises en forme) ou découpez le fichier.")
BOMB_RATIO = N_("Le classeur contient une partie (« %(part)s ») comprimée plus de %(ratio)s "
                "fois, ce qu'aucun tableur ne produit : il est refusé par précaution.")
NOT_TEXT = N_("« %(name)s » n'est pas un fichier texte : un fichier CSV ne contient que du "
              "texte. Enregistrez-le au format CSV depuis votre tableur.")
BAD_UTF8_BOM = N_("« %(name)s » s'annonce en UTF-8 mais contient des caractères qui n'en sont "
                  "pas (près de l'octet %(offset)s) : enregistrez-le à nouveau en « CSV UTF-8 ».")
UNDECODABLE = N_("L'encodage de « %(name)s » n'est pas reconnu (ni UTF-8 ni Windows-1252) : "
                 "enregistrez-le en « CSV UTF-8 » depuis votre tableur.")
CSV_MALFORMED = N_("Le fichier CSV est mal formé près de la ligne %(line)s (%(detail)s) : "
                   "enregistrez-le à nouveau depuis votre tableur.")
NO_HEADER = N_("La ligne 1 doit contenir les en-têtes du modèle (« %(first)s », « %(second)s », "
               "…) : elle est vide.")
WRONG_KIND = N_("Ce fichier suit le modèle « %(found)s », pas celui des « %(expected)s » : "
                "envoyez-le avec le formulaire des « %(found)s ».")
HEADER_MISSING_AT_END = N_(
    "Colonnes différentes du modèle : il manque la colonne « %(expected)s » (colonne "
    "%(position)s, %(letter)s) ; le fichier a %(count)s colonnes, le modèle %(total)s. Gardez "
    "toutes les colonnes du modèle, dans son ordre, même vides.")
HEADER_EXTRA_AT_END = N_(
    "Colonnes différentes du modèle : la colonne %(position)s (%(letter)s), « %(found)s », est "
    "en trop ; le modèle s'arrête à « %(last)s ». Supprimez-la.")
HEADER_BLANK = N_(
    "Colonnes différentes du modèle : la colonne %(position)s (%(letter)s) n'a pas d'en-tête "
    "alors que le modèle attend « %(expected)s ».")
HEADER_MOVED = N_(
    "Colonnes différentes du modèle : la colonne %(position)s (%(letter)s) est « %(found)s » "
    "alors que le modèle attend « %(expected)s » ; une colonne manque ou l'ordre a changé. "
    "Gardez toutes les colonnes du modèle, dans son ordre, même vides.")
HEADER_UNKNOWN = N_(
    "Colonnes différentes du modèle : la colonne %(position)s (%(letter)s), « %(found)s », "
    "n'est pas une colonne du modèle, qui attend ici « %(expected)s ».")
VALUE_OUTSIDE = N_(
    "Ligne %(line)s : la valeur « %(value)s » est en colonne %(position)s (%(letter)s), après "
    "la dernière colonne du modèle (« %(last)s »).")
VALUE_OUTSIDE_COMMA = N_(
    "Ligne %(line)s : la valeur « %(value)s » est en colonne %(position)s (%(letter)s), après "
    "la dernière colonne du modèle (« %(last)s »). Le fichier est séparé par des virgules : "
    "une valeur qui contient une virgule (un prix comme 12,50) doit être entre guillemets, "
    "ou enregistrez le fichier avec des points-virgules.")
ROW_WIDER_COMMA = N_(
    "Ligne %(line)s : %(count)s valeurs alors que la ligne d'en-têtes en a %(total)s. Le fichier "
    "est séparé par des virgules : une valeur qui contient une virgule (un prix comme 12,50) "
    "doit être entre guillemets, ou enregistrez le fichier avec des points-virgules.")
CLAIMED_XLSX = N_("classeur XLSX")
CLAIMED_CSV = N_("fichier CSV")


# The engine's types ---------------------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    max_bytes: int = 8_000_000
    max_rows: int = 100_000
    max_uncompressed: int = 80_000_000
    # A part of an XLSX inflating more than this many times its compressed size is
    # refused: spreadsheets compress 5 to 30 times, a zip bomb about 1,000 times.
    max_ratio: int = 200


def limits_from(config) -> Limits:
    """The limits set by the application's settings (IMPORT_MAX_*), for the
    screens and `flask import-data` alike."""
    return Limits(max_bytes=config["IMPORT_MAX_BYTES"], max_rows=config["IMPORT_MAX_ROWS"],
                  max_uncompressed=config["IMPORT_MAX_UNCOMPRESSED"])


class FileRefused(Exception):
    """The whole file is refused: `message` says why, in the caller's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RawRow(NamedTuple):
    line: int
    values: dict


@dataclass
class Table:
    kind: ImportKind
    rows: list
    detected: dict


class _Refusal(Exception):
    """Raised inside this module with a msgid; read_file translates it once."""

    def __init__(self, msgid: str, **params):
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


# Entry point ----------------------------------------------------------------------------

def french_number(number) -> str:
    """1 200 ; 2,5 — numbers in refusals when the caller gives no formatter."""
    return format_decimal(number, locale="fr_FR")


def read_file(data: bytes, filename: str, kind: ImportKind, *, limits: Limits,
              gettext: Callable, format_number: Callable = french_number) -> Table:
    """The rows of `data` (the uploaded file named `filename`) for an import of
    `kind`, checked against `limits`; raises FileRefused, its numbers written by
    `format_number` (« 2,5 Mo » in French, « 2.5 MB » in English)."""
    try:
        with paused_gc():
            return _read(data, filename or "", kind, limits)
    except _Refusal as refusal:
        raise FileRefused(gettext(refusal.msgid) % _translated_params(
            refusal.params, gettext, format_number)) from None


def _translated_params(params: dict, gettext, format_number) -> dict:
    """Parameters that are msgids (_Msgid) are translated, numbers (_Number)
    written in the user's language."""
    def translated(value):
        if isinstance(value, _Msgid):
            return gettext(value)
        if isinstance(value, _Number):
            return format_number(value.value)
        return value
    return {name: translated(value) for name, value in params.items()}


class _Msgid(str):
    """A parameter of a refusal that is a msgid to translate (a kind's label)."""


class _Number(NamedTuple):
    """A parameter of a refusal that is a number, written when the message is."""
    value: object


class _CollectorPause:
    """See `paused_gc`. A count, not each pause restoring what it found: two
    imports in two threads would otherwise turn the collector on under the one
    still running."""

    def __init__(self):
        self._lock = threading.Lock()
        self._running = 0
        self._resume = False

    def __enter__(self):
        with self._lock:
            if self._running == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._running += 1

    def __exit__(self, *exc_info):
        with self._lock:
            self._running -= 1
            if self._running == 0 and self._resume:
                gc.enable()


_COLLECTOR_PAUSE = _CollectorPause()


def paused_gc() -> _CollectorPause:
    """The cyclic garbage collector paused while an import reads, checks and
    writes a file: a 100,000-row import allocates a million containers, keeps
    them to its end and none is a cycle, yet each collection would walk them all
    (a third of the reading time; a fifth to a third of a whole import,
    benchmarks/README.md). Pauses nest; the collector resumes when the last one
    running in the process ends, and stays off if it was off before."""
    return _COLLECTOR_PAUSE


def _read(data: bytes, filename: str, kind: ImportKind, limits: Limits) -> Table:
    if len(data) > limits.max_bytes:
        raise _size_refusal(TOO_BIG, TOO_BIG_KB, limits.max_bytes)
    if not data.strip():
        raise _Refusal(EMPTY)
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == "xlsx":
        grid = _xlsx_grid(data, name, limits)
        detected = {"format": "xlsx", "encoding": None, "separator": None, "decimal": None}
    elif extension in CSV_EXTENSIONS:
        grid, detected = _csv_grid(data, name)
    else:
        raise _Refusal(UNSUPPORTED, name=name)
    rows = _rows(grid, kind, detected["separator"], limits)
    if detected["format"] == "csv":
        detected["decimal"] = _decimal_mark(rows, kind)
    return Table(kind=kind, rows=rows, detected=detected)


def size_limit(size: int) -> tuple:
    """(amount, « Mo » or « ko ») of a size limit as the user reads it: Mo with
    one decimal, ko below 0.95 Mo — a limit set low in the settings would
    otherwise read « 0 Mo »."""
    if size >= 950_000:
        return (Decimal(size) / 1_000_000).quantize(Decimal("0.1"), ROUND_HALF_UP), "Mo"
    return Decimal(max(1, round(size / 1000))), "ko"


def _size_refusal(in_megabytes: str, in_kilobytes: str, size: int) -> _Refusal:
    amount, unit = size_limit(size)
    return _Refusal(in_megabytes if unit == "Mo" else in_kilobytes, limit=_Number(amount))


# What the bytes are ---------------------------------------------------------------------

def _magic(data: bytes) -> Optional[str]:
    for signature, nature in MAGIC:
        if data.startswith(signature):
            return nature
    return None


def _refuse_foreign(nature: Optional[str], name: str, claimed: str):
    """Refuses a file whose magic bytes say it is a PDF or an old .xls."""
    if nature == "pdf":
        raise _Refusal(IS_PDF, name=name, claimed=_Msgid(claimed))
    if nature == "ole":
        raise _Refusal(IS_XLS, name=name)


# XLSX -----------------------------------------------------------------------------------

def _xlsx_grid(data: bytes, name: str, limits: Limits) -> list:
    nature = _magic(data)
    _refuse_foreign(nature, name, CLAIMED_XLSX)
    if nature != "zip":
        raise _Refusal(NOT_XLSX, name=name)
    _check_archive(data, name, limits)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError, UnicodeError) as error:
        raise _Refusal(XLSX_UNREADABLE, name=name, detail=str(error)[:200]) from None
    return [_xlsx_cells(row) for row in rows]


def _check_archive(data: bytes, name: str, limits: Limits):
    """Refuses anything but a sane XLSX zip: its directory first, then the real
    size of every part, inflated by slices and thrown away, and how far its cells
    reach (`_Scan`)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise _Refusal(XLSX_DAMAGED, name=name) from None
    names = {part.filename for part in parts}
    if not all(required in names for required in XLSX_REQUIRED_PARTS):
        if "mimetype" in names and _is_ods(archive):
            raise _Refusal(IS_ODS, name=name)
        raise _Refusal(IS_ZIP_NOT_XLSX, name=name)
    if sum(part.file_size for part in parts) > limits.max_uncompressed:
        raise _size_refusal(BOMB_SIZE, BOMB_SIZE_KB, limits.max_uncompressed)
    for part in parts:
        if (part.file_size > RATIO_FLOOR
                and part.file_size > limits.max_ratio * max(part.compress_size, 1)):
            raise _Refusal(BOMB_RATIO, part=part.filename, ratio=_Number(limits.max_ratio))
    cells = (limits.max_rows + 1) * CELLS_PER_ROW
    inflated = 0
    for part in parts:
        scan = _Scan(cells)
        for chunk in _inflated(data, part, name):
            inflated += len(chunk)
            if inflated > limits.max_uncompressed:
                raise _size_refusal(BOMB_SIZE, BOMB_SIZE_KB, limits.max_uncompressed)
            scan.feed(chunk)
        scan.feed(b"", last=True)
        if not scan.fits():
            _check_extent(_inflated(data, part, name), cells, name)


def _is_ods(archive: zipfile.ZipFile) -> bool:
    """Whether the archive's « mimetype » part says OpenDocument spreadsheet. Only
    its first bytes are inflated: the sizes are not checked yet, and that part
    may be a bomb itself (a few hundred kilobytes inflating to gigabytes) or
    damaged (its checksum is only verified at its end, never reached)."""
    try:
        with archive.open("mimetype") as part:
            return part.read(len(ODS_MIMETYPE)) == ODS_MIMETYPE
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError,
            EOFError, zlib.error):
        return False


def _inflated(data: bytes, part: zipfile.ZipInfo, name: str):
    """What `part` really inflates to, slice by slice, whatever its directory entry
    says; refuses an encrypted, truncated or exotic part (spreadsheets only store or
    deflate)."""
    if part.flag_bits & 0x1 or part.compress_type not in (zipfile.ZIP_STORED,
                                                          zipfile.ZIP_DEFLATED):
        raise _Refusal(XLSX_DAMAGED, name=name)
    offset = part.header_offset
    header = data[offset:offset + LOCAL_HEADER.size]
    if len(header) < LOCAL_HEADER.size:
        raise _Refusal(XLSX_DAMAGED, name=name)
    signature, name_length, extra_length = LOCAL_HEADER.unpack(header)
    if signature != LOCAL_SIGNATURE:
        raise _Refusal(XLSX_DAMAGED, name=name)
    start = offset + LOCAL_HEADER.size + name_length + extra_length
    raw = memoryview(data)[start:start + part.compress_size]
    if len(raw) < part.compress_size:
        raise _Refusal(XLSX_DAMAGED, name=name)
    if part.compress_type == zipfile.ZIP_STORED:
        for position in range(0, len(raw), STORED_SLICE):
            yield bytes(raw[position:position + STORED_SLICE])
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        for position in range(0, len(raw), INFLATE_SLICE):
            yield inflater.decompress(raw[position:position + INFLATE_SLICE])
        yield inflater.flush()
    except zlib.error:
        raise _Refusal(XLSX_DAMAGED, name=name) from None
    if not inflater.eof:
        raise _Refusal(XLSX_DAMAGED, name=name)


class _Scan:
    """A part's farthest cell, bounded from its bytes as they are inflated. Only the
    references of far cells — a column of two letters or more, a row number as long
    as the rows a sheet may have — are read (a regular expression that finds nothing
    in an ordinary sheet); every other cell is within Z and those rows."""

    def __init__(self, cells: int):
        self.cells = cells
        digits = 0  # the near rows: the longest all-nines a sheet of 26 columns may reach
        while NEAR_COLUMNS * (10 ** (digits + 1) - 1) <= cells:
            digits += 1
        self.near_rows = 10 ** digits - 1
        self.far = re.compile(rb' r="(?=[A-Z]{2}|[A-Z]?[0-9]{%d})([A-Z]*)([0-9]+)"'
                              % (digits + 1))
        self.rows = self.columns = 0
        self.unusual = False
        self.carry = b""

    def feed(self, chunk: bytes, last: bool = False):
        text = self.carry + chunk
        # A match in the carried end is read again with the next slice: a tag cut there
        # would look unusual (`<c` with nothing after it) or be missed.
        edge = len(text) if last else len(text) - SCAN_CARRY // 4
        if not self.unusual:
            self.unusual = any(match.start() < edge for pattern in _UNUSUAL
                               for match in pattern.finditer(text))
        for letters, digits in self.far.findall(text):
            if letters:  # a cell's (a row without cells adds none to the grid)
                self.rows = max(self.rows, int(digits))
                self.columns = max(self.columns, _column_number(letters))
        self.carry = text[-SCAN_CARRY:]

    def fits(self) -> bool:
        """Whether the part is surely within the cells allowed."""
        if self.unusual:
            return False
        return (max(self.rows, self.near_rows) * max(self.columns, NEAR_COLUMNS)
                <= self.cells)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


def _check_extent(chunks, cells: int, name: str):
    """Refuses a part reaching beyond `cells` cells, counted as calamine places them:
    every cell and row tag read in turn (the part's bytes inflated again), a tag
    without reference one after the previous. Only for the parts the quick scan
    could not clear: a sheet wider than Z or very long, or written unusually."""
    row = column = rows = columns = 0
    carry = b""
    for chunk in chunks:
        text = carry + chunk
        end = 0
        for match in _TAG.finditer(text):
            end = match.end()
            reference = _TAG_REF.search(match.group(2))
            letters, digits = reference.groups() if reference else (b"", b"")
            if match.group(1) == b"row":
                row, column = (int(digits) if digits else row + 1), 0
            elif letters and digits:
                column = _column_number(letters)
                rows, columns = max(rows, int(digits)), max(columns, column)
            else:
                column += 1
                rows, columns = max(rows, row), max(columns, column)
        cut = text.rfind(b"<", end)
        carry = text[cut:] if cut >= 0 else b""
        if len(carry) > TAG_MAX:
            raise _Refusal(XLSX_DAMAGED, name=name)
    if rows * columns > cells:
        raise _Refusal(SHEET_TOO_LARGE, row=_Number(rows), column=_column_letters(columns),
                       count=_Number(rows * columns), limit=_Number(cells))


def _xlsx_cells(row: list) -> list:
    """One sheet row as stripped text (None for an empty cell). Inlined, not a
    function per cell: a 100,000-row sheet has a million cells."""
    return [(value.strip() or None) if value.__class__ is str else _xlsx_value(value)
            for value in row]


def _unquoted(value: Optional[str]) -> Optional[str]:
    """Without the quote our report put before a formula-like text (« '=1+1 »)."""
    if value and value[0] == "'" and value[1:2] in FORMULA_TRIGGERS:
        return value[1:]
    return value


def _xlsx_value(value) -> Optional[str]:
    """A cell that calamine did not give as text, as the sheet shows it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, float):
        # Excel's precision: 15 significant digits (a formula's 154.79999999999998 is
        # the 154.8 the user sees); an integral float loses its « .0 ».
        return format(value, ".15g")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip() or None


# CSV ------------------------------------------------------------------------------------

def _csv_grid(data: bytes, name: str) -> tuple:
    nature = _magic(data)
    _refuse_foreign(nature, name, CLAIMED_CSV)
    if nature == "zip":
        raise _Refusal(XLSX_AS_CSV, name=name)
    if nature == "binary":
        raise _Refusal(NOT_TEXT, name=name)
    text, encoding = _decode(data, name)
    text, separator = _separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        grid = [[cell.strip() or None for cell in record] for record in reader]
    except csv.Error as error:
        raise _Refusal(CSV_MALFORMED, line=reader.line_num, detail=str(error)) from None
    return grid, {"format": "csv", "encoding": encoding,
                  "separator": SEPARATOR_NAMES[separator], "decimal": None}


def _decode(data: bytes, name: str) -> tuple:
    """The text of a CSV and the name of its encoding."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            text, encoding = data[len(codecs.BOM_UTF8):].decode("utf-8"), "UTF-8 (BOM)"
        except UnicodeDecodeError as error:
            raise _Refusal(BAD_UTF8_BOM, name=name, offset=_Number(error.start + 3)) from None
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise _Refusal(UNDECODABLE, name=name) from None
    elif b"\x00" in data:
        raise _Refusal(NOT_TEXT, name=name)
    else:
        try:
            text, encoding = data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("cp1252"), "Windows-1252"
            except UnicodeDecodeError:
                raise _Refusal(UNDECODABLE, name=name) from None
    if "\x00" in text:
        raise _Refusal(NOT_TEXT, name=name)
    return text, encoding


def _separator(text: str) -> tuple:
    """The text without Excel's « sep=; » line, and the separator: Excel's hint
    when present, else the most frequent of ; , and tab in the header line."""
    first_line, _, rest = text.partition("\n")
    hint = first_line.strip()
    if hint[:4].lower() == "sep=" and len(hint) == 5 and hint[4] in SEPARATORS:
        return rest, hint[4]
    counts = [first_line.count(separator) for separator in SEPARATORS]
    return text, SEPARATORS[counts.index(max(counts))]


def _decimal_mark(rows: list, kind: ImportKind) -> Optional[str]:
    """The decimal mark the file's prices use, for the preview (the validation
    accepts both, value by value)."""
    for key in DECIMAL_KEYS:
        if key not in kind.keys:
            continue
        for row in rows:
            value = row.values[key]
            if value:
                if "," in value:
                    return ","
                if "." in value:
                    return "."
    return None


# Header and rows ------------------------------------------------------------------------

def _rows(grid: list, kind: ImportKind, separator: Optional[str], limits: Limits) -> list:
    if not any(any(cells) for cells in grid):
        raise _Refusal(EMPTY if separator else EMPTY_SHEET)
    tolerated = _check_header(grid[0] if grid else [], kind)
    width = len(kind.columns)
    is_report = tolerated > width
    keys = kind.keys
    padding = [None] * width
    # In a comma file, a row wider than the header line had a comma outside quotes (a
    # price 10,00, « 3, rue … »): the cells after it moved one column to the right,
    # unnoticed when what was pushed out is empty (10,00 → price 10, VAT rate « 00 »).
    widest = max(len(grid[0]), tolerated) if separator == "," else None
    rows = []
    for index in range(1, len(grid)):
        cells = grid[index]
        if not any(cells):
            continue
        if len(cells) > width:
            if len(cells) > tolerated and any(cells[tolerated:]):
                _refuse_outside(cells, index + 1, tolerated, kind, separator)
            if widest is not None and len(cells) > widest:
                raise _Refusal(ROW_WIDER_COMMA, line=index + 1, count=len(cells), total=widest)
            cells = cells[:width]
        elif len(cells) < width:
            cells = cells + padding[len(cells):]
        if is_report:
            # Only our report writes that quote as text (a spreadsheet keeps it out of
            # the value): checked there alone, not on every cell of every file.
            cells = [_unquoted(cell) for cell in cells]
        rows.append(RawRow(index + 1, dict(zip(keys, cells))))
    if not rows:
        raise _Refusal(HEADER_ONLY)
    if len(rows) > limits.max_rows:
        raise _Refusal(TOO_MANY_ROWS, count=_Number(len(rows)), limit=_Number(limits.max_rows))
    return rows


def _refuse_outside(cells: list, line: int, tolerated: int, kind: ImportKind, separator):
    position = next(index for index in range(tolerated, len(cells)) if cells[index]) + 1
    msgid = VALUE_OUTSIDE_COMMA if separator == "," else VALUE_OUTSIDE
    raise _Refusal(msgid, line=line, value=cells[position - 1], position=position,
                   letter=get_column_letter(position), last=kind.headers[-1])


def _check_header(header: list, kind: ImportKind) -> int:
    """Refuses a header row that is not the template's, naming the first column
    that differs; returns how many columns the rows may fill (the template's,
    plus the rejected-rows report's two)."""
    found = [cell or "" for cell in header]
    while found and not found[-1]:
        found.pop()
    expected = kind.headers
    if not found:
        raise _Refusal(NO_HEADER, first=expected[0], second=expected[1])
    folded = [fold(cell) for cell in found]
    wanted = [fold(cell) for cell in expected]
    tolerated = len(expected)
    report = [fold(cell) for cell in REPORT_HEADERS]
    if folded[tolerated:] == report:
        folded, found, tolerated = folded[:tolerated], found[:tolerated], tolerated + 2
    if folded == wanted:
        return tolerated
    _refuse_other_kind(folded, kind)
    for position, (want, got) in enumerate(zip_longest(wanted, folded), start=1):
        if want == got:
            continue
        params = {"position": position, "letter": get_column_letter(position)}
        if got is None:
            raise _Refusal(HEADER_MISSING_AT_END, expected=expected[position - 1],
                           count=len(found), total=len(expected), **params)
        if want is None:
            raise _Refusal(HEADER_EXTRA_AT_END, found=found[position - 1], last=expected[-1],
                           **params)
        if not got:
            raise _Refusal(HEADER_BLANK, expected=expected[position - 1], **params)
        if got in wanted:
            raise _Refusal(HEADER_MOVED, found=found[position - 1],
                           expected=expected[position - 1], **params)
        raise _Refusal(HEADER_UNKNOWN, found=found[position - 1],
                       expected=expected[position - 1], **params)
    return tolerated  # pragma: no cover - the loop finds the difference


def _refuse_other_kind(folded: list, kind: ImportKind):
    """A file made from the other template is named as such."""
    ours = {fold(header) for header in kind.headers}
    for other in KINDS.values():
        if other.code == kind.code:
            continue
        theirs = {fold(header) for header in other.headers}
        mine = sum(1 for cell in folded if cell in ours)
        other_kind = sum(1 for cell in folded if cell in theirs)
        if other_kind > mine and other_kind * 2 >= len(other.headers):
            raise _Refusal(WRONG_KIND, found=_Msgid(other.label), expected=_Msgid(kind.label))


__all__ = ["FileRefused", "Limits", "limits_from", "RawRow", "REPORT_HEADERS", "Table",
           "read_file"]
