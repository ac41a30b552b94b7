"""Tenant isolation: the one place that decides what a user may see.

Two layers use the same rules (`visible_criteria`):
- the view/API base classes (TenantModelView, TenantModelRestApi in
  app/views/base.py) filter every query they make, set the cabinet on what is
  created, restrict related dropdowns and refuse foreign related ids;
- an ORM backstop (`install_orm_backstop`) adds the same criteria to every ORM
  SELECT, UPDATE and DELETE made during a request, so that a query written
  anywhere else still cannot leak another tenant's rows.

Rules (DESIGN.md §1):
- platform Admin: everything;
- cabinet staff: their cabinet's rows; Accès restreint: among clients, only
  those assigned to them, and what belongs to those clients;
- client user: their own dossier only;
- charts of accounts: the product's default plans are read by all staff, a
  firm plan belongs to its cabinet, a client's plan follows its client;
- anyone else (anonymous, user without tenant): nothing tenant-owned.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional

from flask import g, has_request_context
from sqlalchemy import event, false, select, true
from sqlalchemy.orm import Session, with_loader_criteria

from flask_appbuilder.security.sqla.models import User as FabUser

from app.models import (
    AccountingPlan, Cabinet, Client, DashboardPin, PlanOwned, UserPreference, client_collaborator,
)
from app.models.mixins import CabinetOwned, ClientOwned
from app.security import roles


class ScopeKind(enum.Enum):
    PLATFORM = "platform"
    CABINET = "cabinet"
    RESTRICTED = "restricted"
    CLIENT = "client"
    NOTHING = "nothing"


@dataclass(frozen=True)
class TenantScope:
    kind: ScopeKind
    user_id: Optional[int] = None
    cabinet_id: Optional[int] = None
    client_id: Optional[int] = None

    @property
    def is_platform(self):
        return self.kind is ScopeKind.PLATFORM


NOTHING = TenantScope(ScopeKind.NOTHING)


def scope_for_user(user) -> TenantScope:
    """The scope of a (loaded, authenticated) user."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    names = user.role_names
    if roles.ADMIN in names:
        return TenantScope(ScopeKind.PLATFORM, user_id=user.id)
    if user.cabinet_id is not None and names & set(roles.STAFF_ROLES):
        kind = ScopeKind.CABINET
        # A user holding a wider staff role is not narrowed by Accès restreint.
        if roles.RESTRICTED in names and not names & {roles.OWNER, roles.ADMINISTRATOR,
                                                      roles.COLLABORATOR}:
            kind = ScopeKind.RESTRICTED
        return TenantScope(kind, user_id=user.id, cabinet_id=user.cabinet_id)
    if user.client_id is not None and roles.CLIENT in names:
        return TenantScope(ScopeKind.CLIENT, user_id=user.id, client_id=user.client_id)
    return NOTHING


def _authenticated_user():
    """The user of this request, whether it came by session cookie or JWT."""
    jwt_user = (g.get("_jwt_extended_jwt_user") or {}).get("loaded_user")
    if jwt_user is not None:
        return jwt_user
    from flask_login import current_user

    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def current_scope() -> Optional[TenantScope]:
    """The scope of the current request, or None outside a request (CLI,
    migrations, tests' own set-up), where nothing is filtered."""
    if not has_request_context():
        return None
    scope = g.get("_tenant_scope")
    if scope is not None:
        return scope
    if g.get("_tenant_resolving"):
        # Loading the user itself: let FAB find it by id or name.
        return None
    g._tenant_resolving = True
    try:
        scope = scope_for_user(_authenticated_user())
    finally:
        g._tenant_resolving = False
    if scope is not NOTHING:
        # Cache only a real user: a JWT may still be verified later in the request.
        g._tenant_scope = scope
    return scope


def reset_scope():
    """Forget the cached scope (after login/logout within one request)."""
    if has_request_context():
        g.pop("_tenant_scope", None)


def _column(model, name):
    """A column by name, also on FAB's base User whose mapper lacks our columns."""
    attribute = getattr(model, name, None)
    return attribute if attribute is not None else model.__table__.c[name]


# Subqueries read the Core tables, not the mapped classes: loader criteria apply
# to mapped entities only, so the criteria never recurse into themselves.
_client_table = Client.__table__
_cabinet_table = Cabinet.__table__
_plan_table = AccountingPlan.__table__


def visible_client_ids(scope: TenantScope):
    return select(_client_table.c.id).where(_client_criteria(_client_table.c, scope))


def visible_cabinet_ids(scope: TenantScope):
    return select(_cabinet_table.c.id).where(_cabinet_criteria(_cabinet_table.c, scope))


def visible_plan_ids(scope: TenantScope):
    return select(_plan_table.c.id).where(_plan_criteria(_plan_table.c, scope))


def _plan_criteria(model, scope: TenantScope):
    """Charts of accounts: the product's defaults and the cabinet's templates for
    its staff, and the plans of the clients they see; a client user, only the
    plan of their own dossier."""
    if scope.kind is ScopeKind.CLIENT:
        return model.client_id == scope.client_id
    if scope.kind in (ScopeKind.CABINET, ScopeKind.RESTRICTED):
        return ((model.cabinet_id.is_(None) & model.client_id.is_(None))
                | (model.cabinet_id == scope.cabinet_id)
                | model.client_id.in_(visible_client_ids(scope)))
    return false()


