"""The accounting firm (cabinet): the tenant every staff user belongs to."""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
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
    owner = relationship("AppUser", foreign_keys=[owner_id], post_update=True)

    def __repr__(self):
        return self.name
