"""Three replicas of one shard on loopback, for the replication tests
(tests/replication/replicated_shard_test.py) and the power-loss test of a
whole group (tests/power_loss/replica_power_loss_test.py).

    r = ReplicaSet(tmp, messages, service, stubs, SERVER_BINARY)
    for i in r.ids:
        r.start(i)              # --replica_id=i, --replicas naming all three
    leader = r.leader()         # the replica that commits writes now
    ...
    stored = r.converged()      # every live replica holds the same records
    r.stop_all()                # AssertionError unless each exits 0

ModelView lets workload.Workload (tests/robustness) drive one replica;
leader_load builds both for a group whose leader may change.
"""
import os
import sys
import time

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "robustness"))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import stack  # noqa: E402
from harness import without_server_fields  # noqa: E402
from workload import Workload  # noqa: E402

ELECTION_MS = 1000
# A call marked as forwarded once already: a follower refuses it (NOT_LEADER)
# instead of sending it on to the leader.
NOT_FORWARDED = (("x-lmdbapi-forwarded", "1"),)


class ReplicaSet:
    """Three replicas of one shard, each a real server (the SERVER binary)
    on its own data directory under data_root (default tmp, which holds the
    port files), ports chosen here (the replicas must know each other's).
    cli: the lmdbapi CLI binary, for cli()."""

    def __init__(self, tmp, messages, service, stubs, server, cli=None, data_root=None):
        self.tmp, self.messages, self.service, self.stubs = tmp, messages, service, stubs
        self.server_binary, self.cli_binary = server, cli
        self.data_root = data_root or tmp
        self.procs = stack.Processes(tmp)
        self.ids = [1, 2, 3]
        self.client = {i: stack.free_port() for i in self.ids}
        self.raft = raft = {i: stack.free_port() for i in self.ids}
        # Replication addresses by name, as in Kubernetes (resolved by the
        # server: libraft itself takes numbers only).
        self.replicas_flag = ",".join("%d=localhost:%d=127.0.0.1:%d" % (i, raft[i], self.client[i])
                                      for i in self.ids)
        self.process, self.channel = {}, {}
        self.extra_flags = []
        self.tls = None  # (CA, client cert, client key): channels over TLS
        self.admin = None  # (messages, stubs) of the Admin service, once loaded

    def data(self, i):
        return os.path.join(self.data_root, "replica-%d" % i)

    def new_replica(self, i):
        """Ports for replica `i`, not a member yet: its (raft, client)
        addresses as AddReplica takes them."""
        self.ids.append(i)
        self.raft[i], self.client[i] = stack.free_port(), stack.free_port()
        return "localhost:%d" % self.raft[i], "127.0.0.1:%d" % self.client[i]

    def cli(self, i, *args):
        """`lmdbapi replicas --server <replica i> ARGS`: (exit status, output)."""
        r = stack.subprocess.run([self.cli_binary, "replicas", "--server=127.0.0.1:%d" % self.client[i]]
                                 + list(args), capture_output=True, text=True, timeout=120)
        return r.returncode, r.stdout + r.stderr

    def start(self, i, *flags):
        # A snapshot every 64 entries: restarts load one and replay the log
        # after it.
        flags = ["--listen=127.0.0.1:%d" % self.client[i], "--replica_id=%d" % i,
                 "--replicas=" + self.replicas_flag, "--election_timeout_ms=%d" % ELECTION_MS,
                 "--snapshot_entries=64"] + self.extra_flags + list(flags)
        self.process[i], _ = self.procs.server("replica-%d" % i, self.server_binary,
                                               *flags, data_dir=self.data(i))
        credentials = None
        if self.tls:
            ca, cert, key = (stack.read_file(f) for f in self.tls)
            credentials = grpc.ssl_channel_credentials(ca, key, cert)
        self.channel[i] = stack.ready_channel(self.process[i], self.client[i], credentials)

    def stop_all(self, cleanly=True):
        """Closes the test's channels, then stops every replica (cleanly:
        AssertionError unless each exits 0). Closed first because a server's
        drain waits for its connections to go, and an idle client channel
        reads the server's GOAWAY only on gRPC's 5 s backup poll
        (docs/SERVER.md, "Stopping")."""
        for channel in self.channel.values():
            channel.close()
        self.channel.clear()
        if cleanly:
            self.procs.stop_all_cleanly()
        else:
            self.procs.stop_all()

    def restart_all(self, flags):
        """Stops every replica cleanly and starts each again with `flags`
        (kept for later starts): (the leader, a follower)."""
        self.stop_all()
        self.extra_flags = list(flags)
        for i in self.ids:
            self.start(i)
        leader = self.leader()
        return leader, next(i for i in self.ids if i != leader)

    def permits(self, i):
        return self.stubs.PermitsStub(self.channel[i])

    def live(self):
        return [i for i in self.ids if i in self.process and self.process[i].poll() is None]

    def kill(self, i):
        self.procs.kill(self.process[i])
        self.process[i].wait()
        self.channel.pop(i).close()

    def probe(self, i):
        """A write through the log that changes nothing (the delete of a key
        nobody has): None on the leader, else the error's code."""
        try:
            self.permits(i).Delete(self.service.DeletePermitRequest(uuid="probe-absent"),
                                   timeout=2, metadata=NOT_FORWARDED)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:
                return None
            return e.code()
        raise AssertionError("deleting an absent key succeeded")

    def leader(self, among=None, timeout=15):
        """The replica that commits writes now (waits for one)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for i in among or self.live():
                if i in self.channel and self.probe(i) is None:
                    return i
            time.sleep(0.02)
        raise AssertionError("no replica led within %d s" % timeout)

    def records(self, i):
        stored, token = {}, ""
        while True:
            page = self.permits(i).Paginate(
                self.service.PaginatePermitsRequest(page_size=1000, page_token=token))
            for p in page.permits:
                stored[p.uuid] = p
            token = page.next_page_token
            if not token:
                return stored

    def converged(self, timeout=20):
        """Waits until every live replica holds the same records (server
        fields included: revisions and times are the leader's); returns them."""
        deadline = time.time() + timeout
        while True:
            views = [self.records(i) for i in self.live()]
            if all(v == views[0] for v in views):
                return views[0]
            if time.time() > deadline:
                sizes = [len(v) for v in views]
                raise AssertionError("replicas did not converge within %d s (records: %s)"
                                     % (timeout, sizes))
            time.sleep(0.1)

    def verify(self, i):
        """Offline (the replica stopped): `--verify` of its data directory."""
        return self.run_server("--data_dir=" + self.data(i), "--verify")

    def verify_online(self, i):
        """Admin/Verify of running replica i: (whether its indexes are
        consistent with its records and built, the report). A replica that
        was killed rolls back its unsynced commits when it starts again
        (their log entries are applied again), so it is verified running."""
        if self.admin is None:
            self.admin = stack.load_admin(os.path.join(self.tmp, "admin"))
        admin, admin_grpc = self.admin
        report = admin_grpc.AdminStub(self.channel[i]).Verify(admin.VerifyRequest(), timeout=60)
        return report.ok and not report.building, report

    def run_server(self, *flags):
        """The server binary as a command: (exit status, its output's tail)."""
        r = stack.subprocess.run([self.server_binary] + list(flags), capture_output=True, text=True,
                                 timeout=120)
        return r.returncode, r.stdout[-stack.TAIL:] + r.stderr[-stack.TAIL:]


def leader_load(test, replicas, rng):
    """(view, load): a workload.Workload driving the group through the
    replica view.at (ModelView). A slow machine may change leaders at any
    moment, and a follower's NOT_LEADER (FAILED_PRECONDITION) is a refusal."""
    view = ModelView(replicas)
    load = Workload(test, view, rng)
    load.cut_anytime = True
    load.refused = (grpc.StatusCode.FAILED_PRECONDITION,)
    return view, load


class ModelView:
    """What workload.Workload needs of a harness, over one replica."""

    def __init__(self, replicas):
        self.messages, self.service = replicas.messages, replicas.service
        self.stubs, self.replicas, self.at = replicas.stubs, replicas, None

    @property
    def channel(self):
        """The channel of the replica the load writes to (workload.py's
        Transactions calls use it)."""
        return self.replicas.channel[self.at]

    def page_all(self, permits, as_written=False):
        stored, token = {}, ""
        while True:
            page = permits.Paginate(self.service.PaginatePermitsRequest(page_size=1000,
                                                                        page_token=token))
            for p in page.permits:
                stored[p.uuid] = without_server_fields(p) if as_written else p
            token = page.next_page_token
            if not token:
                return stored
