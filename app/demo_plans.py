"""Demo charts of accounts: each demo cabinet's templates, applied to its clients.

Run by app.demo.seed_demo after the clients' catalogues exist (app.demo_invoicing):
every template is a duplicate of the default « Plan comptable général », adapted
to a kind of activity, and each client with a dossier number gets its own copy
of the template matching its trade, completed with the accounts its categories,
articles and charges use, so that every « compte utilisé » resolves. A few
clients are left without a plan, as new clients are.
"""
from collections import Counter

from sqlalchemy import select

from app.demo_invoicing import trade_of
from app.models import AccountingPlan, Article, ArticleCategory, Charge, PlanAccount
from app.plans.copying import apply_plan, duplicate_plan
from app.plans.defaults import sync_default_plans
from app.plans.rules import account_in_plan

LIBERAL, TRADE, BUILDING = "liberal", "trade", "building"

# demo cabinet number → [(template kind, name, settings, extra accounts)]
TEMPLATES = {
    1: [
        (LIBERAL, "BNC libéral", {"sales_account": "706", "sales_journal": "VT"},
         [("706100", "Honoraires", "sales"), ("706800", "Prestations annexes", "sales")]),
        (TRADE, "Commerce et artisanat", {"sales_account": "707",
                                          "incorporate_vat_article": True},
         [("707100", "Ventes de marchandises France", "sales")]),
    ],
    2: [
        (BUILDING, "Artisans du bâtiment", {"sales_account": "704",
                                            "split_vat_by_nature": True},
         [("704100", "Travaux de rénovation", "sales")]),
        (TRADE, "Commerce de proximité", {"sales_account": "707"}, []),
    ],
}
KIND_OF_TRADE = {
    "consulting": LIBERAL, "studio": LIBERAL, "pharmacy": TRADE, "bakery": TRADE,
    "food": TRADE, "caterer": TRADE, "wine": TRADE, "bookshop": TRADE, "garage": TRADE,
    "sewing": TRADE, "printing": TRADE, "transport": LIBERAL, "gardening": BUILDING,
    "carpentry": BUILDING, "plumbing": BUILDING, "electricity": BUILDING,
    "roofing": BUILDING, "masonry": BUILDING,
}


def _templates(session, pcg, cabinet_id, specs):
    templates = {}
    for kind, name, settings, accounts in specs:
        template = duplicate_plan(session, pcg, name, cabinet_id)
        for column, value in settings.items():
            setattr(template, column, value)
        template.accounts.extend(PlanAccount(number=number, label=label, kind=account_kind)
                                 for number, label, account_kind in accounts)
        templates[kind] = template
    session.flush()
    return templates


def _complete_with_used_accounts(session, plan, client_id):
    """Add to the client's plan the accounts its own records name."""
    numbers = {account.number for account in plan.accounts}
    used = []
    for model, label_of in ((ArticleCategory, lambda row: row.name),
                            (Article, lambda row: row.label), (Charge, lambda row: row.label)):
        rows = session.scalars(select(model).where(model.client_id == client_id,
                                                   model.account.is_not(None)))
        used += [(row.account, label_of(row)) for row in rows]
    added = 0
    for number, label in used:
        if not account_in_plan(number, numbers, plan.account_length):
            kind = "discount" if number.startswith("709") else "sales"
            plan.accounts.append(PlanAccount(number=number, label=label[:200], kind=kind))
            numbers.add(number)
            added += 1
    return added


def seed_plans(session, cabinets, clients_by_cabinet, always=()):
    """Templates per demo cabinet, and a plan for each client with a dossier number,
    for those in `always`, and for every other client but one in four: a firm
    applies a plan when it takes a client on, before it knows the dossier number,
    so the demo shows exports blocked by the number alone as well as by the plan."""
    sync_default_plans(session)  # idempotent; a fresh database may not have them yet
    pcg = session.scalars(select(AccountingPlan).where(AccountingPlan.code == "pcg")).one()
    counts = Counter()
    for number, clients in sorted(clients_by_cabinet.items()):
        templates = _templates(session, pcg, cabinets[number].id, TEMPLATES[number])
        counts["templates"] += len(templates)
        for position, client in enumerate(clients):
            if not client.dossier_code and client not in always and position % 4 == 0:
                continue
            kind = KIND_OF_TRADE.get(trade_of(client.name), LIBERAL)
            plan = apply_plan(session, templates.get(kind) or next(iter(templates.values())),
                              client)
            counts["client_plans"] += 1
            counts["accounts_added"] += _complete_with_used_accounts(session, plan, client.id)
    session.flush()
    return dict(counts)
