"""Golden files of the accounting export: a small fixed set of documents and
payments, turned into entries by `EntryGenerator` and written as FEC, FEC with
VAT split by nature and « Incorporer TVA », Isacompta and XLSX, compared with
tests/golden/ byte for byte (cell values and formats for the XLSX).

The golden files were checked by hand (and the tests below check the same
facts again, in numbers): every entry balances; an invoice's customer debit is
its TTC (less the deposits it deducts); the deposit is reversed on the final
invoice; VAT is rounded per rate on the rate's base; the incorporated accounts
are the sales radical followed by the VAT suffix (706 + 44571200 → 70620000).

Regenerate after an intended change with:
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_entries_golden.py
then read the diff of tests/golden/ before committing it.
"""
import datetime as dt
import io
import json
import os
from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.accounting.entries import (
    CREDIT_NOTE, DEPOSIT, INVOICE, DepositDeduction, DocumentIn, EntryGenerator, Party,
    PaymentIn, SaleLine,
)
from app.accounting.fec import write_fec
from app.accounting.isacompta import write_isacompta
from app.accounting.lettering import SettlementNode, lettering_code, settled_letterings
from app.accounting.resolver import (
    ItemRef, JournalSettings, PaymentModeAccounts, Plan, VatRateAccounts,
)
from app.accounting.spreadsheet import write_entries_xlsx
from app.invoicing.totals import Charge, Line, compute_totals
from fec_checker import check_fec

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
VALID_DATE = dt.date(2024, 4, 5)

# --- The plan: the PCG default, at 8 digits --------------------------------------------------

SETTINGS = JournalSettings(
    account_length=8, sales_journal="VT", customer_account="411000", auxiliary_root="C",
    sales_account="706000", deposit_account="419100", credit_note_account=None,
    bank_journal="BQ", bank_account="512000",
)
RATES = (
    VatRateAccounts(rate=D("20"), label="20 %", goods_vat_account="44571200",
                    services_vat_account="44571201", goods_sales_account="707",
                    services_sales_account="706"),
    VatRateAccounts(rate=D("10"), label="10 %", goods_vat_account="44571100",
                    services_vat_account="44571101", goods_sales_account="707",
                    services_sales_account="706"),
    VatRateAccounts(rate=D("5.5"), label="5,5 %", goods_vat_account="44571055",
                    services_vat_account="44571056", goods_sales_account="707",
                    services_sales_account="706"),
    VatRateAccounts(rate=D("0"), label="0 %", goods_sales_account="707",
                    services_sales_account="706"),
)
MODES = (
    PaymentModeAccounts(label="Virement", account="512000", journal_code="BQ"),
    PaymentModeAccounts(label="Chèque", account="511200", journal_code="CH"),
    PaymentModeAccounts(label="Espèces", account="530000", journal_code="CA"),
)
ACCOUNT_NAMES = {
    "411000": "Clients", "419100": "Clients - avances et acomptes reçus",
    "44571200": "TVA collectée 20 %", "44571201": "TVA collectée 20 % services",
    "44571100": "TVA collectée 10 %", "44571101": "TVA collectée 10 % services",
    "44571055": "TVA collectée 5,5 %", "44571056": "TVA collectée 5,5 % services",
    "511200": "Chèques à encaisser", "512000": "Banques", "530000": "Caisse",
    "701000": "Ventes de produits finis", "706": "Prestations de services",
    "707": "Ventes de marchandises", "708500": "Ports et frais accessoires facturés",
    "709000": "Rabais, remises et ristournes accordés", "706000": "Prestations de services",
}
PLAN = Plan(settings=SETTINGS, vat_rates=RATES, payment_modes=MODES,
            accounts=frozenset(ACCOUNT_NAMES))
# The variant: VAT split by nature, « Incorporer TVA » on sales and deposits, and an
# explicit credit-note account (never incorporated).
PLAN_SPLIT = replace(PLAN, settings=replace(
    SETTINGS, split_vat_by_nature=True, incorporate_vat_article=True,
    incorporate_vat_deposit=True, credit_note_account="709000"))
