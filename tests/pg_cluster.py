"""A throw-away PostgreSQL cluster for the tests of the PostgreSQL memory backend.

Debian's `postgresql` package (`make postgres` installs it as root) puts initdb and pg_ctl in
/usr/lib/postgresql/<version>/bin. The cluster runs as the `postgres` user (PostgreSQL refuses
to run as root) from a temporary directory it owns, on a free port of 127.0.0.1 with its socket
in that directory, trusting local connections; it is stopped and removed at the end.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Cluster:
    bindir: Path
    data: Path
    port: int
    prefix: list[str]  # runs a command as the postgres user

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        subprocess.run(
            [*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate"]
            + ["-w", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.data.parent, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: Path(p).parts[4])
    return Path(found[-1]).parent if found else None


def start() -> Cluster | str:
    """A running cluster, or why there cannot be one (the skip reason)."""
    bindir = _bindir()
    if bindir is None:
        return (
            "PostgreSQL tests skipped: no initdb under /usr/lib/postgresql/*/bin "
            "(as root, `make postgres` installs Debian's postgresql package)"
        )
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        return "PostgreSQL tests skipped: there is no `postgres` user to run the server as"
    if os.getuid() == 0:
        prefix = ["runuser", "-u", "postgres", "--"]
    elif os.getuid() == owner.pw_uid:
        prefix = []
    else:
        return "PostgreSQL tests skipped: a cluster can be started only as root or as postgres"
    top = Path(tempfile.mkdtemp(prefix="dilmanc-pg-"))
    os.chown(top, owner.pw_uid, owner.pw_gid)
    data, port = top / "data", _free_port()
    as_pg = [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
    steps = [
        as_pg + ["-E", "UTF8", "--no-locale", "--no-sync"],
        [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(top / "log"), "-w"]
        + ["-o", f"-p {port} -k {top} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode:
            shutil.rmtree(top, ignore_errors=True)
            why = (done.stderr or done.stdout).strip().splitlines()[-1:]
            return f"PostgreSQL tests skipped: {Path(step[len(prefix)]).name} failed ({why})"
    return Cluster(bindir, data, port, prefix)


def create_database(cluster: Cluster, name: str) -> str:
    """A new empty database with pg_trgm; its URL."""
    import psycopg

    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = cluster.url(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    return url
