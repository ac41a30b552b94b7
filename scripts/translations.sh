#!/usr/bin/env bash
# Maintain Passerelle's French catalogue (translations/fr/LC_MESSAGES/messages.po).
#
# The catalogue holds the project's own strings AND Flask-AppBuilder's: FAB's shipped
# French catalogue is stale and does not compile, so ours replaces it. For that reason
# `update` extracts from app/ and from the installed flask_appbuilder package into one
# .pot, so that `pybabel update` never drops the FAB strings.
#
# Usage:
#   scripts/translations.sh compile   # .po -> .mo; fails on errors, untranslated or fuzzy
#   scripts/translations.sh update    # extract app/ + FAB into messages.pot, merge into fr .po
#
# Environment: PYBABEL (default: .venv/bin/pybabel), PYTHON (default: .venv/bin/python).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYBABEL="${PYBABEL:-$ROOT/.venv/bin/pybabel}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
TRANSLATIONS_DIR="translations"
POT="$TRANSLATIONS_DIR/messages.pot"
PO="$TRANSLATIONS_DIR/fr/LC_MESSAGES/messages.po"
APP_POT="$TRANSLATIONS_DIR/app.pot"
EN_PO="$TRANSLATIONS_DIR/en/LC_MESSAGES/messages.po"
KEYWORDS=(-k lazy_gettext -k _ -k __ -k _l -k ngettext:1,2 -k lazy_ngettext:1,2
          -k lazy_formatter_gettext:1 -k N_ -k InvalidListArgument -k DocumentError)

die() { echo "translations.sh: $*" >&2; exit 1; }

[ -x "$PYBABEL" ] || die "pybabel not found at $PYBABEL (set PYBABEL or create .venv)"

cmd_compile() {
    local out po n
    # pybabel prints its statistics and errors on stderr: capture and show them.
    if ! out="$("$PYBABEL" compile --statistics -d "$TRANSLATIONS_DIR" 2>&1)"; then
        printf '%s\n' "$out" >&2
        die "pybabel compile failed"
    fi
    printf '%s\n' "$out"
    # pybabel exits 0 when it skips a catalogue marked fuzzy, compiles fuzzy entries
    # out, and leaves untranslated ones in English: treat all three as failures.
    if printf '%s\n' "$out" | grep -q 'is marked as fuzzy'; then
        die "a catalogue is marked as fuzzy and was not compiled"
    fi
    if printf '%s\n' "$out" | awk '/messages .* translated in/ && $1 != $3 {bad=1} END {exit !bad}'; then
        die "untranslated messages (see statistics above)"
    fi
    for po in "$TRANSLATIONS_DIR"/*/LC_MESSAGES/*.po; do
        n="$(grep -c '^#,.*\bfuzzy\b' "$po" || true)"
        [ "$n" -eq 0 ] || die "$po: $n fuzzy entries (review them and remove the flag)"
        echo "$po: 0 fuzzy, 0 untranslated"
    done
}

cmd_update() {
    local fab_dir
    fab_dir="$("$PYTHON" -c 'import flask_appbuilder, os; print(os.path.dirname(flask_appbuilder.__file__))')" \
        || die "cannot import flask_appbuilder with $PYTHON"
    # Relative path keeps the location comments short and machine-independent.
    fab_dir="$("$PYTHON" -c 'import os, sys; print(os.path.relpath(sys.argv[1]))' "$fab_dir")"
    [ -d app ] || die "app/ not found in $ROOT"
    [ -f "$PO" ] || die "$PO not found"

    "$PYBABEL" extract -F babel.cfg "${KEYWORDS[@]}" -c TRANSLATORS: \
        --project=Passerelle --copyright-holder=Passerelle \
        -o "$POT" app "$fab_dir"
    "$PYBABEL" update --no-fuzzy-matching -i "$POT" -d "$TRANSLATIONS_DIR" -l fr
    # The project's own strings are written in French: in the French catalogue each
    # is its own translation. FAB's strings (English) keep their French msgstr.
    "$PYTHON" - "$PO" <<'PY'
import sys
from babel.messages.pofile import read_po, write_po
path = sys.argv[1]
with open(path, "rb") as handle:
    catalog = read_po(handle, locale="fr")
filled = 0
for message in catalog:
    if message.id and not message.string and all(loc[0].startswith("app/") for loc in message.locations):
        message.string = message.id
        filled += 1
with open(path, "wb") as handle:
    write_po(handle, catalog, width=100)
print(f"{path}: {filled} project strings filled with their French source")
PY
    # English: only the project's strings need a catalogue (FAB's are English already).
    "$PYBABEL" extract -F babel.cfg "${KEYWORDS[@]}" -c TRANSLATORS: \
        --project=Passerelle --copyright-holder=Passerelle -o "$APP_POT" app
    if [ -f "$EN_PO" ]; then
        "$PYBABEL" update --no-fuzzy-matching -i "$APP_POT" -d "$TRANSLATIONS_DIR" -l en
    else
        "$PYBABEL" init -i "$APP_POT" -d "$TRANSLATIONS_DIR" -l en
    fi
    echo "Updated $PO and $EN_PO; translate any new empty msgstr in $EN_PO, then run: $0 compile"
}

case "${1:-}" in
    compile) cmd_compile ;;
    update)  cmd_update ;;
    *) echo "usage: $0 {compile|update}" >&2; exit 2 ;;
esac