ACCOUNT_LABELS = {number.ljust(8, "0"): label for number, label in ACCOUNT_NAMES.items()}

# --- The documents -------------------------------------------------------------------------

BAKERY = Party(contact_id=1, name="Boulangerie Éclair & Fils")       # code derived
DUPONT = Party(contact_id=2, name="Dupont SARL", auxiliary_code="CDUPONT")


def article(label, nature, rate, category=None, category_account=None, own=None):
    return ItemRef(kind="article", label=label, nature=nature, vat_rate=D(rate),
                   own_account=own, category_label=category, category_account=category_account)


def free_line(label, nature, rate):
    return ItemRef(kind="free_line", label=label, nature=nature, vat_rate=D(rate))


def charge(label, nature, rate, own):
    return ItemRef(kind="charge", label=label, nature=nature, vat_rate=D(rate), own_account=own)


CROISSANT = article("Croissant", "goods", "5.5", "Viennoiseries", "701000")
CHAUSSON = article("Chausson aux pommes", "goods", "5.5", "Viennoiseries", "701000")
WORKSHOP = article("Atelier pâtisserie", "services", "20", "Ateliers", None)
MOULD = article("Moule à tarte", "goods", "20")
TRAVEL = free_line("Déplacement", "services", "20")
MEAL = free_line("Repas", "goods", "10")
DEPOSIT_LINE = free_line("Acompte 30 % atelier", "services", "20")
DELIVERY = charge("Frais de livraison", "services", "20", "708500")
LOYALTY = charge("Remise fidélité", "services", "20", "709000")


def document(id, kind, number, date, party, lines, charges=(), deposits=()):
    """A DocumentIn whose TTC comes from app.invoicing.totals, as on the
    screens: `lines` are (item, quantity, unit price, discount %), `charges`
    (item, kind, amount)."""
    totals = compute_totals(
        [Line(quantity=D(qty), unit_price_ht=D(price), vat_rate=item.vat_rate,
              discount_pct=D(discount), nature=item.nature)
         for item, qty, price, discount in lines],
        [Charge(kind=kind, vat_rate=item.vat_rate, amount=D(amount))
         for item, kind, amount in charges], multi_vat=True)
    sale_lines = tuple(SaleLine(item=item, amount_ht=ht)
                       for (item, *_), ht in zip(lines, totals.lines_ht, strict=True))
    sale_lines += tuple(SaleLine(item=item, amount_ht=ht, discount=kind == "discount")
                        for (item, kind, _), ht in zip(charges, totals.charges_ht, strict=True))
    return DocumentIn(id=id, kind=kind, number=number, date=date, party=party,
                      lines=sale_lines, total_ttc=totals.total_ttc, deposits=deposits)


