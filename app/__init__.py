"""Passerelle: the back-office of an accounting firm (see README.md)."""
import logging

from flask import Flask
from sqlalchemy import inspect as sa_inspect

from app.extensions import csrf, db, migrate, new_appbuilder


def create_app(overrides=None):
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object("config")
    if overrides:
        app.config.update(overrides)

    from app.security.passwords import validate_password
    from app.security.roles import fab_roles_config

    app.config["FAB_ROLES"] = fab_roles_config()
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", validate_password)

    db.init_app(app)
    _enforce_sqlite_foreign_keys()
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    csrf.init_app(app)

    with app.app_context():
        from app import models  # noqa: F401  (mappers before FAB inspects them)

        appbuilder = new_appbuilder()
        appbuilder.init_app(app, db.session)
        from app.views import register_views

        register_views(appbuilder)
        _protect_api_login(app)
        _install_request_guards(app)

        from app.invoicing.immutability import install_immutability_guard
        from app.security.tenancy import install_orm_backstop

        install_orm_backstop()
        install_immutability_guard()
        if app.config["SYNC_ROLES_AT_STARTUP"] and _database_is_migrated():
            from app.plans.defaults import sync_default_plans
            from app.security.roles import sync_roles

            sync_roles(appbuilder.sm)
            sync_default_plans(db.session)
            db.session.commit()

    from app.cli import register_cli

    register_cli(app)
    _register_template_helpers(app)
    return app


def _sqlite_foreign_keys_on(dbapi_connection, _record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _enforce_sqlite_foreign_keys():
    """SQLite ignores foreign keys (and ON DELETE CASCADE) unless asked, per connection.
    (migrations/env.py turns them off again while it rebuilds tables.)"""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _sqlite_foreign_keys_on):
        event.listen(Engine, "connect", _sqlite_foreign_keys_on)


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _database_is_migrated():
    try:
        return sa_inspect(db.engine).has_table("alembic_version")
    except Exception:  # the database may not exist yet before `flask db upgrade`
        logging.getLogger(__name__).warning("Base de données injoignable au démarrage")
        return False


def _protect_api_login(app):
    """FAB rate-limits the login form only; the API login gets the same limit."""
    endpoint = "SecurityApi.login"
    if endpoint in app.view_functions and app.config.get("AUTH_RATE_LIMITED"):
        app.view_functions[endpoint] = app.appbuilder.sm.limiter.limit(
            lambda: app.config["AUTH_RATE_LIMIT"], methods=["POST"]
        )(app.view_functions[endpoint])


def _install_request_guards(app):
    from app.security.guards import check_action_name, check_list_arguments, security_headers
    from app.views.errors import register_error_pages

    app.before_request(check_list_arguments)
    app.before_request(check_action_name)
    app.after_request(security_headers)
    register_error_pages(app)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)


def _favicon():
    """The icon at the address browsers ask by default. Not the 404 page: rendered for a
    visitor, that page wrote the session cookie (Flask-Login marks it not fresh), and a
    late answer to the login page's request overwrote the cookie of the login that had
    just succeeded — the user found themselves logged out."""
    from flask import redirect, url_for

    return redirect(url_for("static", filename="img/favicon.svg"), code=301)


def _register_template_helpers(app):
    from app.formatting import format_date, format_datetime, format_money, format_number

    app.jinja_env.filters["date_fr"] = format_date
    app.jinja_env.filters["datetime_fr"] = format_datetime
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["number_fr"] = format_number

    @app.context_processor
    def space_banner():
        # Set by the space views' guard: the banner and tabs show on space pages only.
        from flask import g

        return {"current_space": g.get("space")}

    @app.context_processor
    def plan_header():
        # Set by the plan screens' guard: the header and tabs of the plan's pages.
        from app.security.plans import current_plan_context
        from app.views.plans import plan_sections

        context = current_plan_context()
        if context is None:
            return {}
        return {"plan_context": context, "plan_sections": plan_sections(context)}
