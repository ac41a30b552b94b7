"""Who may do what in a client's invoicing space (« espace de facturation »).

The one place deciding the space and its mode for a request:
- a client user works in their own dossier, with every right (OWNER);
- firm staff open a client's space from the client list or sheet
  (« Accéder au compte »): the client must be visible to them (tenant rules of
  app.security.tenancy, restricted collaborators included), and they only read
  (READ) unless the client user made the firm administrator (ADMIN);
- anyone else has no space.

The space chosen by a staff member is kept in their session and checked again
on every request (a client unassigned meanwhile disappears at once). Every
opening by the firm is recorded (AccountAccess): who, when, which mode.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional

from flask import g, has_request_context, session as http_session

from app.models import AccountAccess, Client
from app.security.tenancy import NOTHING, ScopeKind, current_scope, visible_criteria

SESSION_KEY = "space_client_id"


class SpaceMode(enum.Enum):
    OWNER = "owner"      # the client user
    ADMIN = "admin"      # the firm, with the rights the client granted
    READ = "read"        # the firm, read only (the default)


@dataclass(frozen=True)
class Space:
    client: Client
    mode: SpaceMode

    @property
    def can_write(self) -> bool:
        return self.mode is not SpaceMode.READ

    @property
    def is_firm(self) -> bool:
        return self.mode is not SpaceMode.OWNER

    @property
    def client_id(self) -> int:
        return self.client.id


# What a read-only visitor may do on a space view: look, never change.
READ_PERMISSIONS = frozenset({"can_list", "can_show"})


def space_permits(permission_name: str, view_name: str, db_session) -> bool:
    """False for a writing permission on a space view in read-only mode. The
    security manager asks this for every permission check, so FAB hides the
    add/edit/delete buttons and refuses the routes with one rule."""
    from app.security.roles import SPACE_VIEWS

    if view_name not in SPACE_VIEWS or permission_name in READ_PERMISSIONS \
            or permission_name == "menu_access":
        return True
    space = resolve_space(db_session)
    return space is None or space.can_write


def firm_mode(client: Client) -> SpaceMode:
    return SpaceMode.ADMIN if client.accountant_is_admin else SpaceMode.READ


def _visible_client(db_session, client_id) -> Optional[Client]:
    from sqlalchemy import select

    scope = current_scope() or NOTHING
    statement = select(Client).where(Client.id == client_id)
    criteria = visible_criteria(Client, scope)
    if criteria is not None:
        statement = statement.where(criteria)
    return db_session.scalars(statement).first()


def resolve_space(db_session) -> Optional[Space]:
    """The space of the current request, or None."""
    if not has_request_context():
        return None
    if "_space" in g:
        return g._space
    scope = current_scope() or NOTHING
    space = None
    if scope.kind is ScopeKind.CLIENT:
        client = db_session.get(Client, scope.client_id)
        space = Space(client, SpaceMode.OWNER) if client is not None else None
    elif scope.kind in (ScopeKind.CABINET, ScopeKind.RESTRICTED, ScopeKind.PLATFORM):
        client_id = http_session.get(SESSION_KEY)
        client = _visible_client(db_session, client_id) if client_id else None
        if client is None:
            http_session.pop(SESSION_KEY, None)
        else:
            space = Space(client, firm_mode(client))
    g._space = space
    return space


def enter_space(db_session, client: Client, user) -> Space:
    """A staff member opens this (visible) client's space: remember it, record it."""
    mode = firm_mode(client)
    http_session[SESSION_KEY] = client.id
    db_session.add(AccountAccess(client_id=client.id, user_id=user.id,
                                 user_name=_display_name(user),
                                 mode="admin" if mode is SpaceMode.ADMIN else "read"))
    g.pop("_space", None)
    return Space(client, mode)


def leave_space() -> None:
    http_session.pop(SESSION_KEY, None)
    if has_request_context():
        g.pop("_space", None)


def _display_name(user) -> str:
    name = f"{user.first_name or ''} {user.last_name or ''}".strip()
    return name or user.username
