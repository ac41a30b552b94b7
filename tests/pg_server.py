"""Serveur PostgreSQL jetable pour les tests.

Module Python ordinaire (aucune dépendance à pytest) ::

    from pg_server import TemporaryPostgres

    with TemporaryPostgres() as pg:
        engine = sqlalchemy.create_engine(pg.url)
        autre_url = pg.create_database("autre_base")

Le serveur est initialisé dans un répertoire temporaire (initdb), écoute
uniquement sur 127.0.0.1 sur un port libre, avec les écritures disque
désactivées (fsync, synchronous_commit, full_page_writes) : rapide, mais à
réserver aux tests. PostgreSQL refuse de tourner en root : lancé en root, le
serveur tourne sous un utilisateur non privilégié (``postgres`` s'il existe,
sinon ``nobody``) via ``runuser``.

``stop()`` arrête le serveur (pg_ctl stop -m immediate) et supprime le
répertoire ; il est aussi enregistré avec ``atexit``. Si un processus de test
a été tué sans pouvoir nettoyer (SIGKILL...), le serveur orphelin et son
répertoire sont supprimés au prochain ``start()``.

Binaires cherchés dans le PATH puis dans /usr/lib/postgresql/*/bin (la version
la plus haute) ; s'ils manquent : ``scripts/install_test_deps.sh``.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

__all__ = [
    "TemporaryPostgres",
    "PostgresError",
    "PostgresNotFound",
    "PostgresStartError",
    "find_pg_bindir",
    "cleanup_stale_servers",
]

INSTALL_HINT = "lancez scripts/install_test_deps.sh"
DIR_PREFIX = "passerelle-pg-"
OWNER_FILE = "owner.pid"
SUPERUSER = "postgres"
_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

# Réglages ajoutés à postgresql.conf : vitesse avant tout (données jetables).
_FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


class PostgresError(RuntimeError):
    """Erreur du serveur PostgreSQL de test."""


class PostgresNotFound(PostgresError):
    """initdb / pg_ctl introuvables."""


class PostgresStartError(PostgresError):
    """Le serveur n'a pas pu être initialisé ou démarré."""


def _version_key(path: str) -> tuple:
    # /usr/lib/postgresql/15/bin -> (15,) ; 9.6 -> (9, 6)
    version = os.path.basename(os.path.dirname(path))
    return tuple(int(part) if part.isdigit() else -1 for part in version.split("."))


