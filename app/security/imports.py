"""Who may import contacts and articles into which client dossier (issue 8).

The one place deciding it; which clients exist for a user at all is the tenant
rule of app.security.tenancy:
- firm staff import into any client they see (Accès restreint: their assigned
  clients only);
- a client user imports into their own dossier only when the firm opened its
  accounting settings to them (client sheet switch « Accès aux paramètres
  comptables »); otherwise the imports do not exist for them (404).
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select

from app.models import Client
from app.security.tenancy import NOTHING, ScopeKind, current_scope, visible_criteria


def importable_client(db_session, client_id) -> Optional[Client]:
    """The client `client_id` if the current user may import into it, else None."""
    try:
        client_id = int(client_id)
    except (TypeError, ValueError):
        return None
    scope = current_scope() or NOTHING
    if scope.kind not in (ScopeKind.CABINET, ScopeKind.RESTRICTED, ScopeKind.CLIENT,
                          ScopeKind.PLATFORM):
        return None
    statement = select(Client).where(Client.id == client_id)
    criteria = visible_criteria(Client, scope)
    if criteria is not None:
        statement = statement.where(criteria)
    client = db_session.scalars(statement).first()
    if client is None:
        return None
    if scope.kind is ScopeKind.CLIENT and not client.client_can_edit_accounting:
        return None
    return client

