"""Per-user display choices of the client list, kept across sessions."""
from sqlalchemy import select

from app.clients.listing import COLUMNS, DEFAULT_COLUMNS, DEFAULT_PAGE_SIZE, MODES, PAGE_SIZES
from app.models import UserPreference

CLIENT_LIST_KEY = "client_list"


def default_list_preferences():
    return {"columns": list(DEFAULT_COLUMNS), "mode": "pages", "page_size": DEFAULT_PAGE_SIZE}


def clean_list_preferences(raw):
    """Keep only known values; the company name column can never be hidden."""
    prefs = default_list_preferences()
    raw = raw if isinstance(raw, dict) else {}
    columns = [c for c in COLUMNS if c in (raw.get("columns") or [])]
    if columns:
        prefs["columns"] = ["name"] + [c for c in columns if c != "name"]
    if raw.get("mode") in MODES:
        prefs["mode"] = raw["mode"]
    try:
        size = int(raw.get("page_size", DEFAULT_PAGE_SIZE))
    except (TypeError, ValueError):
        size = DEFAULT_PAGE_SIZE
    prefs["page_size"] = size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE
    return prefs


def load_list_preferences(session, user_id):
    row = session.scalar(select(UserPreference).where(
        UserPreference.user_id == user_id, UserPreference.key == CLIENT_LIST_KEY))
    return clean_list_preferences(row.value if row else None)


def save_list_preferences(session, user_id, raw):
    prefs = clean_list_preferences(raw)
    row = session.scalar(select(UserPreference).where(
        UserPreference.user_id == user_id, UserPreference.key == CLIENT_LIST_KEY))
    if row is None:
        session.add(UserPreference(user_id=user_id, key=CLIENT_LIST_KEY, value=prefs))
    else:
        row.value = prefs
    return prefs
