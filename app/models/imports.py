"""Imports of a client's contacts and articles (issue 8): the record of each
import, and the uploaded file waiting between its preview and its confirmation.

`ImportRecord` is the history the « Imports » screen lists: who, when, which
file, how many rows created, updated and refused, and whether the import was
done (« importé ») or refused (« refusé », nothing written). It is written in
the import's own transaction when the import succeeds, and after the rollback
when it is refused (app.imports.service).

`ImportUpload` keeps the bytes of an uploaded file between « Vérifier » and
« Importer », with the options chosen, for its owner only: the screens name
an upload by its id and a random `token` (43 URL-safe characters), checked
with the user id (app.imports.service.load_upload); it expires after
IMPORT_UPLOAD_TTL_MINUTES and is purged by `purge_expired_uploads`.

Both are ClientOwned: the tenant scoping isolates them like any client data,
and they go with the client (ON DELETE CASCADE).
"""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary, String,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.messages import N_
from app.models.mixins import ClientOwned, utcnow

IMPORT_KINDS = ("contacts", "articles")
IMPORT_STATUSES = ("imported", "refused")
IMPORT_STATUS_LABELS = {"imported": N_("importé"), "refused": N_("refusé")}


class ImportRecord(ClientOwned, Model):
    """One import of a file into a client dossier, done or refused."""

    __tablename__ = "import_record"
    __client_id_index__ = "ix_import_record_client_created"
    __table_args__ = (
        CheckConstraint("kind IN ('contacts', 'articles')", name="ck_import_record_kind"),
        CheckConstraint("status IN ('imported', 'refused')", name="ck_import_record_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # Kept when the collaborator leaves: the record names them.
    user_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), index=True)
    user_name: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    rows_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rows_created: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    update_existing: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # What the reader detected (app.imports.reading.Table.detected): « xlsx » / « csv »,
    # the text encoding and the separator of a CSV.
    detected_format: Mapped[Optional[str]] = mapped_column(String(10))
    detected_encoding: Mapped[Optional[str]] = mapped_column(String(20))
    detected_separator: Mapped[Optional[str]] = mapped_column(String(12))

    user = relationship("AppUser")

    @property
    def is_imported(self) -> bool:
        return self.status == "imported"

    def __repr__(self):
        return f"{self.kind} {self.file_name} ({self.status})"


# The screens list a client's imports newest first (created_at DESC, id DESC).
Index("ix_import_record_client_created", ImportRecord.__table__.c.client_id,
      ImportRecord.__table__.c.created_at.desc(), ImportRecord.__table__.c.id.desc())


class ImportUpload(ClientOwned, Model):
    """An uploaded file, kept from its preview to its confirmation (or expiry)."""

    __tablename__ = "import_upload"
    __table_args__ = (
        CheckConstraint("kind IN ('contacts', 'articles')", name="ck_import_upload_kind"),
        Index("ix_import_upload_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # secrets.token_urlsafe(32): 43 characters.
    token: Mapped[str] = mapped_column(String(43), nullable=False, unique=True)
    # The upload is its sender's only; it goes with their account.
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    # Loaded only when the file is read again (preview, confirmation).
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    update_existing: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)

    def __repr__(self):
        return f"{self.kind} {self.file_name}"