def dataset():
    """The documents and payments in chronological order, lettered."""
    invoice = document(1, INVOICE, "F2024-0001", dt.date(2024, 3, 4), BAKERY, [
        (CROISSANT, "10", "1.15", "0"),            # 11,50 at 5,5 %
        (CHAUSSON, "10", "1.15", "0"),             # 11,50 at 5,5 %: VAT 1,265 → 1,27
        (WORKSHOP, "1", "150.00", "10"),           # 135,00 services at 20 %
        (MOULD, "2", "12.96", "0"),                # 25,92 goods at 20 %
        (TRAVEL, "1", "35.02", "0"),               # 35,02 services at 20 %
    ], charges=[(DELIVERY, "fee", "12.00"), (LOYALTY, "discount", "5.00")])
    deposit = document(2, DEPOSIT, "FA2024-0001", dt.date(2024, 3, 8), DUPONT,
                       [(DEPOSIT_LINE, "1", "300.00", "0")])
    deposit_payment = PaymentIn(id=1, date=dt.date(2024, 3, 10), amount=D("360.00"),
                                mode="Chèque", party=DUPONT, reference="CHQ 1234567")
    credit_note = document(3, CREDIT_NOTE, "AV2024-0001", dt.date(2024, 3, 15), BAKERY,
                           [(MOULD, "1", "12.96", "0")])
    final = document(4, INVOICE, "F2024-0002", dt.date(2024, 3, 20), DUPONT, [
        (WORKSHOP, "8", "125.00", "0"),            # 1000,00 services at 20 %
        (MEAL, "1", "50.00", "0"),                 # 50,00 goods at 10 %
    ], deposits=(DepositDeduction(number=deposit.number, lines=deposit.lines,
                                  total_ttc=deposit.total_ttc),))
    small = document(5, INVOICE, "F2024-0003", dt.date(2024, 3, 22), DUPONT,
                     [(MEAL, "2", "50.00", "0")])
    transfer = PaymentIn(id=2, date=dt.date(2024, 3, 31), amount=D("1005.00"),
                         mode="Virement", party=DUPONT, reference="VIR DUPONT MARS")
    cash = PaymentIn(id=3, date=dt.date(2024, 3, 31), amount=D("100.00"), mode="Espèces",
                     party=BAKERY)
    # What is still owed: the bakery paid 100 of 267,80 − 15,55; Dupont paid everything.
    bakery_open = invoice.total_ttc - credit_note.total_ttc - cash.amount
    nodes = [
        SettlementNode("document", 1, invoice.date, bakery_open),
        SettlementNode("document", 2, deposit.date),
        SettlementNode("document", 3, credit_note.date, corrects=1),
        SettlementNode("document", 4, final.date),
        SettlementNode("document", 5, small.date),
        SettlementNode("payment", 1, deposit_payment.date),
        SettlementNode("payment", 2, transfer.date),
        SettlementNode("payment", 3, cash.date),
    ]
    letterings = settled_letterings(nodes, [(1, 2), (2, 4), (2, 5), (3, 1)])
    items = [invoice, deposit, deposit_payment, credit_note, final, small, transfer, cash]
    return [replace(item, lettering=letterings.get(
        ("payment" if isinstance(item, PaymentIn) else "document", item.id)))
        for item in items]


def entries_of(plan):
    generator = EntryGenerator(plan, ACCOUNT_LABELS)
    return list(generator.entries(dataset())), generator


# --- Writing and comparing -----------------------------------------------------------------

def fec_of(plan) -> bytes:
    out = io.BytesIO()
    write_fec(entries_of(plan)[0], out, valid_date=VALID_DATE)
    return out.getvalue()


def isacompta_of(plan) -> bytes:
    out = io.BytesIO()
    write_isacompta(entries_of(plan)[0], out)
    return out.getvalue()


def xlsx_cells(plan) -> str:
    """The workbook's cells as JSON: value and number format of each cell
    (numbers with two decimals, dates ISO), so that the comparison ignores
    the zip container's timestamps."""
    out = io.BytesIO()
    write_entries_xlsx(entries_of(plan)[0], out)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    rows = []
    for row in sheet.iter_rows():
        cells = []
        for cell in row:
            value = cell.value
            if isinstance(value, dt.datetime):
                value = value.date().isoformat()
            elif isinstance(value, (int, float)):
                value = f"{value:.2f}"
            cells.append([value, cell.number_format] if cell.number_format != "General"
                         else value)
        rows.append(cells)
    head = json.dumps({"title": sheet.title, "freeze_panes": sheet.freeze_panes},
                      ensure_ascii=False)[:-1]
    body = ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    return f'{head}, "rows": [\n{body}\n]}}\n'


GOLDEN_FILES = {
    "entries_fec.txt": lambda: fec_of(PLAN),
    "entries_fec_split.txt": lambda: fec_of(PLAN_SPLIT),
    "entries_isacompta.txt": lambda: isacompta_of(PLAN),
    "entries_xlsx.json": lambda: xlsx_cells(PLAN).encode(),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_FILES))
def test_golden_file(name):
    produced = GOLDEN_FILES[name]()
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(produced)
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1 and check it by hand"
    assert produced == path.read_bytes(), f"{name} differs from tests/golden/{name}"
    if name.endswith(".json"):
        assert json.loads(produced)["rows"][0][0] == "Journal"


