"""Closing a cabinet account, restoring it, and purging it once its retention ends.

Closing only stamps the cabinet: its users (staff, and the users of its clients'
dossiers) can no longer log in (app.security.manager.user_is_locked_out), and every
row is kept until `purge_after`. Purging erases the cabinet and everything that
belongs to it in one transaction: the database's ON DELETE CASCADE removes the
clients, their documents, plans, exports, users and pins; the accounting history
(Continuum's version tables, which carry no foreign key) and the support messages
are deleted here, since a cascade cannot reach them.
"""
import datetime as dt

from sqlalchemy import delete, select

from app.models import AccountingPlan, AppUser, Cabinet, Client, SupportMessage
from app.models.versioning import TRANSACTION_TABLE


class CabinetClosingError(ValueError):
    """The cabinet cannot be closed, restored or purged as asked (French message)."""


def confirmation_matches(cabinet, typed_name):
    """The owner typed the cabinet's name: case and surrounding or repeated spaces
    do not matter, every other character does."""
    def normal(text):
        return " ".join((text or "").split()).casefold()

    return bool(typed_name) and normal(typed_name) == normal(cabinet.name)


def close_cabinet(cabinet, now, retention_days, gettext):
    if cabinet.deleted_at is not None:
        raise CabinetClosingError(gettext("Le compte de ce cabinet est déjà supprimé."))
    cabinet.deleted_at = now
    cabinet.purge_after = now + dt.timedelta(days=retention_days)


def restore_cabinet(cabinet, gettext):
    if cabinet.deleted_at is None:
        raise CabinetClosingError(gettext("Le compte de ce cabinet n'est pas supprimé."))
    cabinet.deleted_at = None
    cabinet.purge_after = None


def cabinets_due_for_purge(session, now):
    return session.scalars(
        select(Cabinet).where(Cabinet.deleted_at.is_not(None), Cabinet.purge_after <= now)
        .order_by(Cabinet.purge_after, Cabinet.id)).all()


def purge_cabinet(session, cabinet, gettext):
    """Erase `cabinet` and all its data. The caller commits (or rolls back: nothing
    is then erased)."""
    if cabinet.deleted_at is None:
        raise CabinetClosingError(gettext(
            "Le cabinet « %(name)s » n'est pas supprimé : il ne peut pas être purgé.",
            name=cabinet.name))
    client_ids = select(Client.id).where(Client.cabinet_id == cabinet.id)
    plan_ids = select(AccountingPlan.id).where(
        (AccountingPlan.cabinet_id == cabinet.id) | AccountingPlan.client_id.in_(client_ids))
    user_ids = select(AppUser.id).where(
        (AppUser.cabinet_id == cabinet.id) | AppUser.client_id.in_(client_ids))
    _delete_history(session, client_ids, plan_ids, user_ids)
    session.execute(delete(SupportMessage).where(
        (SupportMessage.cabinet_id == cabinet.id) | SupportMessage.client_id.in_(client_ids)
        | SupportMessage.user_id.in_(user_ids)))
    cabinet_id = cabinet.id
    session.expunge(cabinet)
    # One statement: the owner's row and the cabinet that points at it go together.
    session.execute(delete(Cabinet).where(Cabinet.id == cabinet_id))


def _delete_history(session, client_ids, plan_ids, user_ids):
    """The versions of the cabinet's plans and client sections, then the transactions
    of its users (they changed nothing but this cabinet's settings)."""
    tables = {table.name: table for table in AccountingPlan.metadata.sorted_tables}
    for name, table in tables.items():
        if not name.endswith("_version"):
            continue
        if name == "accounting_plan_version":
            condition = table.c.id.in_(plan_ids)
        elif "plan_id" in table.c:
            condition = table.c.plan_id.in_(plan_ids)
        elif "client_id" in table.c:
            condition = table.c.client_id.in_(client_ids)
        else:
            continue
        session.execute(table.delete().where(condition))
    transactions = tables[TRANSACTION_TABLE]
    session.execute(transactions.delete().where(transactions.c.user_id.in_(user_ids)))
