"""Accent- and case-insensitive search, identical on SQLite and PostgreSQL.

Each client keeps a normalised copy of its searchable fields (`search_text`),
computed in Python, so the database only runs a plain LIKE on it.
"""
import re
import unicodedata


def normalise(text):
    """'  Électricité  Noël ' -> 'electricite noel'."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text))
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", without_accents.casefold()).strip()


def client_search_text(name, siren, dossier_code, dossier_label, email):
    parts = [normalise(name), (siren or "").replace(" ", ""), normalise(dossier_code),
             normalise(dossier_label), normalise(email)]
    return " | ".join(part for part in parts if part)


def like_pattern(term):
    """A LIKE pattern for a user's term, its wildcards escaped (escape char: \\)."""
    cleaned = normalise(term)
    digits_only = cleaned.replace(" ", "")
    if digits_only.isdigit():
        cleaned = digits_only  # « 732 829 320 » finds the SIREN 732829320
    escaped = cleaned.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
