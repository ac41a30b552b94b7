"""Client dossiers of a cabinet, their assigned collaborators and dashboard pins."""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import (
    JSON, Boolean, false, Column, DateTime, ForeignKey, Index, Integer, String, Table, UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clients.search import client_search_text
from app.models.mixins import CabinetOwned, utcnow

PACKS = ("Essentiel", "Standard", "Premium")

client_collaborator = Table(
    "client_collaborator",
    Model.metadata,
    Column("client_id", Integer, ForeignKey("client.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Client(CabinetOwned, Model):
    __tablename__ = "client"
    __cabinet_id_index__ = "uq_client_cabinet_dossier_code"
    __table_args__ = (
        UniqueConstraint("cabinet_id", "dossier_code", name="uq_client_cabinet_dossier_code"),
        # The client list pages through one cabinet in these orders (see clients/listing.py).
        Index("ix_client_cabinet_created", "cabinet_id", "created_at", "id"),
        Index("ix_client_cabinet_name", "cabinet_id", "name", "id"),
        Index("ix_client_cabinet_last_login", "cabinet_id", "last_login_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    siren: Mapped[Optional[str]] = mapped_column(String(9), index=True)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    pack: Mapped[str] = mapped_column(String(20), nullable=False, default="Essentiel")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, nullable=False, index=True
    )
    last_login_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, index=True)
    # Isacompta « numéro de dossier »: links the client to its accounting dossier.
    dossier_code: Mapped[Optional[str]] = mapped_column(String(20))
    dossier_label: Mapped[Optional[str]] = mapped_column(String(120))
    multi_vat: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    client_can_edit_accounting: Mapped[bool] = mapped_column(
        Boolean, default=False, nullable=False
    )
    # Set by the client user only: may the firm act in the invoicing space, or only read?
    accountant_is_admin: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # The seller's details printed on its documents (mandatory French mentions).
    legal_form: Mapped[Optional[str]] = mapped_column(String(60))
    share_capital: Mapped[Optional[str]] = mapped_column(String(40))
    rcs_city: Mapped[Optional[str]] = mapped_column(String(80))
    address_line1: Mapped[Optional[str]] = mapped_column(String(200))
    address_line2: Mapped[Optional[str]] = mapped_column(String(200))
    postcode: Mapped[Optional[str]] = mapped_column(String(20))
    city: Mapped[Optional[str]] = mapped_column(String(100))
    phone: Mapped[Optional[str]] = mapped_column(String(30))
    vat_number: Mapped[Optional[str]] = mapped_column(String(20))
    # « TVA non applicable, art. 293 B du CGI » (franchise en base).
    vat_exempt: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False,
                                             server_default=false())
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30, nullable=False,
                                                    server_default="30")
    # Normalised copy of name, SIREN, dossier and email for the search box.
    search_text: Mapped[str] = mapped_column(String(1000), nullable=False, default="",
                                             server_default="")

    cabinet = relationship("Cabinet")
    collaborators = relationship(
        "AppUser", secondary=client_collaborator, lazy="selectin",
        order_by="AppUser.last_name",
    )

    @property
    def has_dossier(self):
        return bool(self.dossier_code)

    def refresh_search_text(self):
        self.search_text = client_search_text(
            self.name, self.siren, self.dossier_code, self.dossier_label, self.email)

    def __repr__(self):
        return self.name


@event.listens_for(Client, "before_insert")
@event.listens_for(Client, "before_update")
def _keep_search_text(_mapper, _connection, client):
    client.refresh_search_text()


class DashboardPin(Model):
    __tablename__ = "dashboard_pin"
    __table_args__ = (UniqueConstraint("user_id", "client_id", name="uq_dashboard_pin"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Indexed by uq_dashboard_pin.
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False
    )
    client_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("client.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    user = relationship("AppUser")
    client = relationship("Client")


class UserPreference(Model):
    """One user's display choices, kept across sessions (e.g. the client list's
    columns and display mode), as a small JSON document per key."""

    __tablename__ = "user_preference"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_user_preference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Indexed by uq_user_preference.
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False
    )
    key: Mapped[str] = mapped_column(String(60), nullable=False)
    value = mapped_column(JSON, nullable=False)
