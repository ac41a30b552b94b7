"""Who may open and who may change a chart of accounts (« plan comptable »).

The one place deciding it for a request; which plans exist for a user at all
is the tenant rule of app.security.tenancy (a plan another cabinet owns, or
the plan of a client the user does not see, is never found: 404):
- the product's default plans are read by every staff member and changed by
  nobody (app.plans.defaults keeps them up to date): they are duplicated;
- a firm's templates and the plans of the clients a staff member sees are
  changed by that staff member (restricted collaborators included, for their
  clients);
- a client user opens their own dossier's plan only when the firm allowed it
  (client sheet switch « Accès aux paramètres comptables »), and then changes
  it; otherwise it does not exist for them.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional

from flask import g, has_request_context
from sqlalchemy import select

from app.models import AccountingPlan, Client
from app.security.tenancy import NOTHING, ScopeKind, current_scope, visible_criteria


class PlanMode(enum.Enum):
    EDIT = "edit"
    READ = "read"


@dataclass(frozen=True)
class PlanContext:
    plan: AccountingPlan
    mode: PlanMode
    client: Optional[Client] = None

    @property
    def can_write(self) -> bool:
        return self.mode is PlanMode.EDIT

    @property
    def plan_id(self) -> int:
        return self.plan.id


# Permissions that only read: everything else changes the plan.
READ_PERMISSIONS = frozenset({"can_list", "can_show", "can_history", "menu_access"})


def _visible_plan(db_session, plan_id) -> Optional[AccountingPlan]:
    statement = select(AccountingPlan).where(AccountingPlan.id == plan_id)
    criteria = visible_criteria(AccountingPlan, current_scope() or NOTHING)
    if criteria is not None:
        statement = statement.where(criteria)
    return db_session.scalars(statement).first()


def client_may_edit_accounting(db_session) -> bool:
    """For a client user: did the firm open their accounting settings to them?"""
    scope = current_scope() or NOTHING
    if scope.kind is not ScopeKind.CLIENT:
        return False
    client = db_session.get(Client, scope.client_id)
    return bool(client is not None and client.client_can_edit_accounting)


def plan_context(db_session, plan_id) -> Optional[PlanContext]:
    """The plan `plan_id` as the current user may use it, or None (answer 404)."""
    try:
        plan_id = int(plan_id)
    except (TypeError, ValueError):
        return None
    plan = _visible_plan(db_session, plan_id)
    if plan is None:
        return None
    client = db_session.get(Client, plan.client_id) if plan.client_id is not None else None
    scope = current_scope() or NOTHING
    if scope.kind is ScopeKind.CLIENT:
        if client is None or client.id != scope.client_id or not client.client_can_edit_accounting:
            return None
        return PlanContext(plan, PlanMode.EDIT, client)
    if scope.kind is ScopeKind.NOTHING:
        return None
    mode = PlanMode.READ if plan.is_default else PlanMode.EDIT
    return PlanContext(plan, mode, client)


def current_plan_context() -> Optional[PlanContext]:
    """The plan of the current request (set by the plan screens' guard)."""
    return g.get("_plan_context") if has_request_context() else None


def plan_permits(permission_name: str, view_name: str) -> bool:
    """False for a writing permission on a plan screen while the request's plan
    is read only (a default plan): FAB hides the buttons and refuses the routes."""
    from app.security.roles import PLAN_SECTION_VIEWS

    if view_name not in PLAN_SECTION_VIEWS or permission_name in READ_PERMISSIONS:
        return True
    context = current_plan_context()
    return context is None or context.can_write
