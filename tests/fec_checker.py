"""An independent FEC validator for the tests (DESIGN.md §4, article A47 A-1
of the Livre des procédures fiscales).

Written from the rules, not from the writer: it imports nothing from
app.accounting, so that a mistake in app/accounting/fec.py cannot hide itself
by being made twice. `check_fec` parses a file and raises AssertionError with
a precise message (line number, column, value) at the first violation.
"""
import datetime as dt
import re
from decimal import Decimal

EXPECTED_COLUMNS = [
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
    "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
    "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
]
REQUIRED = ["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum",
            "CompteLib", "PieceRef", "PieceDate", "EcritureLib", "ValidDate"]
DATE_COLUMNS = ["EcritureDate", "PieceDate", "ValidDate"]
PAIRS = [("CompAuxNum", "CompAuxLib"), ("EcritureLet", "DateLet"),
         ("Montantdevise", "Idevise")]

AMOUNT_RE = re.compile(r"^\d+,\d{2}$")
SIGNED_AMOUNT_RE = re.compile(r"^-?\d+,\d{2}$")
DATE_RE = re.compile(r"^\d{8}$")
DIGITS_RE = re.compile(r"^[0-9]+$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def _fail(where: str, message: str):
    raise AssertionError(f"{where}: {message}")


def _parse_date(value: str, where: str, column: str) -> dt.date:
    if not DATE_RE.match(value):
        _fail(where, f"{column} {value!r} is not a date AAAAMMJJ")
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        _fail(where, f"{column} {value!r} is not a valid date")


def _parse_amount(value: str, where: str, column: str) -> Decimal:
    if not AMOUNT_RE.match(value):
        _fail(where, f"{column} {value!r} is not an amount like 1234,56")
    return Decimal(value.replace(",", "."))


def _split_lines(text: str) -> list:
    """The lines of the file, the line ending being the header's (CRLF or
    LF), the same everywhere, the last line ended too."""
    first_end = text.find("\n")
    if first_end < 0:
        _fail("file", "no line ending after the header")
    ending = "\r\n" if first_end > 0 and text[first_end - 1] == "\r" else "\n"
    if not text.endswith(ending):
        _fail("file", f"the last line does not end with {ending!r}")
    lines = text[:-len(ending)].split(ending)
    for number, line in enumerate(lines, start=1):
        if "\r" in line:
            _fail(f"line {number}", "carriage return inside the line")
        if ending == "\r\n" and "\n" in line:
            _fail(f"line {number}", "line feed inside the line")
    return lines


def _detect_separator(header: str) -> str:
    if "\t" in header:
        return "\t"
    if "|" in header:
        return "|"
    _fail("line 1", "no tab nor | separator in the header")


def _check_row(row: dict, where: str) -> None:
    for column in REQUIRED:
        if not row[column].strip():
            _fail(where, f"{column} is empty")
    for column in DATE_COLUMNS:
        _parse_date(row[column], where, column)
    if not DIGITS_RE.match(row["CompteNum"]):
        _fail(where, f"CompteNum {row['CompteNum']!r} is not only digits")
    debit = _parse_amount(row["Debit"], where, "Debit")
    credit = _parse_amount(row["Credit"], where, "Credit")
    if (debit != 0) == (credit != 0):
        _fail(where, f"exactly one of Debit ({row['Debit']}) / Credit ({row['Credit']}) "
                     "must be non-zero")
    for first, second in PAIRS:
        if bool(row[first]) != bool(row[second]):
            _fail(where, f"{first} ({row[first]!r}) and {second} ({row[second]!r}) must be "
                         "both filled or both empty")
    if row["DateLet"]:
        _parse_date(row["DateLet"], where, "DateLet")
    if row["Montantdevise"]:
        if not SIGNED_AMOUNT_RE.match(row["Montantdevise"]):
            _fail(where, f"Montantdevise {row['Montantdevise']!r} is not an amount")
        if not CURRENCY_RE.match(row["Idevise"]):
            _fail(where, f"Idevise {row['Idevise']!r} is not an ISO 4217 code")
    row["Debit"], row["Credit"] = debit, credit


class _EntryChecks:
    """Rules across lines: entries contiguous, consistent and balanced;
    numbers prefixed by the journal and continuous per journal; dates in
    chronological order."""

    SHARED = ("JournalCode", "EcritureDate", "PieceRef", "PieceDate")

    def __init__(self):
        self.seen = {}            # EcritureNum → line of its first row
        self.last_per_journal = {}
        self.current = None       # rows of the entry being read
        self.last_date = None

    def add(self, row: dict, where: str, number: int) -> None:
        entry_number = row["EcritureNum"]
        if self.current and self.current[0][0]["EcritureNum"] == entry_number:
            first = self.current[0][0]
            for column in self.SHARED:
                if row[column] != first[column]:
                    _fail(where, f"{column} {row[column]!r} differs from {first[column]!r} "
                                 f"of the same entry {entry_number}")
            self.current.append((row, where))
            return
        self.close()
        if entry_number in self.seen:
            _fail(where, f"EcritureNum {entry_number} already used by another entry "
                         f"(line {self.seen[entry_number]}): its lines are not contiguous")
        self.seen[entry_number] = number
        self._check_number(row, where)
        date = row["EcritureDate"]
        if self.last_date is not None and date < self.last_date:
            _fail(where, f"EcritureDate {date} is before {self.last_date}: entries are not "
                         "in chronological order")
        self.last_date = date
        self.current = [(row, where)]

    def _check_number(self, row: dict, where: str) -> None:
        journal, entry_number = row["JournalCode"], row["EcritureNum"]
        if not entry_number.startswith(journal):
            _fail(where, f"EcritureNum {entry_number} does not start with its JournalCode "
                         f"{journal}")
        digits = entry_number[len(journal):]
        if not DIGITS_RE.match(digits):
            _fail(where, f"EcritureNum {entry_number}: {digits!r} after the journal code is "
                         "not a number")
        value = int(digits)
        previous = self.last_per_journal.get(journal)
        if previous is not None and value != previous + 1:
            _fail(where, f"EcritureNum {entry_number} follows number {previous} of journal "
                         f"{journal}: numbering is not continuous")
        self.last_per_journal[journal] = value

    def close(self) -> None:
        if not self.current:
            return
        debit = sum((row["Debit"] for row, _ in self.current), Decimal("0"))
        credit = sum((row["Credit"] for row, _ in self.current), Decimal("0"))
        if debit != credit:
            first, where = self.current[0]
            _fail(where, f"entry {first['EcritureNum']} does not balance: debit {debit}, "
                         f"credit {credit}")
        self.current = None


def check_fec(data: bytes, *, encoding: str = "utf-8", separator: str = None) -> list:
    """The rows of a FEC file as dicts (Debit and Credit as Decimal, the
    others as text); AssertionError at the first rule broken."""
    if data.startswith(b"\xef\xbb\xbf"):
        _fail("file", "starts with a byte order mark")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        _fail("file", f"not {encoding}: {error}")
    lines = _split_lines(text)
    header = lines[0]
    if separator is None:
        separator = _detect_separator(header)
    if separator not in ("\t", "|"):
        _fail("file", f"separator {separator!r} is neither a tab nor |")
    columns = header.split(separator)
    if columns != EXPECTED_COLUMNS:
        for position, (found, expected) in enumerate(zip(columns, EXPECTED_COLUMNS), start=1):
            if found != expected:
                _fail("line 1", f"column {position} is {found!r}, expected {expected!r}")
        _fail("line 1", f"{len(columns)} columns, expected {len(EXPECTED_COLUMNS)}")
    rows = []
    entries = _EntryChecks()
    for number, line in enumerate(lines[1:], start=2):
        where = f"line {number}"
        fields = line.split(separator)
        if len(fields) != len(EXPECTED_COLUMNS):
            _fail(where, f"{len(fields)} fields, expected {len(EXPECTED_COLUMNS)}: {line!r}")
        row = dict(zip(EXPECTED_COLUMNS, fields))
        _check_row(row, where)
        entries.add(row, where, number)
        rows.append(row)
    entries.close()
    return rows
