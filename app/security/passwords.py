"""Password policy for real users (demo and tests may bypass it by config)."""
import re

from flask import current_app
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext


def password_problems(password, min_length):
    problems = []
    if len(password or "") < min_length:
        problems.append(gettext("au moins %(n)d caractères", n=min_length))
    if not re.search(r"[a-zà-ÿ]", password or ""):
        problems.append(gettext("une minuscule"))
    if not re.search(r"[A-ZÀ-Þ]", password or ""):
        problems.append(gettext("une majuscule"))
    if not re.search(r"\d", password or ""):
        problems.append(gettext("un chiffre"))
    if not re.search(r"[^\w\s]|_", password or ""):
        problems.append(gettext("un caractère spécial"))
    return problems


def validate_password(password):
    problems = password_problems(password, current_app.config.get("PASSWORD_MIN_LENGTH", 12))
    if problems:
        raise PasswordComplexityValidationError(
            gettext("Le mot de passe doit contenir %(items)s.", items=", ".join(problems))
        )