@pytest.mark.parametrize("name", ["entries_fec.txt", "entries_fec_split.txt"])
def test_golden_fec_passes_the_checker(name):
    rows = check_fec((GOLDEN / name).read_bytes())
    assert len(rows) == (GOLDEN / name).read_bytes().count(b"\r\n") - 1


# --- The accounting facts the golden files were checked for -----------------------------------

def signed(entry):
    """[(account, amount)] of an entry in order, debit positive, credit negative."""
    return [(line.account, line.debit - line.credit) for line in entry.lines]


def test_golden_entries_balance_and_are_numbered_per_journal():
    for plan in (PLAN, PLAN_SPLIT):
        entries, generator = entries_of(plan)
        for entry in entries:
            assert entry.total_debit == entry.total_credit, entry.number
            assert sum((amount for _, amount in signed(entry)), D("0")) == 0
        assert [entry.number for entry in entries] == [
            "VT000001", "VT000002", "CH000001", "VT000003", "VT000004", "VT000005",
            "BQ000001", "CA000001"]
        assert generator.derived_codes == {1: "CBOULANGERIEECLAIRFI"}


def test_golden_invoice_with_two_rates_fee_and_discount():
    invoice = entries_of(PLAN)[0][0]
    # HT 5,5 %: 23,00 → VAT 1,265 → 1,27 (line by line would give 0,63 + 0,63 = 1,26).
    # HT 20 %: 25,92 + 135,00 + 35,02 + 12,00 − 5,00 = 202,94 → VAT 40,588 → 40,59.
    # TTC = 23,00 + 1,27 + 202,94 + 40,59 = 267,80.
    assert signed(invoice) == [
        ("41100000", D("267.80")),
        ("70100000", D("-23.00")),                # category Viennoiseries
        ("70600000", D("-170.02")),               # workshop (category without account) + travel
        ("70700000", D("-25.92")),                # mould: the rate's goods account
        ("70850000", D("-12.00")),                # delivery fee: its own account
        ("70900000", D("5.00")),                  # loyalty discount: debit
        ("44571055", D("-1.27")),
        ("44571200", D("-40.59")),                # not split: services VAT on the goods account
    ]
    customer = invoice.lines[0]
    assert (customer.auxiliary, customer.auxiliary_label) == (
        "CBOULANGERIEECLAIRFI", "Boulangerie Éclair & Fils")
    assert all(not line.auxiliary for line in invoice.lines[1:])


def test_golden_deposit_and_final_invoice():
    entries = entries_of(PLAN)[0]
    deposit, final = entries[1], entries[4]
    assert signed(deposit) == [
        ("41100000", D("360.00")), ("41910000", D("-300.00")), ("44571200", D("-60.00"))]
    # TTC 1255,00 less the deposit's 360,00; the deposit's HT and VAT reversed (debit).
    assert signed(final) == [
        ("41100000", D("895.00")), ("70600000", D("-1000.00")), ("70700000", D("-50.00")),
        ("44571200", D("-200.00")), ("44571100", D("-5.00")),
        ("41910000", D("300.00")), ("44571200", D("60.00"))]
    assert [line.label for line in final.lines[-2:]] == ["Acompte FA2024-0001 déduit"] * 2
    assert final.lines[0].auxiliary == "CDUPONT"


def test_golden_credit_note_and_payments():
    entries = entries_of(PLAN)[0]
    cheque, credit_note, transfer, cash = entries[2], entries[3], entries[6], entries[7]
    assert signed(credit_note) == [
        ("41100000", D("-15.55")), ("70700000", D("12.96")), ("44571200", D("2.59"))]
    assert (cheque.journal_code, signed(cheque)) == (
        "CH", [("51120000", D("360.00")), ("41100000", D("-360.00"))])
    assert (transfer.journal_code, signed(transfer)) == (
        "BQ", [("51200000", D("1005.00")), ("41100000", D("-1005.00"))])
    assert (cash.journal_code, signed(cash)) == (
        "CA", [("53000000", D("100.00")), ("41100000", D("-100.00"))])
    assert cash.piece_ref == "REG3" and cheque.piece_ref == "CHQ 1234567"


