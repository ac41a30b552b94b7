"""The FEC, Isacompta and XLSX writers (app/accounting/fec.py, isacompta.py,
spreadsheet.py) on entries built by hand, and the independent FEC checker
(tests/fec_checker.py) proven to catch each rule it enforces. Pure: no app,
no database."""
import datetime as dt
import io
from dataclasses import replace
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from app.accounting.entries import Entry, EntryLine
from app.accounting.fec import FEC_COLUMNS, fec_filename, fec_lines, format_amount, write_fec
from app.accounting.isacompta import isacompta_filename, isacompta_lines, write_isacompta
from app.accounting.spreadsheet import HEADERS, neutralise, write_entries_xlsx
from fec_checker import EXPECTED_COLUMNS, check_fec

VALID = dt.date(2024, 4, 2)
DAY = dt.date(2024, 3, 5)


def invoice_entry(number="VT000001", label="Facture F-001 Dupont SARL", date=DAY,
                  customer_label=None, lettering="", lettering_date=None, piece="F-001"):
    """A balanced invoice: customer 120 debit, sales 100 and VAT 20 credit."""
    return Entry(
        journal_code="VT", journal_label="Journal des ventes", number=number, date=date,
        piece_ref=piece, piece_date=date, label=label,
        lines=(
            EntryLine("41100000", "Clients", customer_label or label, D("120.00"), D("0.00"),
                      auxiliary="CDUPONT", auxiliary_label="Dupont SARL",
                      provenance="Journaux : compte client collectif des journaux",
                      lettering=lettering, lettering_date=lettering_date),
            EntryLine("70600000", "Prestations de services", label, D("0.00"), D("100.00"),
                      provenance="Taux de TVA : compte de vente des prestations"),
            EntryLine("44571200", "TVA collectée 20 %", label, D("0.00"), D("20.00")),
        ),
        source="document:1")


def payment_entry(number="BQ000001", date=dt.date(2024, 3, 20), lettering="AAB"):
    label = "Règlement Virement Dupont SARL"
    return Entry(
        journal_code="BQ", journal_label="Journal de banque", number=number, date=date,
        piece_ref="VIR-77", piece_date=date, label=label,
        lines=(
            EntryLine("51200000", "Banques", label, D("120.00"), D("0.00")),
            EntryLine("41100000", "Clients", label, D("0.00"), D("120.00"), auxiliary="CDUPONT",
                      auxiliary_label="Dupont SARL", lettering=lettering,
                      lettering_date=date if lettering else None),
        ),
        source="payment:1")


def fec_bytes(entries, **options):
    out = io.BytesIO()
    options.setdefault("valid_date", VALID)
    count = write_fec(entries, out, **options)
    return out.getvalue(), count


def rows_of(data, separator="\t", encoding="utf-8"):
    text = data.decode(encoding)
    return [line.split(separator) for line in text.split("\r\n")[:-1]]


# FEC ---------------------------------------------------------------------------------------

def test_fec_header_is_the_18_columns_in_order_and_lines_end_with_crlf():
    lines = list(fec_lines([invoice_entry()], valid_date=VALID))
    assert list(FEC_COLUMNS) == EXPECTED_COLUMNS
    assert lines[0] == "\t".join(EXPECTED_COLUMNS) + "\r\n"
    assert len(lines) == 4
    assert all(line.endswith("\r\n") and line.count("\r") == 1 for line in lines)
    assert all(line.count("\t") == 17 for line in lines)


def test_fec_line_values_dates_amounts_and_valid_date():
    data, count = fec_bytes([invoice_entry()])
    assert count == 3
    header, customer, sales, vat = rows_of(data)
    assert dict(zip(header, customer)) == {
        "JournalCode": "VT", "JournalLib": "Journal des ventes", "EcritureNum": "VT000001",
        "EcritureDate": "20240305", "CompteNum": "41100000", "CompteLib": "Clients",
        "CompAuxNum": "CDUPONT", "CompAuxLib": "Dupont SARL", "PieceRef": "F-001",
        "PieceDate": "20240305", "EcritureLib": "Facture F-001 Dupont SARL",
        "Debit": "120,00", "Credit": "0,00", "EcritureLet": "", "DateLet": "",
        "ValidDate": "20240402", "Montantdevise": "", "Idevise": "",
    }
    assert sales[11:13] == ["0,00", "100,00"]
    assert vat[4:6] == ["44571200", "TVA collectée 20 %"]
    check_fec(data)


