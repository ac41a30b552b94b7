"""Properties of the entries (app/accounting/entries.py) and of their FEC, on
random sets of documents whose totals come from app.invoicing.totals, as on
the screens: random lines (quantity, price, discount, rate, nature, article
or free line), optional fee and discount charges, deposits deducted by the
final invoice, credit notes never larger than their invoice, payments full or
partial, lettering by app.accounting.lettering. Pure: no app, no database.

Checked on every example: every entry balances; the customer account moves
by exactly the documents' TTC (less deposits deducted, credit notes and
payments); the payment accounts receive exactly the payments; the VAT of each
document is its VAT per rate, whether VAT is split by nature or not, with or
without « Incorporer TVA »; lettered groups sum to zero; the FEC passes the
independent checker (tests/fec_checker.py)."""
import datetime as dt
import io
from dataclasses import dataclass, field, replace
from decimal import Decimal as D
from itertools import count

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from app.accounting.entries import (
    CREDIT_NOTE, DEPOSIT, INVOICE, DepositDeduction, DocumentIn, EntryGenerator, Party,
    PaymentIn, SaleLine,
)
from app.accounting.fec import write_fec
from app.accounting.lettering import SettlementNode, settled_letterings
from app.accounting.resolver import ItemRef
from app.invoicing.totals import Charge, Line, compute_totals
from fec_checker import check_fec
from test_entries_golden import ACCOUNT_LABELS, PLAN, PLAN_SPLIT

ZERO = D("0.00")
CUSTOMER = "41100000"
PAYMENT_ACCOUNTS = {"51200000", "51120000", "53000000"}
# The VAT accounts of each rate, goods and services (tests/test_entries_golden.py's plan).
RATE_OF_VAT_ACCOUNT = {"44571200": D("20"), "44571201": D("20"), "44571100": D("10"),
                       "44571101": D("10"), "44571055": D("5.5"), "44571056": D("5.5")}
ALL_RATES = (D("20"), D("10"), D("5.5"), D("0"))
# « Incorporer TVA » needs a VAT account, which an exempt rate has not.
TAXED_RATES = (D("20"), D("10"), D("5.5"))
PLAN_SPLIT_ONLY = replace(PLAN, settings=replace(PLAN.settings, split_vat_by_nature=True))
PARTIES = (
    Party(contact_id=1, name="Boulangerie Éclair & Fils"),
    Party(contact_id=2, name="Dupont SARL", auxiliary_code="CDUPONT"),
    Party(contact_id=3, name="Café | du coin;\tchez Zoé"),
)
MODES = ("Virement", "Chèque", "Espèces", None)
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def cents(low, high):
    return st.integers(low, high).map(lambda value: D(value) / 100)


@st.composite
def items(draw, rates):
    """What a line sells: an article (with or without a category account or an
    own account) or a free line, of a random nature and rate."""
    nature = draw(st.sampled_from(("goods", "services")))
    rate = draw(st.sampled_from(rates))
    kind = draw(st.sampled_from(("article", "article", "free_line")))
    if kind == "free_line":
        return ItemRef(kind="free_line", label="Ligne libre", nature=nature, vat_rate=rate)
    own = draw(st.sampled_from((None, None, "708500")))
    category = draw(st.sampled_from((None, ("Viennoiseries", "701000"), ("Ateliers", None))))
    return ItemRef(kind="article", label="Article", nature=nature, vat_rate=rate,
                   own_account=own, category_label=category[0] if category else None,
                   category_account=category[1] if category else None)


@st.composite
def lines(draw, rates):
    """(item, quantity, unit price HT, discount %)."""
    quantity = D(draw(st.integers(1, 50_000))) / 1000
    discount = draw(st.sampled_from((D("0"), D("0"), D("5"), D("12.5"), D("100"))))
    return draw(items(rates)), quantity, draw(cents(0, 200_000)), discount


@st.composite
def charges(draw, rates):
    """(item, kind, amount HT) of a fee and of a discount, each optional."""
    found = []
    for kind, account, high in (("fee", "708500", 5_000), ("discount", "709000", 2_000)):
        if draw(st.booleans()):
            item = ItemRef(kind="charge", label=kind, vat_rate=draw(st.sampled_from(rates)),
                           nature=draw(st.sampled_from(("goods", "services"))),
                           own_account=account)
            found.append((item, kind, draw(cents(1, high))))
    return found


def make_document(id, kind, number, date, party, doc_lines, doc_charges=(), deposits=()):
    """A DocumentIn and its Totals (compute_totals; hypothesis rejects a
    document that the screens would refuse, e.g. a discount above its base)."""
    try:
        totals = compute_totals(
            [Line(quantity=qty, unit_price_ht=price, vat_rate=item.vat_rate,
                  discount_pct=discount, nature=item.nature)
             for item, qty, price, discount in doc_lines],
            [Charge(kind=kind, vat_rate=item.vat_rate, amount=amount)
             for item, kind, amount in doc_charges], multi_vat=True)
    except ValueError:
        reject()
    sale_lines = tuple(SaleLine(item=item, amount_ht=ht)
                       for (item, *_), ht in zip(doc_lines, totals.lines_ht, strict=True))
    sale_lines += tuple(SaleLine(item=item, amount_ht=ht, discount=kind == "discount")
                        for (item, kind, _), ht in zip(doc_charges, totals.charges_ht, strict=True))
    return DocumentIn(id=id, kind=kind, number=number, date=date, party=party,
                      lines=sale_lines, total_ttc=totals.total_ttc, deposits=deposits), totals


