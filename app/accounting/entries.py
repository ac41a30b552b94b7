"""From a client's documents and payments to balanced accounting entries
(DESIGN.md §3, « From invoices to entries »), in pure Python.

No Flask, no SQLAlchemy: frozen dataclasses in (`DocumentIn`, `PaymentIn`),
frozen dataclasses out (`Entry` and its `EntryLine`s). The export, the preview
and the command line all go through `EntryGenerator`; the accounts come from
app.accounting.resolver (one rule, reused), and every line says why it got its
account (`EntryLine.provenance`).

Scheme (amounts signed « credit positive » while an entry is built, then each
account's total goes to the debit or the credit column):
- invoice: customer debit TTC less the deposits it deducts; sales accounts
  credit HT, one line per account; VAT accounts credit, one line per account;
  fees and taxes credit their account; a discount debits its account;
- deposit invoice: the same with the deposit account instead of the sales one;
- final invoice deducting deposits: also debits, per deposit, the deposit
  account (deposit HT) and the VAT of the deposit (reversed);
- credit note: the mirror of an invoice, on the credit-note account (else the
  sales account);
- payment: the payment mode's account debit, the customer credit, in the
  payment mode's journal (else the bank journal).

VAT is computed per rate on the sum of the HT of that rate, rounded half-up to
the cent (app.invoicing.totals.vat_of_base, the rule of the documents). When
the plan splits VAT by nature and a rate has both natures, each nature's VAT is
rounded on its own base and the cent of difference, if any, goes to the larger
base, so that the VAT of the entry is exactly the document's.

Every entry is checked: debits equal credits to the cent, else
`UnbalancedEntry` and nothing is exported. Entry numbers are the journal code
followed by a counter of six digits or more, continuous per journal
(`Numbering`), in the order the caller feeds the documents (chronological).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Iterable, Iterator, NamedTuple, Optional

from app.accounting import resolver
from app.accounting.resolver import GOODS, ItemRef, Plan, ResolutionError
from app.invoicing.totals import vat_of_base
from app.messages import N_, TranslatableError

ZERO = Decimal("0.00")

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
DEPOSIT = "deposit"

JOURNAL_SALES_LABEL = N_("Journal des ventes")
JOURNAL_BANK_LABEL = N_("Journal de banque")
JOURNAL_MODE_LABEL = N_("Règlements %(mode)s")
DOCUMENT_LABELS = {INVOICE: N_("Facture"), CREDIT_NOTE: N_("Avoir"),
                   DEPOSIT: N_("Facture d'acompte")}
PAYMENT_LABEL = N_("Règlement")
ENTRY_LABEL = N_("%(document)s %(number)s %(party)s")
DEPOSIT_DEDUCTED = N_("Acompte %(number)s déduit")
DEPOSIT_PROVENANCE = N_("Acompte %(number)s déduit de la facture")
CUSTOMER_LABEL = N_("Clients")
PROVENANCE_STEP = N_("%(source)s : %(detail)s")
VAT_LABEL = N_("TVA collectée %(rate)s %%")
NO_SALES_JOURNAL = N_("Aucun journal des ventes : renseignez le code du journal des ventes "
                      "dans les journaux du plan.")
UNBALANCED = N_("L'écriture de %(piece)s n'est pas équilibrée : débit %(debit)s, "
                "crédit %(credit)s. Rien n'a été exporté.")


class UnbalancedEntry(TranslatableError):
    """Debits and credits of an entry differ: the export stops."""


# Inputs ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Party:
    """The customer of a document or a payment. `auxiliary_code` is None when
    the contact has none yet: the generator derives one (`derived_codes`)."""
    contact_id: int
    name: str
    auxiliary_code: Optional[str] = None


@dataclass(frozen=True, slots=True)
class SaleLine:
    """One line or charge of a document: what it sells and its HT (positive).
    A discount (`discount=True`) lowers the base of its VAT rate."""
    item: ItemRef
    amount_ht: Decimal
    discount: bool = False


@dataclass(frozen=True, slots=True)
class Lettering:
    """EcritureLet / DateLet of a settled customer line."""
    code: str
    date: dt.date


@dataclass(frozen=True, slots=True)
class DepositDeduction:
    """A deposit invoice deducted by a final invoice: its number, lines and TTC."""
    number: str
    lines: tuple
    total_ttc: Decimal


@dataclass(frozen=True, slots=True)
class DocumentIn:
    """An issued invoice, credit note or deposit invoice."""
    id: int
    kind: str
    number: str
    date: dt.date
    party: Party
    lines: tuple                      # SaleLine
    total_ttc: Decimal
    deposits: tuple = ()              # DepositDeduction
    lettering: Optional[Lettering] = None


@dataclass(frozen=True, slots=True)
class PaymentIn:
    """A payment received from a customer."""
    id: int
    date: dt.date
    amount: Decimal
    mode: Optional[str]
    party: Party
    reference: str = ""
    lettering: Optional[Lettering] = None


# Outputs ---------------------------------------------------------------------------------

class EntryLine(NamedTuple):
    """One line of an entry. Exactly one of debit / credit is non-zero.
    `auxiliary` / `auxiliary_label` are set on third-party (customer) lines only.
    A NamedTuple, not a frozen dataclass: a frozen dataclass sets each of its ten
    fields through object.__setattr__, the largest cost of generating a line."""
    account: str
    account_label: str
    label: str
    debit: Decimal
    credit: Decimal
    auxiliary: str = ""
    auxiliary_label: str = ""
    provenance: str = ""
    lettering: str = ""
    lettering_date: Optional[dt.date] = None


@dataclass(frozen=True, slots=True)
class Entry:
    """A balanced entry: one piece (document or payment) in one journal."""
    journal_code: str
    journal_label: str
    number: str
    date: dt.date
    piece_ref: str
    piece_date: dt.date
    label: str
    lines: tuple                      # EntryLine
    source: str = ""                  # "document:<id>" or "payment:<id>"

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)


# Numbering -------------------------------------------------------------------------------

class Numbering:
    """Entry numbers continuous per journal: the journal code followed by a
    counter of at least six digits (VT000001). `start` gives, per journal, the
    last number already used (by earlier exports), so that numbers stay unique
    across the exports of a client; `last` is what to remember afterwards."""

    def __init__(self, start: Optional[dict] = None):
        self.last = dict(start or {})

    def next(self, journal: str) -> str:
        number = self.last.get(journal, 0) + 1
        self.last[journal] = number
        return f"{journal}{number:06d}"


# Generator -------------------------------------------------------------------------------

def _identity(message, **params):
    return message % params if params else message


@dataclass(slots=True)
class _Side:
    """The accumulated amount of one account in an entry being built."""
    account: str
    account_label: str
    label: str
    amount: Decimal = ZERO            # signed, credit positive
    provenances: list = field(default_factory=list)


class EntryGenerator:
    """Turns documents and payments into entries, for one plan.

    `account_labels` maps padded account numbers to their labels (CompteLib);
    an account derived by « Incorporer TVA » takes the label of the account it
    comes from. `gettext(msgid, **params)` gives labels and provenances in the
    export's language. `taken_codes` are the auxiliary codes already used by
    the client's contacts; codes derived here are in `derived_codes`
    (contact id → code), for the caller to store so that they are kept.

    Resolutions are cached per item, rate and nature: a million lines resolve a
    few hundred distinct items only.
    """

    def __init__(self, plan: Plan, account_labels: dict, *, gettext: Callable = _identity,
                 numbering: Optional[Numbering] = None, taken_codes: Iterable[str] = ()):
        self.plan = plan
        self.labels = account_labels
        self.gettext = gettext
        self.numbering = numbering or Numbering()
        self.taken_codes = {code.strip().upper() for code in taken_codes if code}
        self.derived_codes: dict = {}
        self._accounts: dict = {}
        self._customers: dict = {}
        self._payments: dict = {}
        self._document_labels = {kind: gettext(label) for kind, label in DOCUMENT_LABELS.items()}
        self._payment_label = gettext(PAYMENT_LABEL)
        # Translated once: a gettext call per entry costs more than the rest of the label.
        self._entry_label = gettext(ENTRY_LABEL)
        self._customer_label = self._label_of(plan.settings.customer_account) \
            or gettext(CUSTOMER_LABEL)
        self._sales_journal = (plan.settings.sales_journal or "").strip()
        self._sales_journal_label = gettext(JOURNAL_SALES_LABEL)

    # Accounts ----------------------------------------------------------------------------

    def _label_of(self, account: Optional[str]) -> str:
        if not account:
            return ""
        return self.labels.get(resolver.pad_account(account, self.plan.settings.account_length),
                               "")

    def _described(self, resolution) -> tuple:
        """(padded account, label, provenance) of a resolver answer."""
        used = resolution.provenance
        label = self.labels.get(resolution.account, "")
        for step in reversed(used):
            if label:
                break
            label = self._label_of(step.account)
        return resolution.account, label or resolution.account, self._why(used)

    def _why(self, steps) -> str:
        """« Source : detail » of each step that gave the account."""
        return " ; ".join(self.gettext(PROVENANCE_STEP, source=self.gettext(step.source),
                                       detail=step.describe(self.gettext)) for step in steps)

    def _account(self, role: str, item: ItemRef) -> tuple:
        key = (role, item)
        found = self._accounts.get(key)
        if found is None:
            if role == INVOICE:
                resolution = resolver.sales_account(self.plan, item)
            elif role == CREDIT_NOTE:
                resolution = resolver.credit_note_account(self.plan, item)
            elif role == DEPOSIT:
                resolution = resolver.deposit_account(self.plan, item.vat_rate, item.nature)
            else:
                resolution = resolver.vat_account(self.plan, item.vat_rate, item.nature)
            found = self._accounts[key] = self._described(resolution)
        return found

    def _vat_account(self, rate: Decimal, nature: str) -> tuple:
        key = ("vat", rate, nature)
        found = self._accounts.get(key)
        if found is None:
            account, label, provenance = self._described(
                resolver.vat_account(self.plan, rate, nature))
            if label == account:
                label = self.gettext(VAT_LABEL, rate=resolver.format_rate(rate))
            found = self._accounts[key] = (account, label, provenance)
        return found

    def customer(self, party: Party):
        """The customer account (general, auxiliary, provenance) of a party."""
        found = self._customers.get(party.contact_id)
        if found is None:
            answer = resolver.customer_account(self.plan, party.name, party.auxiliary_code,
                                               self.taken_codes)
            if answer.derived:
                self.taken_codes.add(answer.auxiliary.upper())
                self.derived_codes[party.contact_id] = answer.auxiliary
            provenance = self._why(answer.provenance)
            found = self._customers[party.contact_id] = (answer.general, answer.auxiliary,
                                                         provenance)
        return found

    def _payment(self, mode: Optional[str]) -> tuple:
        found = self._payments.get(mode)
        if found is None:
            answer = resolver.payment_account(self.plan, mode)
            account, label, provenance = self._described(answer)
            journal = answer.journal_code
            if journal == (self.plan.settings.bank_journal or "").strip() or not mode:
                journal_label = self.gettext(JOURNAL_BANK_LABEL)
            else:
                journal_label = self.gettext(JOURNAL_MODE_LABEL, mode=mode)
            found = self._payments[mode] = (account, label, provenance, journal, journal_label)
        return found

    # Entries -----------------------------------------------------------------------------

    def _add(self, sides: dict, described: tuple, label: str, amount: Decimal,
             provenance: Optional[str] = None):
        account, account_label, why = described
        # A deducted deposit keeps lines of its own (provenance given), so that
        # its reversal reads as such instead of being netted with the sales.
        key = (account, provenance)
        side = sides.get(key)
        if side is None:
            side = sides[key] = _Side(account, account_label, label)
        side.amount += amount
        why = why if provenance is None else provenance
        if why and why not in side.provenances:
            side.provenances.append(why)

    def _post_lines(self, sides: dict, role: str, lines: tuple, label: str, sign: int,
                    provenance: Optional[str] = None) -> None:
        """Adds the HT of `lines` to their accounts and their VAT to the VAT
        accounts, signed by `sign`."""
        bases: dict = {}
        for line in lines:
            amount = -line.amount_ht if line.discount else line.amount_ht
            self._add(sides, self._account(role, line.item), label, sign * amount, provenance)
            key = (line.item.vat_rate, line.item.nature)
            bases[key] = bases.get(key, ZERO) + amount
        split = self.plan.settings.split_vat_by_nature
        for rate, natures in _by_rate(bases).items():
            for nature, vat in _vat_per_nature(rate, natures, split):
                if vat:
                    self._add(sides, self._vat_account(rate, nature), label, sign * vat,
                              provenance)

    def document_entry(self, document: DocumentIn) -> Optional[Entry]:
        """The entry of an issued invoice, credit note or deposit invoice."""
        if not self._sales_journal:
            raise ResolutionError(NO_SALES_JOURNAL)
        label = (self._entry_label % {"document": self._document_labels[document.kind],
                                      "number": document.number,
                                      "party": document.party.name}).strip()
        sign = -1 if document.kind == CREDIT_NOTE else 1
        sides: dict = {}
        self._post_lines(sides, document.kind, document.lines, label, sign)
        deducted = ZERO
        for deposit in document.deposits:
            why = self.gettext(DEPOSIT_PROVENANCE, number=deposit.number)
            self._post_lines(sides, DEPOSIT, deposit.lines,
                             self.gettext(DEPOSIT_DEDUCTED, number=deposit.number), -sign, why)
            deducted += deposit.total_ttc
        general, auxiliary, why = self.customer(document.party)
        customer_amount = -sign * (document.total_ttc - deducted)
        lettering = document.lettering
        lines = [_line(general, self._customer_label, label, customer_amount,
                       auxiliary=auxiliary, auxiliary_label=document.party.name,
                       provenance=why, lettering=lettering)]
        lines.extend(_line(side.account, side.account_label, side.label, side.amount,
                           provenance=" | ".join(side.provenances))
                     for side in sides.values())
        return self._numbered(self._sales_journal, self._sales_journal_label, document.date,
                              document.number, label,
                              tuple([line for line in lines if line is not None]),
                              f"document:{document.id}")

    def payment_entry(self, payment: PaymentIn) -> Optional[Entry]:
        """The entry of a payment: the mode's account debit, the customer credit."""
        account, account_label, why, journal, journal_label = self._payment(payment.mode)
        general, auxiliary, customer_why = self.customer(payment.party)
        piece = payment.reference.strip() if payment.reference else ""
        piece = piece or f"REG{payment.id}"
        label = (self._entry_label % {"document": self._payment_label,
                                      "number": payment.mode or "",
                                      "party": payment.party.name}).strip()
        label = " ".join(label.split())
        lines = (
            _line(account, account_label, label, -payment.amount, provenance=why),
            _line(general, self._customer_label, label, payment.amount, auxiliary=auxiliary,
                  auxiliary_label=payment.party.name, provenance=customer_why,
                  lettering=payment.lettering),
        )
        return self._numbered(journal, journal_label, payment.date, piece, label,
                              tuple([line for line in lines if line is not None]),
                              f"payment:{payment.id}")

    def entries(self, items: Iterable) -> Iterator[Entry]:
        """The entries of documents and payments, in the order given; a document
        of 0 € (a full discount) makes no entry and takes no number."""
        for item in items:
            entry = self.payment_entry(item) if isinstance(item, PaymentIn) \
                else self.document_entry(item)
            if entry is not None:
                yield entry

    def _numbered(self, journal_code: str, journal_label: str, date: dt.date, piece_ref: str,
                  label: str, lines: tuple, source: str) -> Optional[Entry]:
        """The entry of a piece dated `date`, numbered once it is known to
        balance; None when it has no line (every amount is 0)."""
        debit = credit = ZERO
        for line in lines:
            debit += line.debit
            credit += line.credit
        if debit != credit:
            raise UnbalancedEntry(UNBALANCED, piece=piece_ref, debit=str(debit),
                                  credit=str(credit))
        if not lines:
            return None
        return Entry(journal_code=journal_code, journal_label=journal_label,
                     number=self.numbering.next(journal_code), date=date, piece_ref=piece_ref,
                     piece_date=date, label=label, lines=lines, source=source)


