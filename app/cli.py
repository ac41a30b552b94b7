"""flask sync-roles (and default charts of accounts), flask seed-demo, flask demo-logins,
flask export-entries, flask import-data, flask purge-cabinets."""
import datetime as dt
import os

import click
from flask import current_app
from flask.cli import with_appcontext

from app.extensions import db

# Who the records and the history name for what the command line does (no user).
CLI_USER_NAME = "Ligne de commande"


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


def _find_client(dossier_code: str, cabinet: str | None):
    """The client of a dossier code (unique within a cabinet; --cabinet, an id
    or a name, tells cabinets apart)."""
    from sqlalchemy import select

    from app.models import Cabinet, Client

    statement = select(Client).where(Client.dossier_code == dossier_code)
    if cabinet:
        condition = (Cabinet.id == int(cabinet)) if cabinet.isdigit() else (Cabinet.name == cabinet)
        statement = statement.join(Cabinet, Cabinet.id == Client.cabinet_id).where(condition)
    clients = db.session.scalars(statement).all()
    if not clients:
        raise click.ClickException(f"Aucun client avec le numéro de dossier « {dossier_code} »"
                                   + (f" dans le cabinet « {cabinet} »" if cabinet else "") + ".")
    if len(clients) > 1:
        raise click.ClickException(
            f"Le numéro de dossier « {dossier_code} » existe dans plusieurs cabinets : "
            "précisez --cabinet (identifiant ou nom).")
    return clients[0]


def _parse_day(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"« {value} » n'est pas une date AAAA-MM-JJ.",
                                 param_hint=option) from None


@click.command("export-entries")
@click.option("--client", "dossier_code", required=True, help="Numéro de dossier du client.")
@click.option("--cabinet", default=None, help="Cabinet (identifiant ou nom) si le numéro de "
                                              "dossier existe dans plusieurs cabinets.")
@click.option("--start", required=True, help="Début de la période, AAAA-MM-JJ.")
@click.option("--end", required=True, help="Fin de la période, AAAA-MM-JJ.")
@click.option("--format", "export_format", type=click.Choice(["fec", "isacompta", "xlsx"]),
              default="fec", show_default=True, help="Format du fichier.")
@click.option("--separator", type=click.Choice(["tab", "pipe"]), default="tab",
              show_default=True, help="Séparateur du FEC.")
@click.option("--encoding", type=click.Choice(["utf-8", "iso-8859-15"]), default="utf-8",
              show_default=True, help="Encodage du FEC.")
@click.option("--include-exported", is_flag=True,
              help="Inclure les documents et règlements déjà exportés.")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Fichier à écrire.")
@with_appcontext
def export_entries_command(dossier_code, cabinet, start, end, export_format, separator,
                           encoding, include_exported, output):
    """Exports a client's entries (same checks and batches as the screen)."""
    import tempfile

    from flask_babel import gettext

    from app.exports.batches import ExportBlocked, ExportRequest, batch_file, run_export
    from app.messages import TranslatableError

    client = _find_client(dossier_code, cabinet)
    request = ExportRequest(client_id=client.id, start=_parse_day(start, "--start"),
                            end=_parse_day(end, "--end"), format=export_format,
                            separator=separator, encoding=encoding,
                            include_exported=include_exported)
    try:
        batch = run_export(db.session, client, request, user_id=None,
                           user_name=CLI_USER_NAME, gettext=gettext)
    except ExportBlocked as blocked:
        db.session.rollback()
        lines = [blocked.translate(gettext)]
        lines += [f"  - {blocker.message} ({blocker.where(gettext)})"
                  for blocker in blocked.blockers]
        raise click.ClickException("\n".join(lines)) from None
    except TranslatableError as error:
        db.session.rollback()
        raise click.ClickException(error.translate(gettext)) from None
    # Written beside the target then renamed: the file is complete or absent.
    folder = os.path.dirname(os.path.abspath(output))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".export-")
    try:
        with os.fdopen(handle, "wb") as target:
            for data in batch_file(db.session, batch):
                target.write(data)
        db.session.commit()
        os.replace(temporary, output)
    except BaseException:
        db.session.rollback()
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    click.echo(f"Export n° {batch.number} de « {client.name} » : {batch.entry_count} écritures, "
               f"{batch.line_count} lignes, {batch.document_count} documents, "
               f"{batch.payment_count} règlements → {output} (SHA-256 {batch.sha256}).")


# The problems printed by import-data: beyond, a count (the file is fixed in the
# spreadsheet, with the rejected-rows report of the screen if need be).
IMPORT_PROBLEMS_SHOWN = 200


def _import_limits():
    from app.imports.reading import limits_from

    return limits_from(current_app.config)


def _read_import_file(path: str, max_bytes: int) -> bytes:
    """The file's bytes, up to one past the limit (the engine refuses it by its
    size without the whole file in memory)."""
    if not os.path.isfile(path):
        raise click.ClickException(f"Fichier introuvable : « {path} ».")
    try:
        with open(path, "rb") as source:
            return source.read(max_bytes + 1)
    except OSError as error:
        raise click.ClickException(f"Impossible de lire « {path} » : {error.strerror or error}.") \
            from None