def test_fec_auxiliary_columns_only_on_the_customer_line():
    _, customer, sales, vat = rows_of(fec_bytes([invoice_entry()])[0])
    assert customer[6:8] == ["CDUPONT", "Dupont SARL"]
    assert sales[6:8] == ["", ""] and vat[6:8] == ["", ""]


def test_fec_lettering_columns_only_on_lettered_lines():
    entries = [invoice_entry(lettering="AAB", lettering_date=dt.date(2024, 3, 20)),
               payment_entry()]
    data, _ = fec_bytes(entries)
    rows = rows_of(data)[1:]
    assert [(row[4], row[13], row[14]) for row in rows] == [
        ("41100000", "AAB", "20240320"), ("70600000", "", ""), ("44571200", "", ""),
        ("51200000", "", ""), ("41100000", "AAB", "20240320")]
    check_fec(data)


def test_fec_lettering_without_date_is_refused():
    with pytest.raises(ValueError, match="sans date de lettrage"):
        fec_bytes([invoice_entry(lettering="AAB")])


def test_fec_pipe_separator():
    data, _ = fec_bytes([invoice_entry()], separator="|")
    text = data.decode()
    assert text.startswith("JournalCode|JournalLib|EcritureNum|")
    assert "\t" not in text
    assert all(line.count("|") == 17 for line in text.split("\r\n")[:-1])
    assert len(check_fec(data)) == 3
    assert len(check_fec(data, separator="|")) == 3


@pytest.mark.parametrize("separator", [";", ",", "", "\t|"])
def test_fec_other_separators_are_refused(separator):
    with pytest.raises(ValueError, match="Séparateur"):
        list(fec_lines([invoice_entry()], valid_date=VALID, separator=separator))
    with pytest.raises(ValueError, match="Séparateur"):
        fec_bytes([invoice_entry()], separator=separator)


@pytest.mark.parametrize("separator", ["\t", "|"])
def test_fec_labels_with_tab_pipe_semicolon_and_line_breaks_are_cleaned(separator):
    dirty = "  Facture\tF-001 |  Dupont;\r\nSARL\n "
    entry = invoice_entry(label=dirty, customer_label="Dupont\r\n| SARL")
    data, _ = fec_bytes([entry], separator=separator)
    rows = rows_of(data, separator)
    assert all(len(row) == 18 for row in rows)
    assert rows[1][10] == "Dupont SARL"
    assert rows[2][10] == "Facture F-001 Dupont; SARL"
    check_fec(data)


def test_fec_empty_labels_fall_back():
    entry = Entry(
        journal_code="VT", journal_label="", number="VT000007", date=DAY, piece_ref=" ",
        piece_date=None, label="\t", lines=(
            EntryLine("41100000", "", "", D("5.00"), D("0"), auxiliary="C1"),
            EntryLine("70600000", "  ", "Vente", D("0"), D("5"))))
    data, _ = fec_bytes([entry])
    _, first, second = rows_of(data)
    assert first[1] == "VT"                        # JournalLib → JournalCode
    assert first[5] == "41100000"                  # CompteLib → CompteNum
    assert first[6:8] == ["C1", "C1"]              # CompAuxLib → CompAuxNum
    assert first[8] == "VT000007"                  # PieceRef → EcritureNum
    assert first[9] == "20240305"                  # PieceDate → EcritureDate
    assert first[10] == "VT000007"                 # EcritureLib → entry label → PieceRef
    assert second[10] == "Vente" and second[11:13] == ["0,00", "5,00"]
    check_fec(data)


@pytest.mark.parametrize("amount, text", [
    (D("0"), "0,00"), (D("0.00"), "0,00"), (D("5"), "5,00"), (D("1234567.5"), "1234567,50"),
    (D("0.01"), "0,01"), (D("1E+3"), "1000,00"), (D("12.30"), "12,30")])