def test_golden_lettering_of_settled_groups_only():
    entries = entries_of(PLAN)[0]
    lettered = {entry.number: (line.lettering, line.lettering_date)
                for entry in entries for line in entry.lines if line.auxiliary}
    deposit_group = (lettering_code(2), dt.date(2024, 3, 10))
    final_group = (lettering_code(4), dt.date(2024, 3, 31))
    assert lettered == {
        "VT000001": ("", None), "VT000002": deposit_group, "CH000001": deposit_group,
        "VT000003": ("", None), "VT000004": final_group, "VT000005": final_group,
        "BQ000001": final_group, "CA000001": ("", None)}
    assert deposit_group[0] == "AAC" and final_group[0] == "AAE"
    assert all(not line.lettering for entry in entries for line in entry.lines
               if not line.auxiliary)
    # The lettered customer lines of a group sum to zero.
    for code in ("AAC", "AAE"):
        assert sum((line.debit - line.credit for entry in entries for line in entry.lines
                    if line.lettering == code), D("0")) == 0


def test_golden_split_by_nature_and_incorporated_accounts():
    entries = entries_of(PLAN_SPLIT)[0]
    invoice, deposit, credit_note, final = entries[0], entries[1], entries[3], entries[4]
    # 20 %: services 177,02 → 35,404 → 35,40; goods 25,92 → 5,184 → 5,18; together they
    # must make the rate's 40,59: the cent of difference goes to the larger base (services).
    assert signed(invoice) == [
        ("41100000", D("267.80")),
        ("70105500", D("-23.00")),                # 701000 → radical 701 + 055 of 44571055
        ("70620100", D("-170.02")),               # 706 + 201 of 44571201 (services)
        ("70720000", D("-25.92")),                # 707 + 200 of 44571200 (goods)
        ("70852010", D("-12.00")),                # 708500 → radical 7085 + 201 → 7085201
        ("70920100", D("5.00")),                  # 709000 → 709 + 201
        ("44571055", D("-1.27")),
        ("44571201", D("-35.41")),
        ("44571200", D("-5.18")),
    ]
    assert signed(deposit) == [
        ("41100000", D("360.00")), ("41912010", D("-300.00")), ("44571201", D("-60.00"))]
    # An explicit credit-note account is never incorporated.
    assert signed(credit_note) == [
        ("41100000", D("-15.55")), ("70900000", D("12.96")), ("44571200", D("2.59"))]
    assert signed(final) == [
        ("41100000", D("895.00")), ("70620100", D("-1000.00")), ("70710000", D("-50.00")),
        ("44571201", D("-200.00")), ("44571100", D("-5.00")),
        ("41912010", D("300.00")), ("44571201", D("60.00"))]
    labels = {line.account: line.account_label for line in invoice.lines}
    assert labels["70620100"] == "Prestations de services"    # the label of 706
    assert next(line.provenance for line in invoice.lines if line.account == "70620100") == (
        "Taux de TVA : compte de vente des prestations de services du taux 20 % ; "
        "Incorporer TVA : radical 706 suivi des chiffres 201 du compte de TVA 44571201")


def test_split_or_not_the_vat_of_each_document_is_the_same():
    for plain, split in zip(entries_of(PLAN)[0], entries_of(PLAN_SPLIT)[0], strict=True):
        def vat(entry):
            return sum((line.credit - line.debit for line in entry.lines
                        if line.account.startswith("4457")), D("0"))
        assert vat(plain) == vat(split), plain.number


def test_golden_isacompta_account_is_the_auxiliary_on_customer_lines():
    lines = isacompta_of(PLAN).decode("iso-8859-15").split("\n")[:-1]
    first = lines[0].split(";")
    assert first[4:6] == ["CBOULANGERIEECLAIRFI", "Boulangerie Éclair & Fils"]
    assert first[7:11] == ["267,80", "0,00", "267,80", "D"]
