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


def _index_columns(app):
    """{table: [(name, columns, unique)]} of the migrated database: its indexes, its
    unique constraints and its primary key, FAB's own tables left out."""
    from sqlalchemy import inspect

    with app.app_context():
        inspector = inspect(db.engine)
        tables = {}
        for table in inspector.get_table_names():
            if table.startswith("ab_") or table == "alembic_version":
                continue
            keys = [(key["name"], tuple(key["column_names"]), key["unique"])
                    for key in inspector.get_indexes(table)]
            keys += [(key["name"], tuple(key["column_names"]), True)
                     for key in inspector.get_unique_constraints(table)]
            primary = inspector.get_pk_constraint(table)
            keys.append((primary["name"] or "primary key",
                         tuple(primary["constrained_columns"]), True))
            tables[table] = keys
    return tables


def test_no_index_is_served_by_another(app):
    """An index on the first columns of another index (or of a unique constraint, or
    of the key) is maintained on every row written and never needed: both
    databases read the longer one by its first columns."""
    redundant = [
        (table, name, longer)
        for table, keys in _index_columns(app).items()
        for name, columns, unique in keys if not unique
        for longer, other, _ in keys
        if longer != name and other[:len(columns)] == columns
    ]
    assert redundant == []


def test_every_client_table_has_an_index_led_by_client_id(app):
    """Every query of a client's rows filters on client_id (the tenant scoping)."""
    from flask_appbuilder import Model

    from app.models.mixins import ClientOwned

    tables = _index_columns(app)
    client_tables = {mapper.local_table.name: mapper.class_
                     for mapper in Model.registry.mappers
                     if issubclass(mapper.class_, ClientOwned)}
    assert {"invoice", "article", "contact", "export_batch_document"} <= set(client_tables)
    for table, model in client_tables.items():
        led = [name for name, columns, _ in tables[table] if columns[0] == "client_id"]
        assert led, table
        if model.__client_id_index__ is not None:
            assert model.__client_id_index__ in led, table
    for table in ("article_version", "contact_version", "charge_version"):
        assert any(columns[0] == "client_id" for _, columns, _ in tables[table]), table