def _detected_sentence(name: str, detected: dict) -> str:
    """« Fichier « x.csv » : CSV, encodage UTF-8, séparateur « ; ». »"""
    detected = detected or {}
    if detected.get("format") == "xlsx":
        return f"Fichier « {name} » : classeur XLSX."
    parts = ["CSV"]
    if detected.get("encoding"):
        parts.append(f"encodage {detected['encoding']}")
    if detected.get("separator"):
        parts.append(f"séparateur « {detected['separator']} »")
    return f"Fichier « {name} » : {', '.join(parts)}."


def _echo_problems(problems, gettext):
    from app.imports.validation import problem_sentence

    for problem in problems[:IMPORT_PROBLEMS_SHOWN]:
        click.echo(problem_sentence(problem, gettext))
    hidden = len(problems) - IMPORT_PROBLEMS_SHOWN
    if hidden > 0:
        click.echo(f"… et {hidden} autre(s) problème(s).")


def _fail(message: str):
    """A French refusal on the error output, exit code 1 (click's ClickException
    would prefix it with the English « Error: »)."""
    click.echo(message, err=True)
    raise click.exceptions.Exit(1)


@click.command("import-data")
@click.option("--client", "dossier_code", required=True, help="Numéro de dossier du client.")
@click.option("--cabinet", default=None, help="Cabinet (identifiant ou nom) si le numéro de "
                                              "dossier existe dans plusieurs cabinets.")
@click.option("--kind", "kind_code", required=True, type=click.Choice(["contacts", "articles"]),
              help="Ce que le fichier contient : contacts (clients facturés) ou articles.")
@click.option("--file", "path", required=True, type=click.Path(dir_okay=False),
              help="Fichier à importer (.xlsx, .csv ou .txt), rempli à partir du modèle.")
@click.option("--update", "update_existing", is_flag=True,
              help="Mettre à jour les enregistrements qui existent déjà dans le dossier "
                   "(sans cette option, une ligne qui en désigne un est refusée).")
@with_appcontext
def import_data_command(dossier_code, cabinet, kind_code, path, update_existing):
    """Imports a client's contacts or articles from a template file, as the screen
    does: every row validated first, then all written in one transaction, or
    nothing; the import (done or refused) is recorded."""
    from flask_babel import gettext
    from sqlalchemy.exc import IntegrityError

    from app.formatting import format_number
    from app.imports.reading import FileRefused
    from app.imports.service import ImportRefused, run_import
    from app.messages import TranslatableError

    client = _find_client(dossier_code, cabinet)
    client_id, client_name = client.id, client.name
    limits = _import_limits()
    data = _read_import_file(path, limits.max_bytes)
    name = os.path.basename(path)
    try:
        outcome = run_import(db.session, client_id, kind_code, data, name,
                             update_existing=update_existing, user_id=None,
                             user_name=CLI_USER_NAME, gettext=gettext, limits=limits,
                             format_number=format_number)
    except ImportRefused as refused:
        # Nothing written; the refused attempt is kept in the dossier's history.
        db.session.rollback()
        db.session.add(refused.record)
        db.session.commit()
        click.echo(_detected_sentence(name, refused.outcome.table.detected))
        click.echo(f"Lignes lues : {refused.outcome.total}.")
        _echo_problems(refused.outcome.plan.problems, gettext)
        _fail(refused.translate(gettext))
    except FileRefused as refused:
        db.session.rollback()
        _fail(f"Fichier « {name} » refusé : {refused.message} Rien n'a été écrit.")
    except IntegrityError:
        db.session.rollback()
        _fail("Rien n'a été importé : le dossier a changé pendant l'import (un même "
              "enregistrement a été créé entre-temps). Relancez l'import.")
    except TranslatableError as error:
        db.session.rollback()
        _fail(error.translate(gettext))
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    click.echo(_detected_sentence(name, outcome.table.detected))
    click.echo(f"Lignes lues : {outcome.total}.")
    click.echo(f"Import terminé dans le dossier {dossier_code} (« {client_name} ») : "
               f"{outcome.created} créé(s), {outcome.updated} mis à jour, "
               f"{outcome.rejected} refusé(s).")


@click.command("purge-cabinets")
@click.option("--dry-run", is_flag=True, help="Lister les cabinets à purger sans rien effacer.")
@with_appcontext
def purge_cabinets_command(dry_run):
    """Erase the cabinets whose account was deleted and whose retention period is over
    (all or nothing: one transaction)."""
    from flask_babel import gettext

    from app.cabinets.closing import cabinets_due_for_purge, purge_cabinet
    from app.formatting import format_datetime
    from app.models.mixins import utcnow

    due = cabinets_due_for_purge(db.session, utcnow())
    if not due:
        click.echo("Aucun cabinet à purger.")
        return
    for cabinet in due:
        click.echo(f"{'À purger' if dry_run else 'Purge'} : « {cabinet.name} » "
                   f"(compte supprimé le {format_datetime(cabinet.deleted_at)}, "
                   f"conservation jusqu'au {format_datetime(cabinet.purge_after)}).")
    if dry_run:
        return
    try:
        for cabinet in due:
            purge_cabinet(db.session, cabinet, gettext)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    click.echo(f"{len(due)} cabinet(s) purgé(s) définitivement.")


def register_cli(app):
    for command in (sync_roles_command, seed_demo_command, demo_logins_command,
                    export_entries_command, import_data_command, purge_cabinets_command):
        app.cli.add_command(command)
