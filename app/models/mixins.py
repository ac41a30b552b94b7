"""Markers telling the tenant scoping (app/security/tenancy.py) how a model is owned.

A model owned by a cabinet inherits CabinetOwned; a model belonging to one
client dossier (contacts, invoices…) inherits ClientOwned. The scoping reads
these markers: a new model is isolated by inheriting the right one.
"""
import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow():
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class CabinetOwned:
    @declared_attr
    def cabinet_id(cls) -> Mapped[int]:
        return mapped_column(
            Integer, ForeignKey("cabinet.id", ondelete="CASCADE"), nullable=False, index=True
        )


class ClientOwned:
    @declared_attr
    def client_id(cls) -> Mapped[int]:
        return mapped_column(
            Integer, ForeignKey("client.id", ondelete="CASCADE"), nullable=False, index=True
        )


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
