"""Charts of accounts (« plans comptables ») and their sections (DESIGN.md §2).

One shape, three scopes:
- a default plan shipped with the product: no cabinet, no client, a stable
  `code` ("pcg", "pcg-dom") by which app.plans.defaults keeps it up to date;
  firms read and duplicate it, never change it;
- a firm plan (« modèle »): `cabinet_id`;
- a client's own plan: `client_id`, created when a plan is applied to the
  client, remembering `source_plan_id`.

The journal settings (« Journaux ») are columns of the plan; accounts, VAT
rates and payment modes are rows of the plan (PlanOwned: the tenant scoping
follows their plan). Settings refer to accounts by number, as the accounting
software does: a duplicate is a plain deep copy, and « in use » is checked by
number (app.plans).
"""
import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, Numeric, String,
    UniqueConstraint, false,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.messages import N_
from app.models.mixins import utcnow

ACCOUNT_KINDS = ("customer", "vat", "sales", "deposit", "discount", "bank", "cash", "other")
ACCOUNT_KIND_LABELS = {
    "customer": "Client", "vat": "TVA", "sales": "Vente", "deposit": "Acompte",
    "discount": "Remise", "bank": "Banque", "cash": "Caisse", "other": "Autre",
}


class PlanOwned:
    """A row of one plan (app.security.tenancy scopes it through its plan)."""

    @declared_attr
    def plan_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("accounting_plan.id", ondelete="CASCADE"),
                             nullable=False)


class AccountingPlan(Model):
    __tablename__ = "accounting_plan"
    # History (app.models.versioning): the name and the « Journaux » columns.
    # (The owner never changes: not versioned.)
    __versioned__ = {"exclude": ["code", "cabinet_id", "client_id", "source_plan_id",
                                 "created_at", "updated_at"]}
    __table_args__ = (
        CheckConstraint("cabinet_id IS NULL OR client_id IS NULL", name="ck_plan_one_owner"),
        CheckConstraint("code IS NULL OR (cabinet_id IS NULL AND client_id IS NULL)",
                        name="ck_plan_code_default_only"),
        CheckConstraint("account_length BETWEEN 4 AND 13", name="ck_plan_account_length"),
        UniqueConstraint("code", name="uq_plan_code"),
        # A client has one plan of its own.
        UniqueConstraint("client_id", name="uq_plan_client"),
        Index("ix_plan_cabinet_name", "cabinet_id", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    code: Mapped[Optional[str]] = mapped_column(String(30))
    # Indexed by ix_plan_cabinet_name.
    cabinet_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("cabinet.id", ondelete="CASCADE"))
    client_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("client.id", ondelete="CASCADE"))
    source_plan_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("accounting_plan.id", ondelete="SET NULL"), index=True)

    # « Journaux »
    account_length: Mapped[int] = mapped_column(Integer, nullable=False, default=6,
                                                server_default="6")
    sales_journal: Mapped[Optional[str]] = mapped_column(String(4))
    customer_account: Mapped[Optional[str]] = mapped_column(String(20))
    auxiliary_root: Mapped[Optional[str]] = mapped_column(String(10))
    sales_account: Mapped[Optional[str]] = mapped_column(String(20))
    deposit_account: Mapped[Optional[str]] = mapped_column(String(20))
    credit_note_account: Mapped[Optional[str]] = mapped_column(String(20))
    incorporate_vat_deposit: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                                          default=False, server_default=false())
    incorporate_vat_article: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                                          default=False, server_default=false())
    split_vat_by_nature: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                                      default=False, server_default=false())
    bank_journal: Mapped[Optional[str]] = mapped_column(String(4))
    bank_account: Mapped[Optional[str]] = mapped_column(String(20))

    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow,
                                                    nullable=False)

    source = relationship("AccountingPlan", remote_side=[id])
    accounts = relationship("PlanAccount", back_populates="plan", cascade="all, delete-orphan",
                            passive_deletes=True, order_by="PlanAccount.number")
    vat_rates = relationship("PlanVatRate", back_populates="plan",
                             cascade="all, delete-orphan", passive_deletes=True,
                             order_by="PlanVatRate.rate.desc()")
    payment_modes = relationship("PlanPaymentMode", back_populates="plan",
                                 cascade="all, delete-orphan", passive_deletes=True,
                                 order_by="PlanPaymentMode.label")

    @property
    def is_default(self):
        return self.cabinet_id is None and self.client_id is None

    def __repr__(self):
        return self.name


class PlanAccount(PlanOwned, Model):
    """« Compte » of a plan: number as the accounting software knows it (unpadded)."""

    __tablename__ = "plan_account"
    __versioned__ = {}
    __table_args__ = (
        UniqueConstraint("plan_id", "number", name="uq_plan_account_number"),
        CheckConstraint("kind IN ('customer', 'vat', 'sales', 'deposit', 'discount', "
                        "'bank', 'cash', 'other')", name="ck_plan_account_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default="other")

    plan = relationship("AccountingPlan", back_populates="accounts")

    def __repr__(self):
        return f"{self.number} {self.label}"


class PlanVatRate(PlanOwned, Model):
    """« Taux de TVA » of a plan, with its VAT and sales accounts per nature."""

    __tablename__ = "plan_vat_rate"
    __versioned__ = {}
    __table_args__ = (
        UniqueConstraint("plan_id", "rate", name="uq_plan_vat_rate"),
        CheckConstraint("rate >= 0 AND rate < 100", name="ck_plan_vat_rate"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    label: Mapped[str] = mapped_column(String(120), nullable=False)
    goods_vat_account: Mapped[Optional[str]] = mapped_column(String(20))
    services_vat_account: Mapped[Optional[str]] = mapped_column(String(20))
    goods_sales_account: Mapped[Optional[str]] = mapped_column(String(20))
    services_sales_account: Mapped[Optional[str]] = mapped_column(String(20))

    plan = relationship("AccountingPlan", back_populates="vat_rates")

    def __repr__(self):
        return self.label


class PlanPaymentMode(PlanOwned, Model):
    """« Mode de paiement » of a plan: the account and journal its payments go to."""

    __tablename__ = "plan_payment_mode"
    __versioned__ = {}
    __table_args__ = (
        UniqueConstraint("plan_id", "label", name="uq_plan_payment_mode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(60), nullable=False)
    account: Mapped[Optional[str]] = mapped_column(String(20))
    journal_code: Mapped[Optional[str]] = mapped_column(String(4))

    plan = relationship("AccountingPlan", back_populates="payment_modes")

    def __repr__(self):
        return self.label


PLAN_COPIED_COLUMNS = (
    "account_length", "sales_journal", "customer_account", "auxiliary_root", "sales_account",
    "deposit_account", "credit_note_account", "incorporate_vat_deposit",
    "incorporate_vat_article", "split_vat_by_nature", "bank_journal", "bank_account",
)

# French names of the « Journaux » settings (screens, history, apply preview).
SETTING_LABELS = {
    "account_length": N_("Taille des comptes"),
    "sales_journal": N_("Journal des ventes"),
    "customer_account": N_("Compte client général"),
    "auxiliary_root": N_("Racine des comptes auxiliaires"),
    "sales_account": N_("Compte de vente"),
    "deposit_account": N_("Compte d'acomptes"),
    "credit_note_account": N_("Compte d'avoirs"),
    "incorporate_vat_deposit": N_("Incorporer TVA : acomptes"),
    "incorporate_vat_article": N_("Incorporer TVA : articles"),
    "split_vat_by_nature": N_("Séparation des TVA par nature d'articles"),
    "bank_journal": N_("Journal de banque"),
    "bank_account": N_("Compte de banque"),
}
