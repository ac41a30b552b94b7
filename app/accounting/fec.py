"""The FEC (« fichier des écritures comptables », article A47 A-1 of the Livre
des procédures fiscales) of a list of entries (DESIGN.md §4), in pure Python.

No Flask, no SQLAlchemy: `Entry` objects in (app.accounting.entries), text
lines or bytes out. The file is what the tax administration asks for on an
audit and what most accounting software imports, so its rules are strict:

- the header then one line per entry line, 18 columns (`FEC_COLUMNS`) in this
  order, separated by a tab (or `|`), never found inside a field;
- dates AAAAMMJJ; amounts with a decimal comma, two decimals, no thousands
  separator, « 0,00 » on the empty side;
- CompAuxNum / CompAuxLib only on third-party (customer) lines, EcritureLet /
  DateLet only on lettered lines, Montantdevise / Idevise always empty (the
  entries are in euros);
- JournalLib, CompteLib, PieceRef, PieceDate, EcritureLib and ValidDate never
  empty (the DGFiP checker « Test Compta Demat » rejects the file otherwise):
  each falls back on the nearest thing that means the same (CompteLib → the
  account number, EcritureLib → the entry's label → PieceRef…).

Line ending: CRLF (« \\r\\n »). The DGFiP accepts CRLF and LF alike; CRLF is
what the Windows accounting software of the firms (and the DGFiP's own tool)
write and read natively, and a reader splitting on LF only still gets every
field right but the last (Idevise), which is always empty here.

The order of the lines is the order of `entries`: the caller gives them in
chronological order with continuous numbers (`EntryGenerator` does); the
writer streams and never sorts, so that a million lines cost no memory.

Fields are cleaned, not refused: a tab, `|`, CR, LF or any control character
becomes a space, runs of spaces collapse and the ends are stripped, so a
customer named « Dupont | Fils » cannot shift the columns. What cannot be
made right (an entry without journal code or number, a line without account,
a negative amount, an amount with more than two decimals, a line whose debit
and credit are both zero or both set) raises ValueError: a FEC must not be
wrong silently.
"""
from __future__ import annotations

import codecs
import datetime as dt
import unicodedata
from decimal import Decimal
from typing import BinaryIO, Callable, Iterable, Iterator, Optional

from app.accounting.entries import Entry

FEC_COLUMNS = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
    "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
    "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
)
FEC_SEPARATORS = ("\t", "|")
FEC_ENCODINGS = ("utf-8", "iso-8859-15")
FEC_LINE_END = "\r\n"
# Lines joined and encoded together before one write: fewer calls, flat memory.
CHUNK_LINES = 1000

CENT = Decimal("0.01")
ZERO_AMOUNT = "0,00"

# Characters that never stay inside a field of a text export: every control
# character (tab, CR, LF included) and the Unicode line separators.
CONTROL_CHARACTERS = "".join(map(chr, range(32))) + "\x7f\x85\u2028\u2029"

# Punctuation common in French text that NFKD does not bring back to Latin-9.
_PUNCTUATION = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2015": "-", "\u2212": "-", "\u2022": "-",
}
# A transliteration never brings back a separator (« ｜ » → « | », « ； » → « ; »).
_UNSAFE_AFTER_TRANSLITERATION = frozenset(CONTROL_CHARACTERS + "\t|;")
TRANSLITERATE_ERRORS = "passerelle-transliterate"


# Text fields -----------------------------------------------------------------------------

def cleaning_table(forbidden: str) -> dict:
    """A str.translate table turning the control characters and `forbidden`
    into spaces (one C-level pass per field, no regex)."""
    return str.maketrans({char: " " for char in CONTROL_CHARACTERS + forbidden})


def clean_field(value, table: dict) -> str:
    """`value` as one safe field: forbidden characters become spaces, runs
    of spaces collapse, the ends are stripped. None gives ""."""
    if value is None:
        return ""
    text = str(value).translate(table)
    if "  " in text:
        return " ".join(part for part in text.split(" ") if part).strip()
    return text.strip()


FEC_TABLE = cleaning_table("|")


# Encoding --------------------------------------------------------------------------------

def _transliterated(char: str, encoding: str) -> str:
    """`char` brought back to `encoding`: typographic punctuation to ASCII,
    else its NFKD decomposition without combining marks (é → e, ﬁ → fi);
    what is still not encodable, or would become a separator, is « ? »."""
    out = []
    for part in _PUNCTUATION.get(char) or unicodedata.normalize("NFKD", char):
        if unicodedata.combining(part):
            continue
        if part in _UNSAFE_AFTER_TRANSLITERATION:
            out.append("?")
            continue
        try:
            part.encode(encoding)
        except UnicodeEncodeError:
            out.append("?")
        else:
            out.append(part)
    return "".join(out)


def _transliterate_errors(error: UnicodeError):
    if not isinstance(error, UnicodeEncodeError):
        raise error
    failed = error.object[error.start:error.end]
    return "".join(_transliterated(char, error.encoding) for char in failed), error.end


