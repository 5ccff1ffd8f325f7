"""A real PostgreSQL server for tests: Debian's binaries, a cluster in a temporary folder, a unix
socket in that folder and no TCP. PostgreSQL refuses to run as root, so as root the cluster
belongs to `nobody` and its programs run through setpriv; as any other user they run directly.

    with PgServer() as pg:
        pg.url            # postgresql:///ambi?host=/tmp/...&port=5432&user=ambi
        pg.query("SELECT 1")
        pg.stop(); pg.start()
"""

import os
import pwd
import shutil
import subprocess
import tempfile

PG_BIN = "/usr/lib/postgresql/15/bin"
PSQL = "/usr/bin/psql"
TIMEOUT_S = 60
PORT = 5432  # names the socket file only: there is no TCP listener


class PgServer:
    def __init__(self, database="ambi", user="ambi"):
        self.database = database
        self.user = user
        self.root = tempfile.mkdtemp(prefix="ambi-pg-")
        self.data = os.path.join(self.root, "data")
        self.socket_dir = os.path.join(self.root, "sock")
        self.log = os.path.join(self.root, "server.log")
        os.mkdir(self.socket_dir)
        self._as_nobody = os.geteuid() == 0
        if self._as_nobody:
            nobody = pwd.getpwnam("nobody")
            for path in (self.root, self.socket_dir):
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
            self._prefix = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                            "--clear-groups", "--"]
        else:
            self._prefix = []
        self._env = dict(os.environ, LC_ALL="C", LANG="C", HOME=self.root)
        self._env.pop("PGPASSWORD", None)
        self._run([f"{PG_BIN}/initdb", "-D", self.data, "-U", self.user, "--auth=trust",
                   "-E", "UTF8", "--no-sync", "--no-instructions"])
        self.start()
        self._run([f"{PG_BIN}/createdb", "-h", self.socket_dir, "-p", str(PORT), "-U", self.user,
                   self.database])

    @property
    def url(self):
        return (f"postgresql:///{self.database}?host={self.socket_dir}&port={PORT}"
                f"&user={self.user}")

    def _run(self, command):
        result = subprocess.run(self._prefix + command, capture_output=True, text=True,
                                env=self._env, cwd=self.root, timeout=TIMEOUT_S)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited {result.returncode}: "
                               f"{result.stdout[-1500:]}{result.stderr[-1500:]}")
        return result.stdout

    def start(self):
        options = (f"-k {self.socket_dir} -p {PORT} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._run([f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "30",
                   "-o", options, "start"])

    def stop(self, mode="fast"):
        self._run([f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "30", "stop"])

    def query(self, sql, database=None):
        """Rows of 'sql' as lists of strings (psql, unaligned, tab-separated)."""
        url = self.url if database is None else self.url.replace(
            f"/{self.database}?", f"/{database}?")
        result = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                                 "-d", url, "-c", sql],
                                capture_output=True, text=True, timeout=TIMEOUT_S)
        if result.returncode != 0:
            raise RuntimeError(f"psql {sql!r}: {result.stderr.strip()}")
        return [line.split("\t") for line in result.stdout.splitlines() if line]

    def scalar(self, sql):
        return self.query(sql)[0][0]

    def server_log(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        try:
            self.stop("immediate")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
