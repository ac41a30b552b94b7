"""Extension singletons, bound to the app in create_app().

The rate limiter is per app: FAB's security manager creates it (see
app.security.manager), reachable as current_app.appbuilder.sm.limiter."""
from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla import Model
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

# FAB's Model carries the metadata of the ab_* tables: share it so that
# Alembic sees FAB's tables and ours in one schema.
db = SQLAlchemy(metadata=Model.metadata)
csrf = CSRFProtect()
migrate = Migrate()


def new_appbuilder():
    """FAB's AppBuilder keeps the views it registered, so each app gets its own
    (the tests build one app per database); reach it with current_app.appbuilder."""
    return AppBuilder()