codecs.register_error(TRANSLITERATE_ERRORS, _transliterate_errors)


def check_encoding(encoding: str, allowed: tuple) -> str:
    """The encoding's canonical name when it is one of `allowed`, else ValueError."""
    try:
        name = codecs.lookup(encoding).name
    except (LookupError, TypeError):
        name = None
    allowed_names = {codecs.lookup(item).name: item for item in allowed}
    if name not in allowed_names:
        raise ValueError(f"Encodage « {encoding} » refusé : {', '.join(allowed)} seulement.")
    return allowed_names[name]


def encoder(encoding: str) -> Callable[[str], bytes]:
    """A function str → bytes for `encoding`: NFC first (a decomposed « é »
    becomes one character), then ISO-8859-15 transliterates what it lacks
    (`_transliterated`). Never a BOM."""
    normalize = unicodedata.normalize
    if codecs.lookup(encoding).name == "utf-8":
        return lambda text: normalize("NFC", text).encode("utf-8")
    return lambda text: normalize("NFC", text).encode(encoding, TRANSLITERATE_ERRORS)


def stream_lines(lines: Iterable[str], out: BinaryIO,
                 encode: Callable[[str], bytes]) -> int:
    """Writes `lines` to `out` by chunks of CHUNK_LINES; returns how many."""
    written = 0
    chunk: list = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= CHUNK_LINES:
            out.write(encode("".join(chunk)))
            written += len(chunk)
            chunk.clear()
    if chunk:
        out.write(encode("".join(chunk)))
        written += len(chunk)
    return written


# Values ----------------------------------------------------------------------------------

def format_amount(value: Decimal) -> str:
    """1234.5 → « 1234,50 »: decimal comma, two decimals, no thousands
    separator, « 0,00 » for zero. ValueError for a negative amount or one with
    more than two decimals (never rounded silently)."""
    if not value:
        return ZERO_AMOUNT
    text = str(value)
    if len(text) < 4 or text[-3] != "." or "E" in text:
        exact = Decimal(value).quantize(CENT)
        if exact != value:
            raise ValueError(f"Montant {value} : deux décimales au plus.")
        text = f"{exact:.2f}"
    if text[0] == "-":
        raise ValueError(f"Montant négatif {value} : le débit et le crédit sont positifs.")
    return text.replace(".", ",")


def date_formatter(pattern: str) -> Callable[[dt.date], str]:
    """A cached formatter of dates: « %Y%m%d » (FEC) or « %d%m%Y » (Isacompta)
    without strftime, computed once per distinct date."""
    cache: dict = {}
    if pattern == "%Y%m%d":
        def build(day):
            return f"{day.year:04d}{day.month:02d}{day.day:02d}"
    elif pattern == "%d%m%Y":
        def build(day):
            return f"{day.day:02d}{day.month:02d}{day.year:04d}"
    else:
        raise ValueError(f"Unknown date pattern {pattern!r}")

    def formatted(day) -> str:
        text = cache.get(day)
        if text is None:
            if not isinstance(day, dt.date):
                raise ValueError(f"Date attendue, reçu « {day!r} ».")
            text = cache[day] = build(day)
        return text

    return formatted


def check_sides(debit: Decimal, credit: Decimal) -> None:
    """Exactly one of debit / credit is non-zero on a line."""
    if bool(debit) == bool(credit):
        raise ValueError("exactement un montant au débit ou au crédit "
                         f"(débit {debit}, crédit {credit}).")


# FEC -------------------------------------------------------------------------------------

def fec_filename(siren: str, closing_date: dt.date) -> str:
    """`<SIREN>FEC<AAAAMMJJ>.txt`, the name the administration expects, with
    the closing date of the fiscal year. Spaces in the SIREN are ignored and
    a SIRET gives its SIREN (first 9 digits); anything else is ValueError."""
    digits = "".join((siren or "").split())
    if len(digits) == 14 and digits.isascii() and digits.isdigit():
        digits = digits[:9]
    if len(digits) != 9 or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"SIREN « {siren} » invalide : 9 chiffres attendus.")
    return f"{digits}FEC{date_formatter('%Y%m%d')(closing_date)}.txt"


def _check_separator(separator: str) -> str:
    if separator not in FEC_SEPARATORS:
        raise ValueError(f"Séparateur {separator!r} refusé : tabulation ou « | » seulement.")
    return separator