def test_amounts_have_a_decimal_comma_two_decimals_and_no_thousands_separator(amount, text):
    assert format_amount(amount) == text


@pytest.mark.parametrize("amount", [D("-1.00"), D("0.001"), D("2.345")])
def test_negative_amounts_or_more_than_two_decimals_are_refused(amount):
    with pytest.raises(ValueError):
        format_amount(amount)


def test_a_line_with_both_or_no_side_is_refused():
    both = replace(invoice_entry(), lines=(EntryLine("411", "C", "x", D("1"), D("1")),))
    none = replace(invoice_entry(), lines=(EntryLine("411", "C", "x", D("0"), D("0")),))
    for broken in (both, none):
        with pytest.raises(ValueError, match="ligne 1"):
            fec_bytes([broken])
        with pytest.raises(ValueError, match="ligne 1"):
            list(isacompta_lines([broken]))


def test_fec_iso_8859_15_keeps_accents_and_euro_and_transliterates_the_rest():
    label = "Crème brûlée 5 € — l’œuvre de Łukasz ﬁn ǅ"
    data, _ = fec_bytes([invoice_entry(label=label)], encoding="iso-8859-15")
    assert not data.startswith(b"\xef\xbb\xbf")
    text = data.decode("iso-8859-15")
    assert "Crème brûlée 5 € - l'œuvre de ?ukasz fin Dz" in text
    assert "€".encode("iso-8859-15") == b"\xa4" and b"\xa4" in data
    assert "è".encode("iso-8859-15") in data
    check_fec(data, encoding="iso-8859-15")


def test_fec_transliteration_never_brings_back_a_separator():
    label = "A｜B；C"                     # full-width | and ; decompose to the separators
    data, _ = fec_bytes([invoice_entry(label=label)], separator="|", encoding="iso-8859-15")
    rows = rows_of(data, "|", "iso-8859-15")
    assert rows[2][10] == "A?B?C"
    check_fec(data, encoding="iso-8859-15")


def test_fec_utf_8_without_bom_and_decomposed_accents_are_composed():
    data, _ = fec_bytes([invoice_entry(label="Cre\u0300me")], encoding="UTF-8")
    assert data.startswith(b"JournalCode")
    assert "Crème".encode() in data


def test_fec_other_encodings_are_refused():
    with pytest.raises(ValueError, match="Encodage"):
        fec_bytes([invoice_entry()], encoding="cp1252")


def test_fec_streams_in_chunks_and_counts_lines():
    class Recorder(io.BytesIO):
        writes = 0

        def write(self, data):
            Recorder.writes += 1
            return super().write(data)

    entries = [invoice_entry(number=f"VT{n:06d}", piece=f"F-{n}") for n in range(1, 1001)]
    out = Recorder()
    assert write_fec(entries, out, valid_date=VALID) == 3000
    assert Recorder.writes == 1 + 3                # header, then chunks of 1000 lines
    assert len(check_fec(out.getvalue())) == 3000


def test_fec_filename():
    assert fec_filename("123456789", dt.date(2024, 12, 31)) == "123456789FEC20241231.txt"
    assert fec_filename("123 456 789", dt.date(2025, 6, 30)) == "123456789FEC20250630.txt"
    assert fec_filename("12345678900012", dt.date(2024, 12, 31)) == "123456789FEC20241231.txt"
    for wrong in ("", "12345678", "12345678A", None):
        with pytest.raises(ValueError, match="SIREN"):
            fec_filename(wrong, dt.date(2024, 12, 31))


# Isacompta --------------------------------------------------------------------------------

def isacompta_rows(entries, encoding="iso-8859-15"):
    out = io.BytesIO()
    count = write_isacompta(entries, out, encoding=encoding)
    text = out.getvalue().decode(encoding)
    assert text.endswith("\n") and "\r" not in text
    rows = [line.split(";") for line in text.split("\n")[:-1]]
    assert len(rows) == count
    return rows