def _line(account, account_label, label, amount, *, auxiliary="", auxiliary_label="",
          provenance="", lettering: Optional[Lettering] = None) -> Optional[EntryLine]:
    """A line from a signed amount (credit positive); None for zero."""
    if not amount:
        return None
    if amount < 0:
        debit, credit = -amount, ZERO
    else:
        debit, credit = ZERO, amount
    return EntryLine(account, account_label, label, debit, credit, auxiliary,
                     auxiliary_label if auxiliary else "", provenance,
                     lettering.code if lettering else "", lettering.date if lettering else None)


def _by_rate(bases: dict) -> dict:
    """{(rate, nature): base} → {rate: {nature: base}}, rates in the order met."""
    grouped: dict = {}
    for (rate, nature), base in bases.items():
        grouped.setdefault(rate, {})[nature] = base
    return grouped


def _vat_per_nature(rate: Decimal, natures: dict, split: bool):
    """[(nature, VAT)] of one rate: the VAT of the rate's whole base, given to
    the goods account when VAT is not split, else shared between natures (each
    rounded on its base, the difference to the larger base)."""
    total = vat_of_base(sum(natures.values(), ZERO), rate)
    if not split or len(natures) == 1:
        nature = next(iter(natures)) if split else GOODS
        return [(nature, total)]
    shares = {nature: vat_of_base(base, rate) for nature, base in natures.items()}
    largest = max(natures, key=lambda nature: (abs(natures[nature]), nature))
    shares[largest] += total - sum(shares.values(), ZERO)
    return list(shares.items())


__all__ = [
    "CREDIT_NOTE", "DEPOSIT", "INVOICE", "DepositDeduction", "DocumentIn", "Entry",
    "EntryGenerator", "EntryLine", "Lettering", "Numbering", "Party", "PaymentIn",
    "SaleLine", "UnbalancedEntry",
]