class _FecFormatter:
    """Formats entries as FEC lines, with caches for what repeats (dates,
    journals, accounts and their labels, auxiliary accounts): a million lines use a few
    hundred distinct accounts and dates."""

    def __init__(self, separator: str, valid_date: dt.date):
        self.sep = _check_separator(separator)
        self.table = FEC_TABLE
        self.date = date_formatter("%Y%m%d")
        self.journals: dict = {}
        self.accounts: dict = {}
        self.auxiliaries: dict = {}
        self.tail = f"{self.sep}{self.date(valid_date)}{self.sep}{self.sep}{FEC_LINE_END}"
        self.header = self.sep.join(FEC_COLUMNS) + FEC_LINE_END

    def clean(self, value) -> str:
        return clean_field(value, self.table)

    def journal(self, code: str, label: str) -> tuple:
        """(JournalCode, JournalLib), JournalLib falling back on the code."""
        key = (code, label)
        found = self.journals.get(key)
        if found is None:
            journal = self.clean(code)
            found = self.journals[key] = (journal, self.clean(label) or journal)
        return found

    def account(self, number: str, label: str) -> str:
        """« CompteNum<sep>CompteLib », CompteLib falling back on the number."""
        key = (number, label)
        found = self.accounts.get(key)
        if found is None:
            account = self.clean(number)
            if not account:
                raise ValueError("aucun numéro de compte.")
            found = self.accounts[key] = f"{account}{self.sep}{self.clean(label) or account}"
        return found

    def auxiliary(self, code: str, label: str) -> str:
        """« CompAuxNum<sep>CompAuxLib », both empty on a general line."""
        key = (code, label)
        found = self.auxiliaries.get(key)
        if found is None:
            aux = self.clean(code)
            found = self.auxiliaries[key] = (
                f"{aux}{self.sep}{self.clean(label) or aux}" if aux else self.sep)
        return found

    def lettering(self, code: str, date: Optional[dt.date]) -> str:
        """« EcritureLet<sep>DateLet », both empty on a line not lettered.
        Not cached: there are about as many codes as invoices."""
        letter = self.clean(code)
        if not letter:
            return self.sep
        if date is None:
            raise ValueError(f"lettrage {letter} sans date de lettrage.")
        return f"{letter}{self.sep}{self.date(date)}"

    def entry_lines(self, entry: Entry) -> list:
        """The FEC lines of one entry."""
        sep, clean = self.sep, self.clean
        journal, journal_label = self.journal(entry.journal_code, entry.journal_label)
        number = clean(entry.number)
        if not journal or not number:
            raise ValueError(f"Écriture « {entry.number} » ({entry.piece_ref}) : code journal "
                             "et numéro d'écriture obligatoires.")
        date = self.date(entry.date)
        piece = clean(entry.piece_ref) or number
        piece_date = self.date(entry.piece_date) if entry.piece_date else date
        raw_label = entry.label
        entry_label = clean(raw_label) or piece
        head = f"{journal}{sep}{journal_label}{sep}{number}{sep}{date}{sep}"
        middle = f"{sep}{piece}{sep}{piece_date}{sep}"
        account, auxiliary, lettering = self.account, self.auxiliary, self.lettering
        tail = self.tail
        lines = []
        position = 0
        try:
            for position, line in enumerate(entry.lines, start=1):
                debit, credit = line.debit, line.credit
                if bool(debit) == bool(credit):
                    check_sides(debit, credit)
                label = entry_label if line.label == raw_label else (clean(line.label)
                                                                     or entry_label)
                lettered = lettering(line.lettering, line.lettering_date) if line.lettering \
                    else sep
                lines.append(
                    f"{head}{account(line.account, line.account_label)}{sep}"
                    f"{auxiliary(line.auxiliary, line.auxiliary_label)}{middle}{label}{sep}"
                    f"{format_amount(debit)}{sep}{format_amount(credit)}{sep}{lettered}{tail}")
        except ValueError as error:
            raise ValueError(f"Écriture {number}, ligne {position} : {error}") from error
        return lines


def fec_lines(entries: Iterable[Entry], *, valid_date: dt.date,
              separator: str = "\t") -> Iterator[str]:
    """The header, then one line per entry line, each ending with CRLF.
    `valid_date` is the ValidDate of every line (the day of the export, when
    the entries are validated). ValueError for a separator other than a tab
    or « | », and for an entry that cannot be written right."""
    formatter = _FecFormatter(separator, valid_date)
    yield formatter.header
    for entry in entries:
        yield from formatter.entry_lines(entry)


def write_fec(entries: Iterable[Entry], out: BinaryIO, *, valid_date: dt.date,
              separator: str = "\t", encoding: str = "utf-8") -> int:
    """Streams the FEC of `entries` to the binary file `out` (chunks of lines,
    memory flat); returns the number of entry lines written (header excluded).
    `encoding` is « utf-8 » or « iso-8859-15 » (characters Latin-9 lacks are
    transliterated, « ? » when impossible), never with a BOM."""
    encode = encoder(check_encoding(encoding, FEC_ENCODINGS))
    formatter = _FecFormatter(separator, valid_date)
    out.write(encode(formatter.header))

    def lines():
        for entry in entries:
            yield from formatter.entry_lines(entry)

    return stream_lines(lines(), out, encode)


__all__ = ["FEC_COLUMNS", "FEC_ENCODINGS", "FEC_LINE_END", "FEC_SEPARATORS", "fec_filename",
           "fec_lines", "format_amount", "write_fec"]
