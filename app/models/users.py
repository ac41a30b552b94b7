"""FAB's user extended with the cabinet (or client dossier) it belongs to."""
from typing import Optional

from flask_appbuilder.security.sqla.models import User as FabUser
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship


class AppUser(FabUser):
    """Named apart from FAB's `User` so that string references stay unambiguous."""

    __tablename__ = "ab_user"
    __table_args__ = (
        CheckConstraint(
            "cabinet_id IS NULL OR client_id IS NULL", name="ck_ab_user_one_tenant"
        ),
        {"extend_existing": True},
    )

    # Staff users belong to a cabinet, client users to one client dossier,
    # platform administrators to neither.
    cabinet_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("cabinet.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("client.id", ondelete="CASCADE"), index=True
    )
    phone: Mapped[Optional[str]] = mapped_column(String(30))
    job_title: Mapped[Optional[str]] = mapped_column(String(100))
    # Changed with the password: a session remembers the token it was opened
    # with, and one holding an older token is no longer valid.
    session_token: Mapped[Optional[str]] = mapped_column(String(64))

    cabinet = relationship("Cabinet", foreign_keys=[cabinet_id])
    client = relationship("Client", foreign_keys=[client_id])

    def get_id(self):
        """What Flask-Login keeps in the session: the id and, once the password
        has been changed here, the session token (app.security.sessions)."""
        if self.session_token:
            return f"{self.id}.{self.session_token}"
        return str(self.id)

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def role_names(self):
        """Roles held directly or through a FAB group."""
        names = {role.name for role in self.roles}
        for group in getattr(self, "groups", None) or []:
            names.update(role.name for role in group.roles)
        return names

    def __repr__(self):
        return self.full_name or self.username
