"""A small Python client of ambid (ambi.v1.Ambi over gRPC), on Debian's python3-grpcio.

The ambi.v1 stubs are generated from proto/ at build time (build/<cfg>/python/ambi/v1/); put
that folder and this package on PYTHONPATH (the build does, see clients/python/README.md).

    from ambi_client import Client
    with Client("unix:/run/ambi/ambid.sock") as ambid:
        for session in ambid.sessions(athlete="alice", since=week_start):
            print(session.session_id, len(ambid.session(session.session_id).rep_pairs))
"""

import datetime
import os

import grpc

from ambi.v1 import common_pb2, events_pb2, service_pb2, service_pb2_grpc

DEFAULT_ADDRESS = "unix:/run/ambi/ambid.sock"

__all__ = ["Client", "AmbidUnreachable", "DEFAULT_ADDRESS", "common_pb2", "events_pb2",
           "service_pb2", "unix_ns",
           "iso_week_start"]


class AmbidUnreachable(RuntimeError):
    """ambid does not answer at the address (not running, wrong socket, no permission)."""


def normalize_address(address):
    """A bare path is a unix socket."""
    return "unix:" + address if address.startswith("/") or address.startswith("./") else address


def default_address():
    """$AMBI_ADDRESS, else the system socket."""
    return normalize_address(os.environ.get("AMBI_ADDRESS") or DEFAULT_ADDRESS)


def read_token_file(path):
    """The token in 'path': the first line that is not blank or a '#' comment, either the token
    alone or "<role> <token>" as in ambid's token file."""
    with open(path, encoding="ascii") as lines:
        for line in lines:
            fields = line.split()
            if fields and not fields[0].startswith("#"):
                return fields[-1] if len(fields) > 1 else fields[0]
    raise ValueError(f"token file {path} holds no token")


def _is_local(address):
    """The unix socket or a loopback TCP address: a plaintext token stays on this machine."""
    if address.startswith("unix:"):
        return True
    host = address.rsplit(":", 1)[0]
    numeric = all(c.isdigit() or c == "." for c in host)
    return (host.startswith("127.") and numeric) or host in ("localhost", "[::1]")


def unix_ns(moment):
    """A timezone-aware datetime as Unix nanoseconds."""
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def iso_week_start(moment=None):
    """Monday 00:00 UTC of the ISO week containing 'moment' (default: now)."""
    moment = moment or datetime.datetime.now(datetime.timezone.utc)
    day = moment.astimezone(datetime.timezone.utc).date()
    monday = day - datetime.timedelta(days=day.weekday())
    return datetime.datetime(monday.year, monday.month, monday.day, tzinfo=datetime.timezone.utc)


class Client:
    """The calls a script needs; every method raises AmbidUnreachable when ambid is not there
    and grpc.RpcError for what ambid refused (unknown session: NOT_FOUND)."""

    def __init__(self, address=None, timeout_s=15.0, token_file=None, tls_ca=None):
        """token_file: a file holding the bearer token ambid asks of TCP clients (the token
        alone, or "<role> <token>"); tls_ca: PEM file of the CA of ambid's certificate (TLS)."""
        self.address = normalize_address(address) if address else default_address()
        self.timeout_s = timeout_s
        self._metadata = ()
        if token_file:
            if not tls_ca and not _is_local(self.address):
                raise ValueError(f"refusing to send the token in {token_file} in plaintext to "
                                 f"{self.address}: give tls_ca")
            self._metadata = (("authorization", "Bearer " + read_token_file(token_file)),)
        if tls_ca:
            with open(tls_ca, "rb") as pem:
                credentials = grpc.ssl_channel_credentials(root_certificates=pem.read())
            self._channel = grpc.secure_channel(self.address, credentials)
        else:
            self._channel = grpc.insecure_channel(self.address)
        self._stub = service_pb2_grpc.AmbiStub(self._channel)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._channel.close()

    def wait_for_server(self, timeout_s):
        try:
            grpc.channel_ready_future(self._channel).result(timeout=timeout_s)
        except grpc.FutureTimeoutError as error:
            raise AmbidUnreachable(f"cannot reach ambid at {self.address}: is ambid running?") \
                from error

    def _call(self, method, request):
        try:
            return method(request, timeout=self.timeout_s, metadata=self._metadata)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.UNAVAILABLE:
                raise AmbidUnreachable(f"cannot reach ambid at {self.address}: is ambid "
                                       "running?") from None
            raise

    def devices(self, athlete=""):
        return list(self._call(self._stub.ListDevices,
                               service_pb2.ListDevicesRequest(athlete=athlete)).devices)

    def sessions(self, athlete="", since=None, until=None, limit=0):
        """Sessions newest first; since/until: aware datetimes (or None)."""
        request = service_pb2.ListSessionsRequest(
            athlete=athlete, from_unix_ns=unix_ns(since) if since else 0,
            to_unix_ns=unix_ns(until) if until else 0, limit=limit)
        return list(self._call(self._stub.ListSessions, request).sessions)

    def session(self, session_id):
        """GetSessionResponse: session, sets, cues, rep_pairs, sensor_events, unpaired_reps."""
        return self._call(self._stub.GetSession,
                          service_pb2.GetSessionRequest(session_id=session_id))

    def weekly_balance(self, athlete, weeks=4):
        return self._call(self._stub.GetWeeklyBalance,
                          service_pb2.WeeklyBalanceRequest(athlete=athlete, weeks=weeks))

    def watch(self, athletes=(), kinds=()):
        """Live events (LiveEvent) as they come; ends when ambid stops. Cancel by closing."""
        request = service_pb2.SubscribeRequest(athletes=list(athletes), kinds=list(kinds))
        try:
            yield from self._stub.Subscribe(request, metadata=self._metadata)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.UNAVAILABLE:
                raise AmbidUnreachable(f"cannot reach ambid at {self.address}: is ambid "
                                       "running?") from None
            if error.code() != grpc.StatusCode.CANCELLED:
                raise
