"""Dossiers pinned to a user's dashboard (« dossiers épinglés »)."""
from sqlalchemy import delete, select

from app.models import DashboardPin


def pin_clients(session, user_id, client_ids):
    """Pin the given (already visible) clients; returns how many were newly pinned."""
    client_ids = set(client_ids)
    already = set(session.scalars(
        select(DashboardPin.client_id).where(DashboardPin.user_id == user_id,
                                             DashboardPin.client_id.in_(client_ids))))
    for client_id in sorted(client_ids - already):
        session.add(DashboardPin(user_id=user_id, client_id=client_id))
    return len(client_ids - already)


def unpin_clients(session, user_id, client_ids):
    """Unpin; returns how many pins were removed."""
    result = session.execute(
        delete(DashboardPin).where(DashboardPin.user_id == user_id,
                                   DashboardPin.client_id.in_(set(client_ids)))
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def pinned_client_ids(session, user_id):
    return set(session.scalars(select(DashboardPin.client_id)
                               .where(DashboardPin.user_id == user_id)))