def _client_criteria(model, scope: TenantScope):
    if scope.kind is ScopeKind.CLIENT:
        return model.id == scope.client_id
    if scope.kind is ScopeKind.CABINET:
        return model.cabinet_id == scope.cabinet_id
    if scope.kind is ScopeKind.RESTRICTED:
        assigned = select(client_collaborator.c.client_id).where(
            client_collaborator.c.user_id == scope.user_id
        )
        return (model.cabinet_id == scope.cabinet_id) & model.id.in_(assigned)
    return false()


def _cabinet_criteria(model, scope: TenantScope):
    if scope.kind in (ScopeKind.CABINET, ScopeKind.RESTRICTED):
        return model.id == scope.cabinet_id
    if scope.kind is ScopeKind.CLIENT:
        return model.id.in_(
            select(_client_table.c.cabinet_id).where(_client_table.c.id == scope.client_id)
        )
    return false()


def _user_criteria(model, scope: TenantScope):
    if scope.kind in (ScopeKind.CABINET, ScopeKind.RESTRICTED):
        return _column(model, "cabinet_id") == scope.cabinet_id
    if scope.kind is ScopeKind.CLIENT:
        return _column(model, "id") == scope.user_id
    return false()


def _pin_criteria(model, scope: TenantScope):
    if scope.kind is ScopeKind.NOTHING:
        return false()
    return (model.user_id == scope.user_id) & model.client_id.in_(visible_client_ids(scope))


def _own_rows_criteria(model, scope: TenantScope):
    if scope.kind is ScopeKind.NOTHING:
        return false()
    return model.user_id == scope.user_id


def visible_criteria(model, scope: Optional[TenantScope]):
    """SQL criteria selecting the rows of `model` visible in `scope`.

    Returns None for a model that tenancy does not govern (FAB's roles and
    permissions…). Every tenant rule of the application is in this function.
    """
    if not is_tenant_model(model):
        return None
    if scope is None or scope.is_platform:
        return true()
    if issubclass(model, Client):
        return _client_criteria(model, scope)
    if issubclass(model, Cabinet):
        return _cabinet_criteria(model, scope)
    if issubclass(model, FabUser):
        return _user_criteria(model, scope)
    if issubclass(model, DashboardPin):
        return _pin_criteria(model, scope)
    if issubclass(model, UserPreference):
        return _own_rows_criteria(model, scope)
    if issubclass(model, ClientOwned):
        return model.client_id.in_(visible_client_ids(scope))
    if issubclass(model, AccountingPlan):
        return _plan_criteria(model, scope)
    if issubclass(model, PlanOwned):
        return model.plan_id.in_(visible_plan_ids(scope))
    return model.cabinet_id.in_(visible_cabinet_ids(scope))


def is_tenant_model(model) -> bool:
    return isinstance(model, type) and issubclass(
        model, (Client, Cabinet, FabUser, DashboardPin, UserPreference, ClientOwned, CabinetOwned,
                AccountingPlan, PlanOwned)
    )


def _backstop_options(scope: TenantScope):
    client_ids = visible_client_ids(scope)
    cabinet_ids = visible_cabinet_ids(scope)
    plan_ids = visible_plan_ids(scope)
    # Concrete classes take plain expressions; the mixins need a lambda over the
    # class, whose closure holds only SQL constructs (safe for statement caching).
    options = [
        with_loader_criteria(Client, _client_criteria(Client, scope), include_aliases=True),
        with_loader_criteria(Cabinet, _cabinet_criteria(Cabinet, scope), include_aliases=True),
        with_loader_criteria(DashboardPin, _pin_criteria(DashboardPin, scope),
                             include_aliases=True),
        with_loader_criteria(UserPreference, _own_rows_criteria(UserPreference, scope),
                             include_aliases=True),
        with_loader_criteria(ClientOwned, lambda cls: cls.client_id.in_(client_ids),
                             include_aliases=True),
        with_loader_criteria(CabinetOwned, lambda cls: cls.cabinet_id.in_(cabinet_ids),
                             include_aliases=True),
        with_loader_criteria(AccountingPlan, _plan_criteria(AccountingPlan, scope),
                             include_aliases=True),
        with_loader_criteria(PlanOwned, lambda cls: cls.plan_id.in_(plan_ids),
                             include_aliases=True),
    ]
    if scope.kind is not ScopeKind.NOTHING:
        # Without a user yet (logging in), FAB must still find users by name.
        options.append(
            with_loader_criteria(FabUser, _user_criteria(FabUser, scope), include_aliases=True)
        )
    return options


def _add_backstop_criteria(execute_state):
    if not (execute_state.is_select or execute_state.is_update or execute_state.is_delete):
        return
    if execute_state.is_column_load or execute_state.is_relationship_load:
        # Criteria added to the parent query propagate to these loads.
        return
    if execute_state.execution_options.get("skip_tenant_scope"):
        return
    scope = current_scope()
    if scope is None or scope.is_platform:
        return
    execute_state.statement = execute_state.statement.options(*_backstop_options(scope))


def install_orm_backstop():
    if not event.contains(Session, "do_orm_execute", _add_backstop_criteria):
        event.listen(Session, "do_orm_execute", _add_backstop_criteria)


def remove_orm_backstop():
    """Only for tests proving the view layer holds on its own."""
    if event.contains(Session, "do_orm_execute", _add_backstop_criteria):
        event.remove(Session, "do_orm_execute", _add_backstop_criteria)
