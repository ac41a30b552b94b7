"""The Isacompta (Agiris) import file of a list of entries (DESIGN.md §4), in
pure Python.

The layout is the one known from open-source exporters (Dolibarr's « Agiris
Isacompta » export): it has not been checked against a real Isacompta import
yet, and must be before a firm relies on it. One line per entry line, `;`
separated, no header, 13 columns:

 1. entry number (EcritureNum);
 2. label of the entry;
 3. date of the entry, JJMMAAAA;
 4. label of the line;
 5. account: the auxiliary account when the line has one, else the general
    account;
 6. label of that account (the customer's name on an auxiliary line);
 7. piece reference;
 8. debit, 9. credit, 10. |debit − credit|: decimal comma, two decimals, no
    thousands separator, « 0,00 » on the empty side;
 11. « D » or « C »;
 12. lettering code (empty when not lettered);
 13. journal code.

Line ending LF, as the known exporter writes it (a reader splitting on LF
only would otherwise keep a CR in the journal code of the last column).
Encoding ISO-8859-15 by default (Windows software of the « ANSI » era),
characters it lacks transliterated like the FEC's (é stays é, « ’ » → « ' »,
« Ł » → « ? »).

Fields are cleaned like the FEC's: `;`, CR, LF and control characters become
spaces, runs of spaces collapse, ends stripped. Empty labels fall back like
the FEC's (account label → account number, line label → entry label → piece).
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from typing import BinaryIO, Iterable, Iterator

from app.accounting.entries import Entry
from app.accounting.fec import (
    check_encoding, check_sides, clean_field, cleaning_table, date_formatter, encoder,
    format_amount, stream_lines,
)

ISACOMPTA_SEPARATOR = ";"
ISACOMPTA_LINE_END = "\n"
ISACOMPTA_COLUMNS = 13
ISACOMPTA_ENCODINGS = ("iso-8859-15", "utf-8")
ISACOMPTA_TABLE = cleaning_table(ISACOMPTA_SEPARATOR)
DEBIT, CREDIT = "D", "C"
DEFAULT_DOSSIER = "dossier"


def _clean(value) -> str:
    return clean_field(value, ISACOMPTA_TABLE)


def isacompta_filename(dossier_code: str, start: dt.date, end: dt.date) -> str:
    """`<DOSSIER>_isacompta_<AAAAMMJJ>_<AAAAMMJJ>.txt` for the period
    exported. The dossier code keeps only ASCII letters, digits, « - » and
    « _ » (accents removed, anything else dropped), so that the name is safe
    on every file system and in a Content-Disposition header."""
    decomposed = unicodedata.normalize("NFKD", dossier_code or "")
    safe = "".join(char for char in decomposed
                   if char.isascii() and (char.isalnum() or char in "-_"))
    safe = safe.strip("-_") or DEFAULT_DOSSIER
    day = date_formatter("%Y%m%d")
    return f"{safe}_isacompta_{day(start)}_{day(end)}.txt"


def isacompta_lines(entries: Iterable[Entry]) -> Iterator[str]:
    """One line (ending with LF) per entry line, 13 columns `;`-separated.
    ValueError for an entry that cannot be written right (no journal code, no
    number, no account, negative amount, both or no side set)."""
    sep = ISACOMPTA_SEPARATOR
    day = date_formatter("%d%m%Y")
    accounts: dict = {}
    for entry in entries:
        journal = _clean(entry.journal_code)
        number = _clean(entry.number)
        if not journal or not number:
            raise ValueError(f"Écriture « {entry.number} » ({entry.piece_ref}) : code journal "
                             "et numéro d'écriture obligatoires.")
        piece = _clean(entry.piece_ref) or number
        raw_label = entry.label
        entry_label = _clean(raw_label) or piece
        head = f"{number}{sep}{entry_label}{sep}{day(entry.date)}{sep}"
        position = 0
        try:
            for position, line in enumerate(entry.lines, start=1):
                debit, credit = line.debit, line.credit
                check_sides(debit, credit)
                key = (line.auxiliary, line.auxiliary_label, line.account, line.account_label)
                account = accounts.get(key)
                if account is None:
                    account = accounts[key] = _account_columns(line)
                label = entry_label if line.label == raw_label else (_clean(line.label)
                                                                     or entry_label)
                side = DEBIT if debit else CREDIT
                yield (f"{head}{label}{sep}{account}{sep}{piece}{sep}"
                       f"{format_amount(debit)}{sep}{format_amount(credit)}{sep}"
                       f"{format_amount(abs(debit - credit))}{sep}{side}{sep}"
                       f"{_clean(line.lettering)}{sep}{journal}{ISACOMPTA_LINE_END}")
        except ValueError as error:
            raise ValueError(f"Écriture {number}, ligne {position} : {error}") from error


def _account_columns(line) -> str:
    """« account;label »: the auxiliary account and the customer's name on a
    third-party line, else the general account and its label."""
    auxiliary = _clean(line.auxiliary)
    if auxiliary:
        return f"{auxiliary}{ISACOMPTA_SEPARATOR}{_clean(line.auxiliary_label) or auxiliary}"
    account = _clean(line.account)
    if not account:
        raise ValueError("aucun numéro de compte.")
    return f"{account}{ISACOMPTA_SEPARATOR}{_clean(line.account_label) or account}"


def write_isacompta(entries: Iterable[Entry], out: BinaryIO, *,
                    encoding: str = "iso-8859-15") -> int:
    """Streams the Isacompta file of `entries` to the binary file `out`
    (chunks of lines, memory flat); returns the number of lines written.
    `encoding` is « iso-8859-15 » (default; transliterated) or « utf-8 »."""
    encode = encoder(check_encoding(encoding, ISACOMPTA_ENCODINGS))
    return stream_lines(isacompta_lines(entries), out, encode)


__all__ = ["ISACOMPTA_COLUMNS", "ISACOMPTA_LINE_END", "isacompta_filename", "isacompta_lines",
           "write_isacompta"]
