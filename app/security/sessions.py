"""Sessions end when the password changes.

Flask-Login keeps `AppUser.get_id()` in the session cookie: « <id>.<token> »
once the user has a session token. Changing the password draws a new token
(`renew_session_token`): every session opened before holds the old one and
`user_from_session_id` refuses it, so the user must log in again there; the
session of the change is logged in again with the new token. API tokens (JWT)
carry the id only and are not affected.
"""
from __future__ import annotations

import secrets
from typing import Optional


def split_session_id(value) -> tuple:
    """« 12.abcd » → (12, "abcd"); « 12 » → (12, None); anything else → (None, None)."""
    text = str(value or "")
    number, _, token = text.partition(".")
    if not number.isdigit():
        return None, None
    return int(number), (token or None)


def session_is_current(user, token: Optional[str]) -> bool:
    """A session opened with `token` is still valid for `user`."""
    if not user.session_token:
        return True
    return token is not None and secrets.compare_digest(token, user.session_token)


def renew_session_token(user) -> str:
    """A new token for `user`: sessions opened before it stop being valid."""
    user.session_token = secrets.token_urlsafe(32)
    return user.session_token
