"""The schema is Alembic's: the migrations produce exactly what the models declare."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_migrations_match_the_models(app):
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_every_table_is_created_by_a_migration_not_by_create_all(app):
    from sqlalchemy import inspect

    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert "alembic_version" in tables
    assert {"ab_user", "ab_role", "cabinet", "client", "client_collaborator",
            "dashboard_pin"} <= tables


def test_sqlite_connections_enforce_foreign_keys_after_migrating(app):
    """env.py turns them off while it rebuilds tables, and on again before the
    connection returns to the pool."""
    import pytest
    from sqlalchemy import text

    if app.config["TEST_BACKEND"] != "sqlite":
        pytest.skip("a SQLite pragma")

    with app.app_context():
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()