@dataclass
class Scenario:
    """Documents and payments in chronological order, and what the entries
    must add up to."""
    items: list = field(default_factory=list)
    customer_balance: D = ZERO      # invoices, deposits − deducted, credit notes, payments
    payments: D = ZERO
    vat: dict = field(default_factory=dict)     # document id → {rate: signed VAT}
    settled: list = field(default_factory=list)  # groups that must share one lettering code


@st.composite
def scenarios(draw, rates=ALL_RATES):
    ids, payment_ids = count(1), count(1)
    scenario = Scenario()
    events = []                     # (date, order, item)
    nodes, allocations = [], []

    def add(date, item):
        events.append((date, len(events), item))

    def pay(date, party, amount, document_id) -> str:
        payment = PaymentIn(id=next(payment_ids), date=date, amount=amount,
                            mode=draw(st.sampled_from(MODES)), party=party,
                            reference=draw(st.sampled_from(("", "VIR 42", "=cmd"))))
        add(date, payment)
        nodes.append(SettlementNode("payment", payment.id, date))
        allocations.append((payment.id, document_id))
        scenario.payments += amount
        scenario.customer_balance -= amount
        return f"payment:{payment.id}"

    def vat_of(totals, sign=1):
        return {item.rate: sign * item.vat for item in totals.vat_breakdown if item.vat}

    start = dt.date(2024, 1, 1)
    for position in range(draw(st.integers(1, 4))):
        party = draw(st.sampled_from(PARTIES))
        day = start + dt.timedelta(days=draw(st.integers(0, 90)))
        deposits, deposit_vat = (), {}
        if draw(st.booleans()):
            deposit_item = ItemRef(kind="free_line", label="Acompte", nature="services",
                                   vat_rate=draw(st.sampled_from(rates)))
            deposit, totals = make_document(
                next(ids), DEPOSIT, f"FA{position}", day, party,
                [(deposit_item, D("1"), draw(cents(1, 50_000)), D("0"))])
            add(day, deposit)
            scenario.customer_balance += deposit.total_ttc
            scenario.vat[deposit.id] = vat_of(totals)
            deposit_vat = vat_of(totals, -1)
            nodes.append(SettlementNode("document", deposit.id, day))
            paid_by = pay(day, party, deposit.total_ttc, deposit.id)
            scenario.settled.append({f"document:{deposit.id}", paid_by})
            deposits = (DepositDeduction(number=deposit.number, lines=deposit.lines,
                                         total_ttc=deposit.total_ttc),)
            day += dt.timedelta(days=draw(st.integers(0, 10)))
        doc_lines = draw(st.lists(lines(rates), min_size=1, max_size=5))
        invoice, totals = make_document(next(ids), INVOICE, f"F{position}", day, party,
                                        doc_lines, draw(charges(rates)), deposits)
        if not invoice.total_ttc:
            reject()                # a document of 0 € has no entry (see the report)
        add(day, invoice)
        deducted = sum((deposit.total_ttc for deposit in deposits), ZERO)
        scenario.customer_balance += invoice.total_ttc - deducted
        invoice_vat = vat_of(totals)
        for rate, vat in deposit_vat.items():
            invoice_vat[rate] = invoice_vat.get(rate, ZERO) + vat
        scenario.vat[invoice.id] = invoice_vat
        due = invoice.total_ttc - deducted
        group = {f"document:{invoice.id}"}
        if draw(st.booleans()):
            # A credit note giving back part of some lines, never more than was sold.
            returned = []
            for item, qty, price, discount in doc_lines:
                kept = draw(st.integers(0, int(qty * 1000))) / D(1000)
                if kept:
                    returned.append((item, kept, price, discount))
            if returned:
                day += dt.timedelta(days=draw(st.integers(0, 10)))
                note, note_totals = make_document(next(ids), CREDIT_NOTE, f"AV{position}", day,
                                                  party, returned)
                if note.total_ttc and note.total_ttc <= due:
                    add(day, note)
                    scenario.customer_balance -= note.total_ttc
                    scenario.vat[note.id] = vat_of(note_totals, -1)
                    nodes.append(SettlementNode("document", note.id, day,
                                                corrects=invoice.id))
                    due -= note.total_ttc
                    group.add(f"document:{note.id}")
        paid = ZERO
        if due > 0 and draw(st.booleans()):
            day += dt.timedelta(days=draw(st.integers(0, 30)))
            paid = due if draw(st.booleans()) else draw(cents(1, int(due * 100)))
            group.add(pay(day, party, paid, invoice.id))
        nodes.append(SettlementNode("document", invoice.id, invoice.date, due - paid))
        if paid == due and len(group) > 1:
            scenario.settled.append(group)
    letterings = settled_letterings(nodes, allocations)
    for _, _, item in sorted(events, key=lambda event: event[:2]):
        kind = "payment" if isinstance(item, PaymentIn) else "document"
        scenario.items.append(replace(item, lettering=letterings.get((kind, item.id))))
    return scenario