def find_pg_bindir() -> str:
    """Répertoire contenant initdb et pg_ctl (PATH, puis /usr/lib/postgresql/*/bin)."""
    initdb = shutil.which("initdb")
    pg_ctl = shutil.which("pg_ctl")
    if initdb and pg_ctl:
        # Suivre les liens (/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb)
        # pour que initdb trouve le binaire postgres à côté de lui.
        return os.path.dirname(os.path.realpath(initdb))
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for bindir in candidates:
        if all(os.access(os.path.join(bindir, exe), os.X_OK) for exe in ("initdb", "pg_ctl", "postgres")):
            return bindir
    raise PostgresNotFound(
        f"PostgreSQL introuvable (initdb/pg_ctl absents du PATH et de /usr/lib/postgresql/*/bin): {INSTALL_HINT}"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_postmaster_pid(data_dir: str) -> int | None:
    try:
        with open(os.path.join(data_dir, "postmaster.pid"), encoding="ascii") as fh:
            return int(fh.readline().strip())
    except (OSError, ValueError):
        return None


def _kill_postmaster(data_dir: str, timeout: float = 10.0) -> None:
    """Arrêt brutal d'un postmaster par signal (si pg_ctl n'a pas suffi)."""
    pid = _read_postmaster_pid(data_dir)
    if pid is None or not _pid_alive(pid):
        return
    try:
        os.kill(pid, signal.SIGQUIT)  # = pg_ctl stop -m immediate
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + timeout
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _pid_alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _remove_dir(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def cleanup_stale_servers(base_dir: str | None = None) -> list[str]:
    """Supprime les serveurs laissés par des processus morts (répertoires DIR_PREFIX*).

    Chaque répertoire contient OWNER_FILE (pid du processus créateur) ; s'il
    n'existe plus, son serveur est arrêté et le répertoire supprimé. Renvoie
    la liste des répertoires supprimés.
    """
    base_dir = base_dir or tempfile.gettempdir()
    removed = []
    for path in glob.glob(os.path.join(base_dir, DIR_PREFIX + "*")):
        try:
            with open(os.path.join(path, OWNER_FILE), encoding="ascii") as fh:
                owner = int(fh.read().strip())
        except (OSError, ValueError):
            continue  # pas (encore) à nous, ou en cours de création
        if _pid_alive(owner):
            continue
        _kill_postmaster(os.path.join(path, "data"))
        _remove_dir(path)
        removed.append(path)
    return removed


def _traversable_by_others(path: str) -> bool:
    """Tous les ancêtres de path sont-ils traversables (o+x) par un autre utilisateur ?"""
    path = os.path.abspath(path)
    while True:
        try:
            if not os.stat(path).st_mode & 0o001:
                return False
        except OSError:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


class TemporaryPostgres:
    """Serveur PostgreSQL jetable (context manager).

    Paramètres :
      dbname          base créée au démarrage (``.url`` pointe dessus)
      run_as          utilisateur système du serveur quand on est root
                      (défaut : ``postgres`` s'il existe, sinon ``nobody``) ;
                      ignoré si on n'est pas root
      startup_timeout secondes max pour initdb + démarrage
      base_dir        où créer le répertoire temporaire (défaut : tempfile.gettempdir(),
                      ou /tmp si en root et ce répertoire n'est pas accessible à run_as)
      settings        réglages postgresql.conf supplémentaires {nom: valeur}

    Attributs après start() : url, host, port, user, dbname, base_dir,
    data_dir, socket_dir, log_path, bindir, run_as (None si pas root).
    """

    def __init__(
        self,
        dbname: str = "passerelle_test",
        *,
        run_as: str | None = None,
        startup_timeout: float = 60.0,
        base_dir: str | None = None,
        settings: dict[str, str] | None = None,
    ) -> None:
        _check_identifier(dbname)
        self.dbname = dbname
        self.user = SUPERUSER
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.startup_timeout = startup_timeout
        self.settings = {**_FAST_SETTINGS, **(settings or {})}
        self._requested_base_dir = base_dir
        self.run_as: str | None = None
        if os.geteuid() == 0:
            self.run_as = run_as or _default_unprivileged_user()
        self.bindir: str | None = None
        self.base_dir: str | None = None
        self.data_dir: str | None = None
        self.socket_dir: str | None = None
        self.log_path: str | None = None
        self._started = False

    # -- API publique -------------------------------------------------------

    @property
    def url(self) -> str:
        """URL SQLAlchemy de la base principale (postgresql+psycopg://...)."""
        return self.url_for(self.dbname)

    def url_for(self, dbname: str) -> str:
        """URL SQLAlchemy d'une base quelconque de ce serveur."""
        if self.port is None:
            raise PostgresError("serveur PostgreSQL non démarré (appelez start())")
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def start(self) -> "TemporaryPostgres":
        if self._started:
            return self
        self.bindir = find_pg_bindir()
        base = self._choose_base_dir()
        cleanup_stale_servers(base)
        self.base_dir = tempfile.mkdtemp(prefix=DIR_PREFIX, dir=base)
        atexit.register(self.stop)
        self._started = True
        try:
            with open(os.path.join(self.base_dir, OWNER_FILE), "w", encoding="ascii") as fh:
                fh.write(str(os.getpid()))
            self.data_dir = os.path.join(self.base_dir, "data")
            self.socket_dir = self.base_dir
            self.log_path = os.path.join(self.base_dir, "server.log")
            if self.run_as:
                entry = pwd.getpwnam(self.run_as)
                os.chown(self.base_dir, entry.pw_uid, entry.pw_gid)
                os.chmod(self.base_dir, 0o700)
            deadline = time.monotonic() + self.startup_timeout
            self._initdb(deadline)
            self._start_server(deadline)
            self._wait_ready(deadline)
            self._execute(f'CREATE DATABASE "{self.dbname}"')
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Arrête le serveur (immédiatement) et supprime le répertoire temporaire."""
        if not self._started:
            return
        self._started = False
        atexit.unregister(self.stop)
        if self.data_dir and os.path.exists(os.path.join(self.data_dir, "postmaster.pid")):
            try:
                self._run(
                    [self._bin("pg_ctl"), "stop", "-D", self.data_dir, "-m", "immediate", "-w", "-t", "30"],
                    timeout=40,
                )
            except (PostgresError, subprocess.TimeoutExpired, OSError):
                pass
            _kill_postmaster(self.data_dir)
        if self.base_dir:
            _remove_dir(self.base_dir)
        self.port = None

    def create_database(self, name: str, template: str | None = None) -> str:
        """Crée une base supplémentaire (éventuellement copie de `template`) ; renvoie son URL."""
        _check_identifier(name)
        sql = f'CREATE DATABASE "{name}"'
        if template is not None:
            _check_identifier(template)
            sql += f' TEMPLATE "{template}"'
        self._execute(sql)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Supprime une base (en coupant les connexions encore ouvertes)."""
        _check_identifier(name)
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def __enter__(self) -> "TemporaryPostgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.url if self._started and self.port else "arrêté"
        return f"<TemporaryPostgres {state}>"

    # -- interne ------------------------------------------------------------

    def _bin(self, name: str) -> str:
        return os.path.join(self.bindir, name)

    def _choose_base_dir(self) -> str:
        base = self._requested_base_dir or tempfile.gettempdir()
        if self.run_as and not _traversable_by_others(base):
            if self._requested_base_dir:
                raise PostgresStartError(
                    f"{base} n'est pas accessible à l'utilisateur {self.run_as} (droits o+x manquants)"
                )
            base = "/tmp"
        return base

    def _run(self, cmd: list[str], *, timeout: float, check: bool = True) -> subprocess.CompletedProcess:
        if self.run_as:
            runuser = shutil.which("runuser") or next(
                (p for p in ("/usr/sbin/runuser", "/sbin/runuser") if os.access(p, os.X_OK)), None
            )
            if runuser:
                cmd = [runuser, "-u", self.run_as, "--", *cmd]
                extra = {}
            else:  # pas de runuser : setuid fait par subprocess lui-même
                entry = pwd.getpwnam(self.run_as)
                extra = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        else:
            extra = {}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"  # messages non traduits, comportement stable
        proc = subprocess.run(
            cmd,
            cwd=self.base_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=max(timeout, 1),
            **extra,
        )
        if check and proc.returncode != 0:
            raise PostgresStartError(
                f"échec de {' '.join(cmd)} (code {proc.returncode}):\n{proc.stdout.strip()}{self._log_tail()}"
            )
        return proc

    def _initdb(self, deadline: float) -> None:
        base_cmd = [
            self._bin("initdb"),
            "-D", self.data_dir,
            "-U", self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        ]
        proc = None
        for locale in ("C.UTF-8", "C"):
            proc = self._run([*base_cmd, f"--locale={locale}"], timeout=deadline - time.monotonic(), check=False)
            if proc.returncode == 0:
                return
            # Locale C.UTF-8 indisponible : on retente en C (après avoir vidé data/).
            if os.path.exists(self.data_dir):
                self._run(["rm", "-rf", self.data_dir], timeout=30, check=False)
        raise PostgresStartError(f"échec de initdb (code {proc.returncode}):\n{proc.stdout.strip()}")

    def _write_config(self) -> None:
        conf = {
            **self.settings,
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": "'" + self.socket_dir.replace("'", "''") + "'",
        }
        lines = ["", "# --- tests/pg_server.py ---"]
        lines += [f"{key} = {value}" for key, value in conf.items()]
        # En root le fichier appartient à run_as : l'ajout en fin de fichier garde le propriétaire.
        # Réécrit à chaque tentative : la dernière valeur de "port" l'emporte.
        with open(os.path.join(self.data_dir, "postgresql.conf"), "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")

    def _start_server(self, deadline: float) -> None:
        last_error: PostgresStartError | None = None
        for _attempt in range(3):  # le port libre peut être pris entre-temps
            self.port = _free_port()
            self._write_config()
            remaining = int(max(deadline - time.monotonic(), 1))
            proc = self._run(
                [self._bin("pg_ctl"), "start", "-D", self.data_dir, "-l", self.log_path, "-w", "-t", str(remaining)],
                timeout=remaining + 10,
                check=False,
            )
            if proc.returncode == 0:
                return
            last_error = PostgresStartError(
                f"échec du démarrage de PostgreSQL (pg_ctl start, code {proc.returncode}):\n"
                f"{proc.stdout.strip()}{self._log_tail()}"
            )
            _kill_postmaster(self.data_dir)
            if "could not bind" not in self._log_tail() or time.monotonic() >= deadline:
                break
        self.port = None
        raise last_error

    def _connect(self, dbname: str = "postgres", connect_timeout: int = 5):
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover
            raise PostgresError("psycopg (v3) manquant dans l'environnement Python") from exc
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname=dbname,
            autocommit=True,
            connect_timeout=connect_timeout,
        )

    def _wait_ready(self, deadline: float) -> None:
        last_exc: Exception | None = None
        while True:
            try:
                with self._connect() as conn:
                    conn.execute("SELECT 1")
                return
            except Exception as exc:  # psycopg.OperationalError surtout
                last_exc = exc
            if time.monotonic() >= deadline:
                raise PostgresStartError(
                    f"PostgreSQL n'accepte pas de connexion sur {self.host}:{self.port}: {last_exc}{self._log_tail()}"
                )
            time.sleep(0.05)

    def _execute(self, sql: str) -> None:
        if not self._started or self.port is None:
            raise PostgresError("serveur PostgreSQL non démarré (appelez start())")
        with self._connect() as conn:
            conn.execute(sql)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                tail = fh.read().splitlines()[-lines:]
        except (OSError, TypeError):
            return ""
        return "\n--- " + str(self.log_path) + " ---\n" + "\n".join(tail) if tail else ""


def _check_identifier(name: str) -> None:
    if not _IDENTIFIER_RE.match(name):
        raise ValueError(f"nom de base invalide: {name!r} (lettres, chiffres, _ ; 63 caractères max)")


def _default_unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PostgresStartError(
        "PostgreSQL refuse de tourner en root et aucun utilisateur 'postgres' ni 'nobody' n'existe: "
        "créez-en un ou passez run_as=..."
    )
