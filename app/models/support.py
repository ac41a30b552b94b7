"""Messages sent to the platform's support from the « Contacter le support » panel."""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.mixins import utcnow


class SupportMessage(Model):
    """A message from a user, with the cabinet and the page it came from. Read by
    the platform Admin only: it is not tenant data."""

    __tablename__ = "support_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False,
                                                    index=True)
    user_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), index=True)
    user_name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[Optional[str]] = mapped_column(String(320))
    cabinet_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("cabinet.id", ondelete="SET NULL"), index=True)
    client_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("client.id", ondelete="SET NULL"))
    page: Mapped[Optional[str]] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    handled_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    user = relationship("AppUser", foreign_keys=[user_id])
    cabinet = relationship("Cabinet", foreign_keys=[cabinet_id])
