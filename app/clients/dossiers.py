"""The Isacompta dossier number (« numéro de dossier ») of a client."""
from sqlalchemy import func, select

from app.models import Client


def dossier_code_owner(session, cabinet_id, code, exclude_client_id=None):
    """Another client of the cabinet already using this code, case-insensitively
    (« a001 » and « A001 » would be the same dossier for the accountant), whether
    the current user may see it or not: the caller must not name a hidden one."""
    statement = (
        select(Client).where(Client.cabinet_id == cabinet_id,
                             func.upper(Client.dossier_code) == code.upper())
        .limit(1)
        .execution_options(skip_tenant_scope=True)
    )
    if exclude_client_id is not None:
        statement = statement.where(Client.id != exclude_client_id)
    return session.scalars(statement).first()