def test_isacompta_13_columns_no_header():
    rows = isacompta_rows([invoice_entry(lettering="AAB", lettering_date=DAY), payment_entry()])
    assert len(rows) == 5 and all(len(row) == 13 for row in rows)
    assert rows[0] == ["VT000001", "Facture F-001 Dupont SARL", "05032024",
                       "Facture F-001 Dupont SARL", "CDUPONT", "Dupont SARL", "F-001",
                       "120,00", "0,00", "120,00", "D", "AAB", "VT"]
    assert rows[1] == ["VT000001", "Facture F-001 Dupont SARL", "05032024",
                       "Facture F-001 Dupont SARL", "70600000", "Prestations de services",
                       "F-001", "0,00", "100,00", "100,00", "C", "", "VT"]
    assert rows[3][4:6] == ["51200000", "Banques"] and rows[3][10] == "D"
    assert rows[4][4] == "CDUPONT" and rows[4][7:12] == ["0,00", "120,00", "120,00", "C", "AAB"]
    assert rows[4][12] == "BQ"


def test_isacompta_line_label_in_column_4_and_entry_label_in_column_2():
    rows = isacompta_rows([invoice_entry(customer_label="Client Dupont")])
    assert rows[0][1] == "Facture F-001 Dupont SARL"
    assert rows[0][3] == "Client Dupont"


def test_isacompta_fields_are_cleaned_of_semicolons_and_line_breaks():
    rows = isacompta_rows([invoice_entry(label="Facture; F-001\r\nDupont |x")])
    assert all(len(row) == 13 for row in rows)
    assert rows[1][1] == "Facture F-001 Dupont |x"


def test_isacompta_encoding_transliterates():
    out = io.BytesIO()
    write_isacompta([invoice_entry(label="Crème — 5 € Ł")], out)
    assert "Crème - 5 € ?".encode("iso-8859-15") in out.getvalue()
    assert len(isacompta_rows([invoice_entry(label="Ł")], encoding="utf-8")) == 3
    with pytest.raises(ValueError):
        write_isacompta([invoice_entry()], io.BytesIO(), encoding="ascii")


def test_isacompta_filename():
    assert isacompta_filename("DOS-042", dt.date(2024, 1, 1), dt.date(2024, 3, 31)) == \
        "DOS-042_isacompta_20240101_20240331.txt"
    assert isacompta_filename("Dossier é/../x y", dt.date(2024, 1, 1), dt.date(2024, 1, 31)) == \
        "Dossierexy_isacompta_20240101_20240131.txt"
    assert isacompta_filename("", dt.date(2024, 1, 1), dt.date(2024, 1, 31)).startswith(
        "dossier_isacompta_")


# XLSX -------------------------------------------------------------------------------------

def read_xlsx(entries, **options):
    out = io.BytesIO()
    count = write_entries_xlsx(entries, out, **options)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    return count, sheet


def test_xlsx_header_values_and_formats():
    count, sheet = read_xlsx([invoice_entry(lettering="AAB", lettering_date=DAY)])
    assert count == 3
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == list(HEADERS)
    assert HEADERS[0] == "Journal" and HEADERS[-1] == "Provenance" and len(HEADERS) == 16
    assert all(cell.font.bold for cell in rows[0])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["K"].width >= 30
    customer = [cell.value for cell in rows[1]]
    assert customer[:3] == ["VT", "Journal des ventes", "VT000001"]
    assert customer[3] == dt.datetime(2024, 3, 5) and rows[1][3].number_format == "DD/MM/YYYY"
    assert customer[4:9] == ["41100000", "Clients", "CDUPONT", "Dupont SARL", "F-001"]
    assert customer[11] == 120 and rows[1][11].number_format == "#,##0.00"
    assert rows[1][11].data_type == "n"
    assert customer[12] is None                     # empty side is a blank cell
    assert customer[13] == "AAB" and customer[14] == dt.datetime(2024, 3, 5)
    assert customer[15] == "Journaux : compte client collectif des journaux"
    sales = [cell.value for cell in rows[2]]
    assert sales[6] is None and sales[7] is None and sales[12] == 100


