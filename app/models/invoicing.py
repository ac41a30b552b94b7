"""A client's invoicing data: its customers (contacts), articles, charges, and
its documents (invoices, credit notes, deposit invoices) with their payments.

Every table carries `client_id` (ClientOwned), so the tenant scoping
(app/security/tenancy.py) isolates it, lines and allocations included. Links
between two rows of a client go through composite foreign keys
(client_id, x_id) → x(client_id, id): the database itself refuses an invoice
of client A pointing to a contact of client B.

Money is Numeric(14, 2), rates and percentages Numeric(5, 2), quantities
Numeric(12, 3); amounts are computed by app.invoicing.totals, never here.
"""
import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean, CheckConstraint, Date, DateTime, ForeignKey, ForeignKeyConstraint, Index, Integer,
    Numeric, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.messages import N_
from app.models.mixins import ClientOwned, utcnow

MONEY = Numeric(14, 2)
RATE = Numeric(5, 2)
QUANTITY = Numeric(12, 3)

NATURES = ("goods", "services")
CHARGE_KINDS = ("tax", "fee", "discount")
DOCUMENT_KINDS = ("invoice", "credit_note", "deposit")
DOCUMENT_STATUSES = ("draft", "issued", "partially_paid", "paid", "cancelled")



# Labels shown on screen.
NATURE_LABELS = {"goods": N_("Bien"), "services": N_("Prestation de services")}
CHARGE_KIND_LABELS = {"tax": N_("Taxe"), "fee": N_("Frais"), "discount": N_("Remise")}
DOCUMENT_KIND_LABELS = {"invoice": N_("Facture"), "credit_note": N_("Avoir"),
                        "deposit": N_("Facture d'acompte")}
DOCUMENT_STATUS_LABELS = {"draft": N_("Brouillon"), "issued": N_("Émise"),
                          "partially_paid": N_("Partiellement réglée"), "paid": N_("Réglée"),
                          "cancelled": N_("Annulée"), "overdue": N_("En retard"),
                          "credited": N_("Annulée par avoir")}


