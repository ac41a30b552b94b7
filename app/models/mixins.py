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
    """As ClientOwned below, for cabinet_id: `__cabinet_id_index__` names the
    table's index that starts with it, if there is one."""

    __cabinet_id_index__ = None

    @declared_attr
    def cabinet_id(cls) -> Mapped[int]:
        return mapped_column(
            Integer, ForeignKey("cabinet.id", ondelete="CASCADE"), nullable=False,
            index=cls.__cabinet_id_index__ is None,
        )


class ClientOwned:
    """Every query of a client's rows filters on client_id, so each table has an
    index led by it. A table whose own index or unique constraint already starts
    with client_id names it in `__client_id_index__`: an index on client_id alone
    would be a prefix of that one, maintained on every row written for nothing
    (the floor of an import of 100,000 articles, benchmarks/import_scale.py)."""

    __client_id_index__ = None

    @declared_attr
    def client_id(cls) -> Mapped[int]:
        return mapped_column(
            Integer, ForeignKey("client.id", ondelete="CASCADE"), nullable=False,
            index=cls.__client_id_index__ is None,
        )


class ClientOwnedThroughParent(ClientOwned):
    """ClientOwned for the rows of a parent that already belongs to the client
    (the marks of an export batch): their composite key to (parent.client_id,
    parent.id) ties client_id to the client and cascades with it. A key and an
    index of their own on client_id would be checked and maintained on every
    row for nothing: a quarter of the time of marking 200,000 documents."""

    @declared_attr
    def client_id(cls) -> Mapped[int]:
        return mapped_column(Integer, nullable=False)


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