def generate(plan, scenario):
    return list(EntryGenerator(plan, ACCOUNT_LABELS).entries(scenario.items))


def signed_total(entries, accept):
    return sum((line.debit - line.credit for entry in entries for line in entry.lines
                if accept(line)), ZERO)


def vat_per_rate(entry) -> dict:
    found = {}
    for line in entry.lines:
        rate = RATE_OF_VAT_ACCOUNT.get(line.account)
        if rate is not None:
            found[rate] = found.get(rate, ZERO) + line.credit - line.debit
    return {rate: vat for rate, vat in found.items() if vat}


def check_entries(plan, scenario):
    entries = generate(plan, scenario)
    for entry in entries:
        assert entry.lines and entry.total_debit == entry.total_credit, entry
        assert all(bool(line.debit) != bool(line.credit) for line in entry.lines), entry
    assert signed_total(entries, lambda line: line.account == CUSTOMER) == \
        scenario.customer_balance
    assert all(line.auxiliary for entry in entries for line in entry.lines
               if line.account == CUSTOMER)
    assert signed_total(entries, lambda line: line.account in PAYMENT_ACCOUNTS) == \
        scenario.payments
    documents = [entry for entry in entries if entry.source.startswith("document:")]
    for entry in documents:
        expected = scenario.vat[int(entry.source.split(":")[1])]
        assert vat_per_rate(entry) == {rate: vat for rate, vat in expected.items() if vat}, \
            entry.piece_ref
    check_lettering(entries, scenario)
    return entries


def check_lettering(entries, scenario):
    """Settled groups (known from how the scenario was built) share one code,
    distinct from the other groups' and only on customer lines; nothing else
    is lettered; each group's customer lines sum to zero."""
    codes = {}
    for entry in entries:
        lettered = {(line.lettering, line.lettering_date) for line in entry.lines
                    if line.lettering}
        assert all(line.account == CUSTOMER for line in entry.lines if line.lettering)
        assert len(lettered) <= 1, entry
        if lettered:
            codes[entry.source] = lettered.pop()
    expected = set().union(*scenario.settled) if scenario.settled else set()
    assert set(codes) == expected
    group_codes = [{codes[member] for member in group} for group in scenario.settled]
    assert all(len(found) == 1 for found in group_codes)
    assert len({code for found in group_codes for code, _ in found}) == len(group_codes)
    for found in group_codes:
        (code, _), = found
        assert signed_total(entries, lambda line: line.lettering == code) == 0, code


@SETTINGS
@given(scenarios())
def test_entries_balance_and_add_up_without_split(scenario):
    check_entries(PLAN, scenario)


@SETTINGS
@given(scenarios())
def test_entries_balance_and_add_up_with_vat_split_by_nature(scenario):
    plain, split = check_entries(PLAN, scenario), check_entries(PLAN_SPLIT_ONLY, scenario)
    for one, other in zip(plain, split, strict=True):
        assert vat_per_rate(one) == vat_per_rate(other)


@SETTINGS
@given(scenarios(rates=TAXED_RATES))
def test_entries_balance_and_add_up_with_split_and_incorporated_vat(scenario):
    entries = check_entries(PLAN_SPLIT, scenario)
    radicals = ("701", "706", "707", "7085", "709", "4191")
    for entry in entries:
        for line in entry.lines:
            if line.account[:3] in ("701", "706", "707", "708", "709", "419"):
                # Incorporated: radical + the VAT suffix, unless it is the credit-note account.
                assert line.account == "70900000" or line.account.startswith(radicals) and \
                    line.account.rstrip("0") not in radicals, line


@SETTINGS
@given(scenarios(), st.sampled_from(("\t", "|")), st.sampled_from(("utf-8", "iso-8859-15")))
def test_the_fec_of_random_entries_passes_the_checker(scenario, separator, encoding):
    entries = generate(PLAN, scenario)
    out = io.BytesIO()
    written = write_fec(entries, out, valid_date=dt.date(2024, 12, 31), separator=separator,
                        encoding=encoding)
    rows = check_fec(out.getvalue(), encoding=encoding, separator=separator)
    assert written == len(rows) == sum(len(entry.lines) for entry in entries)
    assert sum((row["Debit"] for row in rows), ZERO) == \
        sum((entry.total_debit for entry in entries), ZERO)
    customer_rows = [row for row in rows if row["CompteNum"] == CUSTOMER]
    assert all(row["CompAuxNum"] and row["CompAuxLib"] for row in customer_rows)
    assert all(not row["CompAuxNum"] for row in rows if row["CompteNum"] != CUSTOMER)
