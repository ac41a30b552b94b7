"""Passerelle settings.

Every setting can be overridden by an environment variable of the same name
(booleans: 1/0, true/false, oui/non). Nothing here keeps state in a process:
sessions live in signed cookies, rate-limit counters in RATELIMIT_STORAGE_URI.
"""
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("PASSERELLE_INSTANCE_DIR", BASE_DIR / "instance"))


def env_str(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in ("1", "true", "yes", "on", "oui")


def env_int(name, default):
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def _persistent_secret_key():
    """A random key generated once and kept under instance/, so that sessions
    survive restarts and every worker of one machine shares it."""
    key_file = INSTANCE_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _database_url():
    url = env_str("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'passerelle.db'}")
    # Heroku-style URLs and plain postgresql:// both work: use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


SECRET_KEY = env_str("SECRET_KEY") or _persistent_secret_key()
SQLALCHEMY_DATABASE_URI = _database_url()
SQLALCHEMY_TRACK_MODIFICATIONS = False
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

APP_NAME = "Passerelle"
APP_ICON = ""
APP_THEME = ""  # the theme is served by the app itself, see templates/passerelle/base.html
FAB_BASE_TEMPLATE = "passerelle/base.html"
FAB_INDEX_VIEW = "app.views.home.HomeView"
FAB_SECURITY_MANAGER_CLASS = "app.security.manager.PasserelleSecurityManager"
# Permissions and roles are written by `flask sync-roles` (after migrations), never at import.
FAB_UPDATE_PERMS = False
# The schema is Alembic's alone (flask db upgrade): FAB never creates tables.
FAB_CREATE_DB = False
# FAB's user/role/group CRUD API would bypass the owner rule; the login API stays.
FAB_ADD_SECURITY_API = False
FAB_API_SWAGGER_UI = env_bool("FAB_API_SWAGGER_UI", True)
FAB_API_MAX_PAGE_SIZE = env_int("FAB_API_MAX_PAGE_SIZE", 100)
# Largest page a list screen may show (psize_<View>=…); anything above is refused.
MAX_PAGE_SIZE = env_int("MAX_PAGE_SIZE", 500)
# Above this many documents and payments, an accounting export streams a progress page.
EXPORT_PROGRESS_THRESHOLD = env_int("EXPORT_PROGRESS_THRESHOLD", 5000)
# « Contacter le support »: the phone number and address shown in the support panel.
SUPPORT_PHONE = env_str("SUPPORT_PHONE", "01 23 45 67 89")
SUPPORT_EMAIL = env_str("SUPPORT_EMAIL", "support@passerelle.fr")
# « Supprimer le compte du cabinet »: days its data is kept before `flask purge-cabinets`
# erases it (the platform Admin sees the date and may restore the account until then).
CABINET_RETENTION_DAYS = env_int("CABINET_RETENTION_DAYS", 90)

# Imports of contacts and articles (issue 8): what one file may weigh, hold and inflate
# to (an XLSX is a zip: its uncompressed size is checked before reading), and how long
# an uploaded file waits for its confirmation after the preview.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 16_000_000)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 100_000)
IMPORT_MAX_UNCOMPRESSED = env_int("IMPORT_MAX_UNCOMPRESSED", 80_000_000)
IMPORT_UPLOAD_TTL_MINUTES = env_int("IMPORT_UPLOAD_TTL_MINUTES", 60)

# Language: French first, English available.
BABEL_DEFAULT_LOCALE = env_str("BABEL_DEFAULT_LOCALE", "fr")
BABEL_DEFAULT_TIMEZONE = env_str("BABEL_DEFAULT_TIMEZONE", "Europe/Paris")
BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
LANGUAGES = {
    "fr": {"flag": "fr", "name": "Français"},
    "en": {"flag": "gb", "name": "English"},
}

# Authentication and security.
AUTH_TYPE = 1  # AUTH_DB
AUTH_USER_REGISTRATION = False
AUTH_ROLE_ADMIN = "Admin"
AUTH_ROLE_PUBLIC = "Public"
AUTH_RATE_LIMITED = env_bool("AUTH_RATE_LIMITED", True)
AUTH_RATE_LIMIT = env_str("AUTH_RATE_LIMIT", "10 per 20 second")
RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI", "memory://")
RATELIMIT_HEADERS_ENABLED = True
FAB_PASSWORD_COMPLEXITY_ENABLED = env_bool("FAB_PASSWORD_COMPLEXITY_ENABLED", True)
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 12)

WTF_CSRF_ENABLED = env_bool("WTF_CSRF_ENABLED", True)
WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
PERMANENT_SESSION_LIFETIME = env_int("PERMANENT_SESSION_LIFETIME", 8 * 3600)
JWT_ACCESS_TOKEN_EXPIRES = env_int("JWT_ACCESS_TOKEN_EXPIRES", 900)

# Uploads are read in memory and kept in the database; this caps one request.
MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 20 * 1024 * 1024)

# Roles are kept in sync at start-up (set to 0 when `flask sync-roles` runs at deploy time).
SYNC_ROLES_AT_STARTUP = env_bool("SYNC_ROLES_AT_STARTUP", True)

DEMO_PASSWORD = env_str("DEMO_PASSWORD", "Passerelle-2026")