def _in(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _rate_check(column, name):
    return CheckConstraint(f"{column} >= 0 AND {column} < 100", name=name)


def _same_client_fk(column, target, name, ondelete=None):
    """(client_id, column) → target(client_id, id): both rows belong to one client."""
    return ForeignKeyConstraint(["client_id", column], [f"{target}.client_id", f"{target}.id"],
                                name=name, ondelete=ondelete)


class Contact(ClientOwned, Model):
    """« Client du client »: a customer of the client, company or person."""

    __tablename__ = "contact"
    __client_id_index__ = "uq_contact_client_id"
    # History of the accounting settings (app.models.versioning): the auxiliary account,
    # with the name for the history's labels; the rest is not versioned.
    __versioned__ = {"exclude": [
        "address_line1", "address_line2", "postcode", "city", "country", "email", "phone",
        "siren", "vat_number", "created_at"]}
    __table_args__ = (
        UniqueConstraint("client_id", "id", name="uq_contact_client_id"),
        UniqueConstraint("client_id", "auxiliary_account", name="uq_contact_auxiliary_account"),
        Index("ix_contact_client_name", "client_id", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    is_company: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Company name, or the person's last name.
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    first_name: Mapped[Optional[str]] = mapped_column(String(100))
    address_line1: Mapped[Optional[str]] = mapped_column(String(200))
    address_line2: Mapped[Optional[str]] = mapped_column(String(200))
    postcode: Mapped[Optional[str]] = mapped_column(String(20))
    city: Mapped[Optional[str]] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), nullable=False, default="FR",
                                         server_default="FR")
    email: Mapped[Optional[str]] = mapped_column(String(320))
    phone: Mapped[Optional[str]] = mapped_column(String(30))
    siren: Mapped[Optional[str]] = mapped_column(String(9))
    vat_number: Mapped[Optional[str]] = mapped_column(String(20))
    # Auxiliary account code in the accounting (under the collective 411).
    auxiliary_account: Mapped[Optional[str]] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    @property
    def display_name(self):
        if self.is_company or not self.first_name:
            return self.name
        return f"{self.first_name} {self.name}"

    def __repr__(self):
        return self.display_name


class ArticleCategory(ClientOwned, Model):
    """« Catégorie d'articles », with the sales account its articles use."""

    __tablename__ = "article_category"
    __client_id_index__ = "uq_article_category_name"
    __versioned__ = {}  # history of the account (app.models.versioning)
    __table_args__ = (
        UniqueConstraint("client_id", "name", name="uq_article_category_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    account: Mapped[Optional[str]] = mapped_column(String(20))

    def __repr__(self):
        return self.name


class Article(ClientOwned, Model):
    """« Article »: a good or a service the client sells."""

    __tablename__ = "article"
    __client_id_index__ = "uq_article_reference"
    # History of the account (app.models.versioning), with the label for the history.
    __versioned__ = {"exclude": ["reference", "nature", "unit_price_ht", "vat_rate",
                                 "category_id"]}
    __table_args__ = (
        UniqueConstraint("client_id", "reference", name="uq_article_reference"),
        Index("ix_article_client_label", "client_id", "label"),
        CheckConstraint(_in("nature", NATURES), name="ck_article_nature"),
        CheckConstraint("unit_price_ht >= 0", name="ck_article_unit_price"),
        _rate_check("vat_rate", "ck_article_vat_rate"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[Optional[str]] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    nature: Mapped[str] = mapped_column(String(10), nullable=False, default="services")
    unit_price_ht: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    vat_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    category_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("article_category.id", ondelete="SET NULL"), index=True)
    account: Mapped[Optional[str]] = mapped_column(String(20))

    category = relationship("ArticleCategory")

    def __repr__(self):
        return self.label


class Charge(ClientOwned, Model):
    """« Taxes, frais & remises » the client applies to its documents."""

    __tablename__ = "charge"
    # History of the account (app.models.versioning), with the label for the history.
    __versioned__ = {"exclude": ["kind", "amount", "percentage", "vat_rate"]}
    __table_args__ = (
        CheckConstraint(_in("kind", CHARGE_KINDS), name="ck_charge_kind"),
        CheckConstraint("(amount IS NULL) <> (percentage IS NULL)",
                        name="ck_charge_amount_or_percentage"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="ck_charge_amount"),
        CheckConstraint("percentage IS NULL OR (percentage >= 0 AND percentage <= 100)",
                        name="ck_charge_percentage"),
        _rate_check("vat_rate", "ck_charge_vat_rate"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    amount: Mapped[Optional[Decimal]] = mapped_column(MONEY)
    percentage: Mapped[Optional[Decimal]] = mapped_column(RATE)
    vat_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    account: Mapped[Optional[str]] = mapped_column(String(20))

    def __repr__(self):
        return self.label


class Invoice(ClientOwned, Model):
    """A document: invoice (F-), credit note (« avoir », AV-) or deposit
    invoice (« facture d'acompte », AC-). The number is given at issue
    (app.invoicing.numbering); an issued document is never changed, only
    corrected by a credit note. « En retard » is derived from due_date."""

    __tablename__ = "invoice"
    __client_id_index__ = "uq_invoice_client_id"
    __table_args__ = (
        UniqueConstraint("client_id", "id", name="uq_invoice_client_id"),
        UniqueConstraint("client_id", "kind", "number", name="uq_invoice_number"),
        Index("ix_invoice_client_issue_date", "client_id", "issue_date"),
        Index("ix_invoice_client_status", "client_id", "status"),
        _same_client_fk("contact_id", "contact", "fk_invoice_contact"),
        _same_client_fk("corrects_invoice_id", "invoice", "fk_invoice_corrects"),
        CheckConstraint(_in("kind", DOCUMENT_KINDS), name="ck_invoice_kind"),
        CheckConstraint(_in("status", DOCUMENT_STATUSES), name="ck_invoice_status"),
        CheckConstraint("status = 'draft' OR (number IS NOT NULL AND issue_date IS NOT NULL)",
                        name="ck_invoice_issued_numbered"),
        CheckConstraint("corrects_invoice_id IS NULL OR kind = 'credit_note'",
                        name="ck_invoice_corrects_credit_note"),
        CheckConstraint("total_ht >= 0 AND total_vat >= 0", name="ck_invoice_totals_positive"),
        # Within half a cent, not "=": SQLite keeps NUMERIC as binary floating point,
        # where 0.05 + 0.01 is not 0.06. PostgreSQL's numeric is exact either way.
        CheckConstraint("ABS(total_ttc - total_ht - total_vat) < 0.005",
                        name="ck_invoice_ttc"),
        CheckConstraint("deposits_ttc >= 0 AND credited_ttc >= 0 AND paid_ttc >= 0",
                        name="ck_invoice_settlements_positive"),
        CheckConstraint("deposits_ttc + credited_ttc < total_ttc + 0.005",
                        name="ck_invoice_credit_within_total"),
        Index("ix_invoice_client_kind_status_due", "client_id", "kind", "status", "due_date"),
        # The space's document list pages in this order (newest first).
        Index("ix_invoice_client_created", "client_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False, default="invoice")
    number: Mapped[Optional[str]] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    issue_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    due_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    contact_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    corrects_invoice_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    notes: Mapped[Optional[str]] = mapped_column(Text)
    total_ht: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    total_vat: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    total_ttc: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    # What settles the TTC, kept by app.invoicing.documents in the same transaction
    # as the document, credit note or payment that changes it, so that balances
    # and the aged balance are sums in SQL: earlier deposit invoices deducted from
    # this final invoice, issued credit notes correcting it, payments allocated to it.
    deposits_ttc: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"),
                                                  server_default="0")
    credited_ttc: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"),
                                                  server_default="0")
    paid_ttc: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"),
                                              server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    issued_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    contact = relationship("Contact", foreign_keys=[contact_id],
                           primaryjoin="Invoice.contact_id == Contact.id")
    corrects = relationship("Invoice", remote_side=[id], foreign_keys=[corrects_invoice_id],
                            primaryjoin="Invoice.corrects_invoice_id == Invoice.id")
    lines = relationship("InvoiceLine", back_populates="invoice", order_by="InvoiceLine.position",
                         cascade="all, delete-orphan", passive_deletes=True)
    charges = relationship("InvoiceCharge", back_populates="invoice",
                           order_by="InvoiceCharge.position",
                           cascade="all, delete-orphan", passive_deletes=True)

    deposit_deductions = relationship(
        "InvoiceDeposit", back_populates="invoice", cascade="all, delete-orphan",
        passive_deletes=True, foreign_keys="InvoiceDeposit.invoice_id",
        primaryjoin="InvoiceDeposit.invoice_id == Invoice.id")

    @property
    def is_draft(self):
        return self.status == "draft"

    @property
    def amount_due(self) -> Decimal:
        """What the customer still owes on this document (negative: owed to them)."""
        return ((self.total_ttc or 0) - (self.deposits_ttc or 0) - (self.credited_ttc or 0)
                - (self.paid_ttc or 0))

    @property
    def balance_due(self) -> Optional[Decimal]:
        """What the screens show as « Reste dû »: nothing for a draft or a credit note."""
        if self.is_draft or self.kind == "credit_note" or self.status == "cancelled":
            return None
        return self.amount_due

    @property
    def display_status(self) -> str:
        """The status as shown: « overdue » when past due and still owing,
        « credited » when credit notes, not payments, settled it entirely."""
        if self.is_overdue(dt.date.today()):
            return "overdue"
        if self.status == "paid" and not self.paid_ttc and self.credited_ttc:
            return "credited"
        return self.status

    def is_overdue(self, today: dt.date) -> bool:
        return (self.kind != "credit_note" and self.status in ("issued", "partially_paid")
                and self.due_date is not None
                and self.due_date < today and self.amount_due > 0)

    def __repr__(self):
        return self.number or f"{DOCUMENT_KIND_LABELS.get(self.kind, self.kind)} (brouillon)"


class InvoiceLine(ClientOwned, Model):
    __tablename__ = "invoice_line"
    __client_id_index__ = "ix_invoice_line_client_invoice"
    __table_args__ = (
        UniqueConstraint("invoice_id", "position", name="uq_invoice_line_position"),
        # The joins on the client-bound key (client_id, invoice_id): SQLite, without
        # statistics, otherwise walks every line of the client for each document.
        Index("ix_invoice_line_client_invoice", "client_id", "invoice_id"),
        _same_client_fk("invoice_id", "invoice", "fk_invoice_line_invoice", ondelete="CASCADE"),
        CheckConstraint(_in("nature", NATURES), name="ck_invoice_line_nature"),
        CheckConstraint("quantity >= 0", name="ck_invoice_line_quantity"),
        CheckConstraint("unit_price_ht >= 0", name="ck_invoice_line_unit_price"),
        CheckConstraint("discount_pct >= 0 AND discount_pct <= 100",
                        name="ck_invoice_line_discount"),
        CheckConstraint("total_ht >= 0", name="ck_invoice_line_total"),
        _rate_check("vat_rate", "ck_invoice_line_vat_rate"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Indexed by the unique (invoice_id, position).
    invoice_id: Mapped[int] = mapped_column(Integer, nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    # The article the line was filled from; its label, price and rate are copied.
    article_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("article.id", ondelete="SET NULL"), index=True)
    label: Mapped[str] = mapped_column(String(500), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY, nullable=False, default=Decimal("1"))
    unit_price_ht: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    discount_pct: Mapped[Decimal] = mapped_column(RATE, nullable=False, default=Decimal("0"))
    vat_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    nature: Mapped[str] = mapped_column(String(10), nullable=False, default="services")
    total_ht: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))

    invoice = relationship("Invoice", back_populates="lines", foreign_keys=[invoice_id],
                           primaryjoin="InvoiceLine.invoice_id == Invoice.id")
    article = relationship("Article")


class InvoiceCharge(ClientOwned, Model):
    """A tax, fee or discount applied to one document, copied from `Charge`."""

    __tablename__ = "invoice_charge"
    __client_id_index__ = "ix_invoice_charge_client_invoice"
    __table_args__ = (
        UniqueConstraint("invoice_id", "position", name="uq_invoice_charge_position"),
        Index("ix_invoice_charge_client_invoice", "client_id", "invoice_id"),
        _same_client_fk("invoice_id", "invoice", "fk_invoice_charge_invoice",
                        ondelete="CASCADE"),
        CheckConstraint(_in("kind", CHARGE_KINDS), name="ck_invoice_charge_kind"),
        CheckConstraint("(amount IS NULL) <> (percentage IS NULL)",
                        name="ck_invoice_charge_amount_or_percentage"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="ck_invoice_charge_amount"),
        CheckConstraint("percentage IS NULL OR (percentage >= 0 AND percentage <= 100)",
                        name="ck_invoice_charge_percentage"),
        CheckConstraint("total_ht >= 0", name="ck_invoice_charge_total"),
        _rate_check("vat_rate", "ck_invoice_charge_vat_rate"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Indexed by the unique (invoice_id, position).
    invoice_id: Mapped[int] = mapped_column(Integer, nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    charge_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("charge.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    amount: Mapped[Optional[Decimal]] = mapped_column(MONEY)
    percentage: Mapped[Optional[Decimal]] = mapped_column(RATE)
    vat_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    # Always positive; a discount is subtracted by the totals.
    total_ht: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))

    invoice = relationship("Invoice", back_populates="charges", foreign_keys=[invoice_id],
                           primaryjoin="InvoiceCharge.invoice_id == Invoice.id")
    charge = relationship("Charge")


class InvoiceDeposit(ClientOwned, Model):
    """An earlier deposit invoice (« facture d'acompte ») deducted from a final
    invoice of the same customer. A deposit is deducted once, as a whole."""

    __tablename__ = "invoice_deposit"
    __table_args__ = (
        UniqueConstraint("deposit_id", name="uq_invoice_deposit_once"),
        UniqueConstraint("invoice_id", "deposit_id", name="uq_invoice_deposit_pair"),
        _same_client_fk("invoice_id", "invoice", "fk_invoice_deposit_invoice",
                        ondelete="CASCADE"),
        _same_client_fk("deposit_id", "invoice", "fk_invoice_deposit_deposit"),
        CheckConstraint("invoice_id <> deposit_id", name="ck_invoice_deposit_not_itself"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(Integer, nullable=False)
    deposit_id: Mapped[int] = mapped_column(Integer, nullable=False)

    invoice = relationship("Invoice", back_populates="deposit_deductions",
                           foreign_keys=[invoice_id],
                           primaryjoin="InvoiceDeposit.invoice_id == Invoice.id")
    deposit = relationship("Invoice", foreign_keys=[deposit_id],
                           primaryjoin="InvoiceDeposit.deposit_id == Invoice.id")


class Payment(ClientOwned, Model):
    """« Règlement » received from a contact, allocated to one or more documents."""

    __tablename__ = "payment"
    __client_id_index__ = "uq_payment_client_id"
    __table_args__ = (
        UniqueConstraint("client_id", "id", name="uq_payment_client_id"),
        Index("ix_payment_client_date", "client_id", "date"),
        _same_client_fk("contact_id", "contact", "fk_payment_contact"),
        CheckConstraint("amount > 0", name="ck_payment_amount"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    # Label of the payment mode (« Virement », « Chèque »…); its account comes
    # from the accounting plan's payment modes.
    payment_mode: Mapped[str] = mapped_column(String(60), nullable=False)
    reference: Mapped[Optional[str]] = mapped_column(String(100))
    contact_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    contact = relationship("Contact", foreign_keys=[contact_id],
                           primaryjoin="Payment.contact_id == Contact.id")
    # Selectin: the payment list shows the documents each payment settles
    # (Payment.documents) in two queries per page, not two per row.
    allocations = relationship("PaymentAllocation", back_populates="payment",
                               cascade="all, delete-orphan", passive_deletes=True,
                               lazy="selectin")

    @property
    def documents(self):
        """The numbers of the documents this payment settles."""
        return ", ".join(allocation.invoice.number or "" for allocation in self.allocations)


class PaymentAllocation(ClientOwned, Model):
    """The part of a payment that settles one document (partial payments allowed)."""

    __tablename__ = "payment_allocation"
    __client_id_index__ = "ix_payment_allocation_client_payment"
    __table_args__ = (
        UniqueConstraint("payment_id", "invoice_id", name="uq_payment_allocation"),
        Index("ix_payment_allocation_client_payment", "client_id", "payment_id"),
        _same_client_fk("payment_id", "payment", "fk_payment_allocation_payment",
                        ondelete="CASCADE"),
        _same_client_fk("invoice_id", "invoice", "fk_payment_allocation_invoice"),
        CheckConstraint("amount > 0", name="ck_payment_allocation_amount"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Indexed by the unique (payment_id, invoice_id).
    payment_id: Mapped[int] = mapped_column(Integer, nullable=False)
    invoice_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)

    payment = relationship("Payment", back_populates="allocations", foreign_keys=[payment_id],
                           primaryjoin="PaymentAllocation.payment_id == Payment.id")
    invoice = relationship("Invoice", foreign_keys=[invoice_id],
                           primaryjoin="PaymentAllocation.invoice_id == Invoice.id",
                           lazy="selectin")


ACCESS_MODES = ("read", "admin")
ACCESS_MODE_LABELS = {"read": N_("Lecture seule"), "admin": N_("Administrateur")}


class AccountAccess(ClientOwned, Model):
    """One opening of the client's invoicing space by a member of the firm:
    who, when, in which mode. The client user sees these records."""

    __tablename__ = "account_access"
    __client_id_index__ = "ix_account_access_client_at"
    __table_args__ = (
        Index("ix_account_access_client_at", "client_id", "at"),
        CheckConstraint(_in("mode", ACCESS_MODES), name="ck_account_access_mode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Kept when the collaborator leaves: the record names them.
    user_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), index=True)
    user_name: Mapped[str] = mapped_column(String(200), nullable=False)
    mode: Mapped[str] = mapped_column(String(10), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    user = relationship("AppUser")


class DocumentSequence(ClientOwned, Model):
    """The last number given per client, document kind and year (see
    app.invoicing.numbering). A row is only ever incremented."""

    __tablename__ = "document_sequence"
    __client_id_index__ = "uq_document_sequence"
    __table_args__ = (
        UniqueConstraint("client_id", "kind", "year", name="uq_document_sequence"),
        CheckConstraint(_in("kind", DOCUMENT_KINDS), name="ck_document_sequence_kind"),
        CheckConstraint("last_number >= 0", name="ck_document_sequence_last_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