def test_xlsx_formula_like_texts_are_neutralised():
    entry = invoice_entry(label="=1+1", customer_label="+33 6 12 34 56 78", piece="-x")
    entry = replace(entry, journal_label="@SUM(A1)", number="\tVT1")
    _, sheet = read_xlsx([entry])
    rows = list(sheet.iter_rows(min_row=2))
    assert rows[0][10].value == "'+33 6 12 34 56 78"
    assert rows[1][10].value == "'=1+1"
    assert rows[0][8].value == "'-x"
    assert rows[0][1].value == "'@SUM(A1)"
    assert rows[0][2].value == "'\tVT1"
    assert all(row[10].data_type == "s" for row in rows)


def test_neutralise():
    for text in ("=1+1", "+33", "-x", "@x", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    for text in ("Dupont", "1+1", " =1", "", None, 12):
        assert neutralise(text) == text


def test_xlsx_translated_headers_and_xml_illegal_characters():
    english = ["Journal", "Journal label", "Entry", "Date", "Account", "Account label",
               "Auxiliary", "Auxiliary label", "Piece", "Piece date", "Label", "Debit",
               "Credit", "Lettering", "Lettering date", "Provenance"]
    _, sheet = read_xlsx([invoice_entry(label="Bell\x07 label")], headers=english)
    assert [cell.value for cell in next(sheet.iter_rows())] == english
    assert sheet.cell(row=3, column=11).value == "Bell  label"
    with pytest.raises(ValueError):
        write_entries_xlsx([], io.BytesIO(), headers=["Journal"])


# The checker rejects each violation ---------------------------------------------------------

def good_fec() -> str:
    data, _ = fec_bytes([invoice_entry(), payment_entry(lettering=""),
                         invoice_entry(number="VT000002", date=dt.date(2024, 3, 21),
                                       piece="F-002")])
    return data.decode()


def lines_of(text):
    return text.split("\r\n")[:-1]


def rebuild(lines):
    return ("\r\n".join(lines) + "\r\n").encode()


def with_field(text, line, column, value):
    lines = lines_of(text)
    fields = lines[line].split("\t")
    fields[EXPECTED_COLUMNS.index(column)] = value
    lines[line] = "\t".join(fields)
    return rebuild(lines)


def test_checker_accepts_a_good_file():
    rows = check_fec(good_fec().encode())
    assert len(rows) == 8
    assert rows[0]["Debit"] == D("120.00") and rows[0]["Credit"] == D("0")


def field_change(line, column, value):
    return lambda text: with_field(text, line, column, value)


def replacing(old, new):
    return lambda text: text.replace(old, new)


# rule → (how to break the good file, what the checker must say). File lines: 1 header,
# 2-4 VT000001, 5-6 BQ000001, 7-9 VT000002.
BROKEN = {
    "bad column order": (replacing("JournalLib\tEcritureNum", "EcritureNum\tJournalLib"),
                         r"line 1: column 2 is 'EcritureNum', expected 'JournalLib'"),
    "missing column": (replacing("\tIdevise", ""), r"line 1: 17 columns, expected 18"),
    "renamed column": (replacing("Montantdevise", "MontantDevise"), r"column 17"),
    "field count": (lambda t: rebuild([lines_of(t)[0]]
                                      + [line + "\tx" for line in lines_of(t)[1:]]),
                    r"line 2: 19 fields"),
    "CR inside": (replacing("Dupont SARL", "Dupont\rSARL"), r"line 2: carriage return"),
    "LF inside": (replacing("Dupont SARL", "Dupont\nSARL"), r"line 2: line feed"),
    "no final line ending": (lambda t: t[:-2], r"last line does not end"),
    "BOM": (lambda t: "\ufeff" + t, r"byte order mark"),
    "date format": (field_change(2, "PieceDate", "05/03/2024"), r"line 3: PieceDate .* AAAAMMJJ"),
    "impossible date": (field_change(1, "ValidDate", "20240230"), r"line 2: ValidDate .* valid"),
    "bad lettering date": (lambda t: with_field(with_field(t, 1, "EcritureLet", "AAB").decode(),
                                                1, "DateLet", "2024032"),
                           r"line 2: DateLet '2024032' is not a date"),
    "amount with a dot": (field_change(1, "Debit", "120.00"), r"line 2: Debit '120.00'"),
    "amount with one decimal": (field_change(1, "Debit", "120,0"), r"line 2: Debit"),
    "amount with thousands": (field_change(1, "Debit", "1 120,00"), r"line 2: Debit"),
    "negative amount": (field_change(3, "Credit", "-20,00"), r"line 4: Credit"),
    "both sides": (field_change(2, "Debit", "100,00"), r"line 3: exactly one of Debit"),
    "no side": (lambda t: with_field(with_field(t, 3, "Credit", "0,00").decode(), 3, "Debit",
                                     "0,00"), r"line 4: exactly one of Debit"),
    "unbalanced entry": (field_change(3, "Credit", "20,01"),
                         r"line 2: entry VT000001 does not balance: debit 120.00, credit 120.01"),
    "shared journal": (field_change(2, "JournalCode", "VE"), r"line 3: JournalCode 'VE' differs"),
    "shared date": (field_change(2, "EcritureDate", "20240306"), r"line 3: EcritureDate"),
    "shared piece": (field_change(2, "PieceRef", "F-002"), r"line 3: PieceRef 'F-002' differs"),
    "shared piece date": (field_change(2, "PieceDate", "20240306"), r"line 3: PieceDate"),
    "number reused": (replacing("VT000002", "VT000001"),
                      r"line 7: EcritureNum VT000001 already used .*line 2.*not contiguous"),
    "number not prefixed": (replacing("BQ000001", "XX000001"),
                            r"line 5: EcritureNum XX000001 does not start with .* BQ"),
    "number not continuous": (replacing("VT000002", "VT000003"),
                              r"line 7: EcritureNum VT000003 follows number 1 .* not continuous"),
    "number not numeric": (replacing("VT000002", "VT00000B"), r"line 7: .*not a number"),
    "not chronological": (replacing("\t20240321\t", "\t20240301\t"),
                          r"line 7: EcritureDate 20240301 is before 20240320"),
    "aux without label": (field_change(1, "CompAuxLib", ""), r"line 2: CompAuxNum .* both"),
    "aux label without aux": (field_change(2, "CompAuxLib", "Dupont SARL"), r"line 3: CompAuxNum"),
    "empty JournalLib": (field_change(1, "JournalLib", ""), r"line 2: JournalLib is empty"),
    "empty CompteLib": (field_change(1, "CompteLib", " "), r"line 2: CompteLib is empty"),
    "empty PieceRef": (field_change(1, "PieceRef", ""), r"line 2: PieceRef is empty"),
    "empty EcritureLib": (field_change(1, "EcritureLib", ""), r"line 2: EcritureLib is empty"),
    "empty ValidDate": (field_change(1, "ValidDate", ""), r"line 2: ValidDate is empty"),
    "lettering without date": (field_change(1, "EcritureLet", "AAB"), r"line 2: EcritureLet"),
    "lettering date without code": (field_change(1, "DateLet", "20240320"), r"line 2: EcritureLet"),
    "account not digits": (field_change(2, "CompteNum", "706ABC"), r"line 3: CompteNum '706ABC'"),
    "currency amount without currency": (field_change(2, "Montantdevise", "1,00"),
                                         r"line 3: Montantdevise"),
}


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_checker_rejects(rule):
    breaking, message = BROKEN[rule]
    broken = breaking(good_fec())
    data = broken if isinstance(broken, bytes) else broken.encode()
    assert data != good_fec().encode()
    with pytest.raises(AssertionError, match=message):
        check_fec(data)


def test_checker_reads_iso_8859_15_and_refuses_wrong_encoding():
    data, _ = fec_bytes([invoice_entry(label="Crème 5 €")], encoding="iso-8859-15")
    assert check_fec(data, encoding="iso-8859-15")[0]["EcritureLib"] == "Crème 5 €"
    with pytest.raises(AssertionError, match="not utf-8"):
        check_fec(data)
