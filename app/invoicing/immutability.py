"""An issued document never changes: the last line of defence, at flush time.

app.invoicing.documents already refuses to edit an issued document; this
listener refuses it whatever the code path (a view, a script, the shell): a
flush that would change an issued document's content, its lines, charges or
deducted deposits, or delete it, raises ImmutableDocument and writes nothing.
What may still move on an issued document is how it is settled: its status and
the amounts credited and paid.
"""
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.models import Invoice, InvoiceCharge, InvoiceDeposit, InvoiceLine

SETTLEMENT_COLUMNS = {"status", "credited_ttc", "paid_ttc"}
CHILDREN = (InvoiceLine, InvoiceCharge, InvoiceDeposit)


class ImmutableDocument(Exception):
    def __init__(self, number):
        self.number = number
        super().__init__(f"Le document {number} est émis : il ne peut plus être modifié ni "
                         "supprimé. Pour le corriger, émettez un avoir.")


def _was_issued(document) -> bool:
    """Issued in the database, before this flush (a draft being issued may still change)."""
    state = inspect(document)
    if state.pending or state.transient:
        return False
    history = state.attrs.status.history
    committed = history.deleted[0] if history.deleted else document.status
    return committed != "draft"


def _changed_columns(document):
    state = inspect(document)
    return {attr.key for attr in state.mapper.column_attrs
            if state.attrs[attr.key].history.has_changes()}


def _parent(session, child):
    if child.invoice_id is None:
        return getattr(child, "invoice", None)
    return session.get(Invoice, child.invoice_id)


def _check(session, _context, _instances):
    for document in list(session.dirty):
        if isinstance(document, Invoice) and _was_issued(document):
            if _changed_columns(document) - SETTLEMENT_COLUMNS:
                raise ImmutableDocument(document.number)
    for document in list(session.deleted):
        if isinstance(document, Invoice) and _was_issued(document):
            raise ImmutableDocument(document.number)
    for child in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(child, CHILDREN):
            parent = _parent(session, child)
            if parent is not None and _was_issued(parent):
                raise ImmutableDocument(parent.number)


def install_immutability_guard():
    if not event.contains(Session, "before_flush", _check):
        event.listen(Session, "before_flush", _check)
