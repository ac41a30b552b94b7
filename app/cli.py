"""flask sync-roles (and default charts of accounts), flask seed-demo, flask demo-logins."""
import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext

from app.extensions import db


@click.command("sync-roles")
@with_appcontext
def sync_roles_command():
    """Create the six roles (and FAB's permission rows) and the default charts of
    accounts after migrating."""
    from app.plans.defaults import sync_default_plans
    from app.security.roles import sync_roles

    created = sync_roles(current_app.appbuilder.sm)
    click.echo("Rôles synchronisés" + (f" (créés : {', '.join(created)})" if created else "") + ".")
    sync_default_plans(db.session)
    db.session.commit()
    click.echo("Plans comptables par défaut à jour.")


@click.command("seed-demo")
@click.option("--seed", default=2026, show_default=True, help="Graine du générateur.")
@click.option("--clients", default=60, show_default=True, help="Nombre de clients.")
@click.option("--today", default=None, help="Date de référence AAAA-MM-JJ (défaut : aujourd'hui).")
@click.option("--if-empty", is_flag=True, help="Ne rien faire si la base contient déjà des utilisateurs.")
@with_appcontext
def seed_demo_command(seed, clients, today, if_empty):
    """Load the demo cabinets, users and clients."""
    from app.demo import seed_demo
    from app.security.roles import sync_roles

    sm = current_app.appbuilder.sm
    if sm.count_users():
        if if_empty:
            click.echo("Base déjà initialisée : données de démonstration non rechargées.")
            return
        raise click.ClickException("La base contient déjà des utilisateurs : utilisez une base vide.")
    sync_roles(sm, write_permissions=False)
    reference = dt.date.fromisoformat(today) if today else None
    summary = seed_demo(sm, db.session, password=current_app.config["DEMO_PASSWORD"],
                        seed=seed, clients=clients, today=reference)
    click.echo(f"Démo chargée : {summary['cabinets']} cabinets, {summary['clients']} clients.")


@click.command("demo-logins")
@with_appcontext
def demo_logins_command():
    """Print the demo logins."""
    from app.demo import DEMO_LOGINS

    password = current_app.config["DEMO_PASSWORD"]
    click.echo("Comptes de démonstration (mot de passe : %s)" % password)
    for login, description in DEMO_LOGINS:
        click.echo(f"  {login:<16} {description}")


def register_cli(app):
    for command in (sync_roles_command, seed_demo_command, demo_logins_command):
        app.cli.add_command(command)
