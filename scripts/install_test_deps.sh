#!/usr/bin/env bash
# Installe les dépendances système des tests (Debian 12 / bookworm) :
#   - serveur PostgreSQL (initdb, pg_ctl) : paquet `postgresql`
#   - Chromium pour Playwright (/usr/bin/chromium) : paquet `chromium`
# Idempotent : si tout est déjà présent, ne fait rien (ni réseau, ni root requis).
set -euo pipefail

log() { printf 'install_test_deps: %s\n' "$*"; }
die() { printf 'install_test_deps: ERREUR: %s\n' "$*" >&2; exit 1; }

# Serveur PostgreSQL : initdb + pg_ctl dans le PATH ou sous /usr/lib/postgresql/*/bin.
find_pg_bindir() {
    local initdb pg_ctl dir
    initdb=$(command -v initdb 2>/dev/null || true)
    pg_ctl=$(command -v pg_ctl 2>/dev/null || true)
    if [[ -n "$initdb" && -n "$pg_ctl" ]]; then
        dirname "$initdb"
        return 0
    fi
    # Version la plus haute d'abord (tri numérique : 9.6 < 15 < 16).
    local dirs=()
    shopt -s nullglob
    dirs=(/usr/lib/postgresql/*/bin)
    shopt -u nullglob
    ((${#dirs[@]} > 0)) || return 1
    while IFS= read -r dir; do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            echo "$dir"
            return 0
        fi
    done < <(printf '%s\n' "${dirs[@]}" | sort -t/ -k5,5 -V -r)
    return 1
}

CHROMIUM_BIN=/usr/bin/chromium
packages=()

if pg_bindir=$(find_pg_bindir); then
    log "PostgreSQL déjà présent ($pg_bindir), rien à faire"
else
    log "PostgreSQL (initdb/pg_ctl) absent: paquet postgresql à installer"
    packages+=(postgresql)
fi

if [[ -x "$CHROMIUM_BIN" ]]; then
    log "Chromium déjà présent ($CHROMIUM_BIN), rien à faire"
else
    log "Chromium absent ($CHROMIUM_BIN): paquets chromium fonts-liberation à installer"
    packages+=(chromium fonts-liberation)
fi

if ((${#packages[@]} == 0)); then
    log "toutes les dépendances de test sont présentes"
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    log "pas root: utilisation de sudo"
    SUDO=(sudo)
else
    die "il manque ${packages[*]} et l'installation demande root (ni root, ni sudo disponible): lancez ce script en root"
fi
command -v apt-get >/dev/null 2>&1 || die "apt-get introuvable: installez à la main ${packages[*]}"

export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
log "apt-get install ${packages[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null 2>&1 \
    || "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}" \
    || die "échec de apt-get install ${packages[*]}"

# Vérification finale de ce qui vient d'être installé.
if [[ " ${packages[*]} " == *" postgresql "* ]]; then
    pg_bindir=$(find_pg_bindir) || die "PostgreSQL toujours introuvable après installation"
    log "PostgreSQL installé ($pg_bindir)"
fi
if [[ " ${packages[*]} " == *" chromium "* ]]; then
    [[ -x "$CHROMIUM_BIN" ]] || die "Chromium toujours introuvable ($CHROMIUM_BIN) après installation"
    log "Chromium installé ($("$CHROMIUM_BIN" --version 2>/dev/null || echo "$CHROMIUM_BIN"))"
fi
