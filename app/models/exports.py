"""Accounting exports (« exports comptables »): each batch, the documents and
payments it carried, and its file, kept to be downloaded again identically.

A document or a payment carried by a batch is « exporté »: later exports leave
it out unless the user asks to include it again (DESIGN.md §2, ExportBatch).
The file is stored in the database, compressed in chunks (`ExportFileChunk`),
so that every app server serves the same bytes and a file of a million lines
is written and read back without holding it in memory.
"""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import (
    JSON, BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey,
    ForeignKeyConstraint, Index, Integer, LargeBinary, PrimaryKeyConstraint, String, Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.messages import N_
from app.models.mixins import ClientOwned, ClientOwnedThroughParent, utcnow

EXPORT_FORMATS = ("fec", "isacompta", "xlsx")
EXPORT_FORMAT_LABELS = {"fec": N_("FEC"), "isacompta": N_("Isacompta"),
                        "xlsx": N_("Tableur (XLSX)")}
EXPORT_STATUSES = ("running", "done", "failed")
EXPORT_STATUS_LABELS = {"running": N_("En cours"), "done": N_("Terminé"),
                        "failed": N_("Échoué")}


class ExportBatch(ClientOwned, Model):
    """One export of a client's entries: who, when, period, format, counts, and
    the SHA-256 of the file. `number` is continuous per client."""

    __tablename__ = "export_batch"
    __client_id_index__ = "uq_export_batch_client_id"
    __table_args__ = (
        UniqueConstraint("client_id", "id", name="uq_export_batch_client_id"),
        UniqueConstraint("client_id", "number", name="uq_export_batch_number"),
        CheckConstraint("format IN ('fec', 'isacompta', 'xlsx')", name="ck_export_batch_format"),
        CheckConstraint("status IN ('running', 'done', 'failed')", name="ck_export_batch_status"),
        CheckConstraint("period_start <= period_end", name="ck_export_batch_period"),
        Index("ix_export_batch_client_created", "client_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    format: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="running")
    period_start: Mapped[dt.date] = mapped_column(Date, nullable=False)
    period_end: Mapped[dt.date] = mapped_column(Date, nullable=False)
    include_exported: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Separator and encoding of the file (FEC: tab or pipe, UTF-8 or ISO-8859-15).
    options = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    user_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    user_name: Mapped[str] = mapped_column(String(200), nullable=False)
    entry_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    line_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    document_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    payment_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Progress of a running export: documents and payments turned into entries so far.
    progress_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Last entry number used per journal ({"VT": 120, "BQ": 80}): the next batch goes on.
    numbering = mapped_column(JSON, nullable=False, default=dict)
    file_name: Mapped[Optional[str]] = mapped_column(String(200))
    file_size: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    sha256: Mapped[Optional[str]] = mapped_column(String(64))
    error: Mapped[Optional[str]] = mapped_column(Text)

    user = relationship("AppUser")

    @property
    def is_done(self) -> bool:
        return self.status == "done"


class ExportBatchDocument(ClientOwnedThroughParent, Model):
    """A document (invoice, credit note, deposit) carried by a batch."""

    __tablename__ = "export_batch_document"
    __client_id_index__ = "export_batch_document_pkey"
    __table_args__ = (
        # the next export's anti-join reads (client_id, invoice_id); no surrogate id.
        PrimaryKeyConstraint("client_id", "invoice_id", "batch_id",
                             name="export_batch_document_pkey"),
        ForeignKeyConstraint(["client_id", "batch_id"],
                             ["export_batch.client_id", "export_batch.id"],
                             name="fk_export_batch_document_batch", ondelete="CASCADE"),
        ForeignKeyConstraint(["client_id", "invoice_id"], ["invoice.client_id", "invoice.id"],
                             name="fk_export_batch_document_invoice"),
    )

    batch_id: Mapped[int] = mapped_column(Integer, nullable=False)
    invoice_id: Mapped[int] = mapped_column(Integer, nullable=False)


class ExportBatchPayment(ClientOwnedThroughParent, Model):
    """A payment carried by a batch."""

    __tablename__ = "export_batch_payment"
    __client_id_index__ = "export_batch_payment_pkey"
    __table_args__ = (
        # the next export's anti-join reads (client_id, payment_id); no surrogate id.
        PrimaryKeyConstraint("client_id", "payment_id", "batch_id",
                             name="export_batch_payment_pkey"),
        ForeignKeyConstraint(["client_id", "batch_id"],
                             ["export_batch.client_id", "export_batch.id"],
                             name="fk_export_batch_payment_batch", ondelete="CASCADE"),
        ForeignKeyConstraint(["client_id", "payment_id"], ["payment.client_id", "payment.id"],
                             name="fk_export_batch_payment_payment"),
    )

    batch_id: Mapped[int] = mapped_column(Integer, nullable=False)
    payment_id: Mapped[int] = mapped_column(Integer, nullable=False)


class ExportFileChunk(ClientOwned, Model):
    """A piece of a batch's file, zlib-compressed; the file is the chunks in
    `position` order, decompressed and joined."""

    __tablename__ = "export_file_chunk"
    __table_args__ = (
        UniqueConstraint("batch_id", "position", name="uq_export_file_chunk"),
        ForeignKeyConstraint(["client_id", "batch_id"],
                             ["export_batch.client_id", "export_batch.id"],
                             name="fk_export_file_chunk_batch", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(Integer, nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
