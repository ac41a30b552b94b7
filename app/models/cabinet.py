"""The accounting firm (cabinet): the tenant every staff user belongs to."""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.mixins import utcnow


class Cabinet(Model):
    __tablename__ = "cabinet"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    siren: Mapped[Optional[str]] = mapped_column(String(9))
    siret: Mapped[Optional[str]] = mapped_column(String(14))
    address: Mapped[Optional[str]] = mapped_column(Text)
    email: Mapped[Optional[str]] = mapped_column(String(320))
    phone: Mapped[Optional[str]] = mapped_column(String(30))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # The one Propriétaire. Nullable only while the cabinet and its owner are
    # created together (see app.security.cabinets.create_cabinet).
    owner_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("ab_user.id", use_alter=True, name="fk_cabinet_owner_id"),
        unique=True,
    )
    # Two logos, stored in the database so that every app server serves the same
    # files: the one the firm's staff see in the interface, and the one its
    # clients see in their space. Always re-encoded (app.cabinets.logos).
    interface_logo: Mapped[Optional[bytes]] = mapped_column(LargeBinary, deferred=True)
    interface_logo_type: Mapped[Optional[str]] = mapped_column(String(20))
    client_logo: Mapped[Optional[bytes]] = mapped_column(LargeBinary, deferred=True)
    client_logo_type: Mapped[Optional[str]] = mapped_column(String(20))
    logos_updated_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    # « Supprimer le compte du cabinet »: its users can no longer log in; its data
    # is kept until purge_after, then purged by `flask purge-cabinets`.
    deleted_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    purge_after: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    owner = relationship("AppUser", foreign_keys=[owner_id], post_update=True)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def __repr__(self):
        return self.name
