"""The write load of the crash and power-loss tests, and the model it checks.

64 inserts, updates and deletes of permits are kept in flight against the
real server until the test stops it (kill -9, a power cut); past LIVE_CAP
live records inserts give way to deletes, so the data stays bounded and a
cycle costs the same at cycle 1000 as at cycle 1. The model knows
every acknowledged write and, for each write in flight at the stop, its old
and new value. After a restart, `check` asserts that:

- every acknowledged write is there with its last acknowledged value, every
  acknowledged delete is gone;
- a write that was in flight is wholly there or wholly absent (the record is
  its old or its new version, nothing in between), and no record exists that
  no write made;
- the composite index (client, county, status) finds a sample of records by
  their current values, paging through every result;
- a Transactions commit (a new permit and two processing statuses under it)
  is wholly there or wholly absent across the two tables: a stored permit of
  a commit has both its statuses, an absent one (never stored, or deleted
  since, which cascades) has none.
"""
import queue
import sys
import time
import uuid as uuidlib

import grpc

IN_FLIGHT = 64
# How long past its stop time a run waits for its min_acked writes (a
# sanitizer build on a loaded machine answers a few dozen a second).
MIN_ACKED_WAIT = 10.0
# Live records past which the load deletes instead of inserting: the checks
# read every record each cycle, so growing data made long runs quadratic.
LIVE_CAP = 2000
CLIENTS = ["Acme", "Bolt", "Crane", "Delta"]
COUNTIES = ["NY", "CA", "TX"]
# How a call cut short by the server's death may end.
CUT_SHORT = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED,
             grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL)


def processing_statuses(stub, service):
    """Every processing status the server behind `stub` (a
    ProcessingStatusesStub) holds: {uuid: ProcessingStatus}."""
    stored, token = {}, ""
    while True:
        page = stub.Filter(service.FilterProcessingStatusesRequest(page_size=1000,
                                                                   page_token=token))
        stored.update((s.uuid, s) for s in page.processing_statuses)
        token = page.next_page_token
        if not token:
            return stored


class Workload:
    def __init__(self, test, harness, rng):
        self.t, self.h, self.rng = test, harness, rng
        self.m, self.s = harness.messages, harness.service
        self.groups = {}  # permit key of a commit -> its statuses' keys
        self.state = {}  # key -> the acknowledged Permit, or None once deleted
        self.maybe = {}  # key -> [states it may be in]: in flight at a stop
        self.version = 0
        self.acked = self.interrupted = self.commits = 0
        # A replicated shard (tests/replication): its leader may change
        # before the stop, cutting calls short, and a follower refuses
        # writes (these codes) without writing anything.
        self.cut_anytime = False
        self.refused = ()

    def record(self, key, version):
        return self.m.Permit(
            uuid=key, permit_number="N-" + key, client=self.rng.choice(CLIENTS),
            county=self.rng.choice(COUNTIES), county_status="v%d" % version,
            status=self.rng.choice([self.m.PENDING, self.m.APPROVED, self.m.REJECTED]),
            address="%d Main Street" % version, fee_cents=version)

    def issue(self, permits, pending):
        """Starts one random write on a key with no write in flight."""
        live = [k for k, v in self.state.items() if v is not None and k not in pending]
        roll = self.rng.random()
        self.version += 1
        if roll < 0.5 and len(live) >= LIVE_CAP:
            roll = 1.0  # full: a delete instead of an insert
        if roll < 0.1:
            return self.issue_commit()
        if roll < 0.5 or not live:
            key = str(uuidlib.uuid4())
            new = self.record(key, self.version)
            return key, None, new, permits.Insert.future(self.s.InsertPermitRequest(permit=new))
        key = self.rng.choice(live)
        if roll < 0.85:
            new = self.record(key, self.version)
            return key, self.state[key], new, permits.Update.future(
                self.s.UpdatePermitRequest(permit=new))
        return key, self.state[key], None, permits.Delete.future(self.s.DeletePermitRequest(uuid=key))

    def issue_commit(self):
        """A commit of a new permit and two statuses under it."""
        key = str(uuidlib.uuid4())
        new = self.record(key, self.version)
        lines = [str(uuidlib.uuid4()) for _ in range(2)]
        self.groups[key] = lines
        writes = [self.s.CommitWrite(insert_permit=self.s.InsertPermitRequest(permit=new))]
        writes += [self.s.CommitWrite(insert_processing_status=self.s.InsertProcessingStatusRequest(
            processing_status=self.m.ProcessingStatus(uuid=line, permit_uuid=key, stage="line")))
            for line in lines]
        tx = self.h.stubs.TransactionsStub(self.h.channel)
        return key, None, new, tx.Commit.future(self.s.CommitRequest(writes=writes))

    def check_groups(self, stored, cycle):
        """Each commit is all or nothing across permits and statuses."""
        statuses = processing_statuses(self.h.stubs.ProcessingStatusesStub(self.h.channel), self.s)
        for key, lines in self.groups.items():
            want = {line: key for line in lines} if key in stored else {}
            got = {line: statuses[line].permit_uuid for line in lines if line in statuses}
            self.t.assertEqual(got, want, "cycle %d: commit %s is %s across tables"
                               % (cycle, key, "half there" if got else "missing its statuses"))
        # A commit found absent (with no statuses) stays so: its key is never
        # written again. Forgetting it keeps the model bounded.
        self.groups = {k: v for k, v in self.groups.items() if k in stored}

    def run(self, permits, cycle, stop_at, stop, min_acked=0):
        """Keeps IN_FLIGHT writes going until `stop_at` (time.time()) and, on
        a machine slow enough to answer fewer, until `min_acked` writes of
        this run were acknowledged (for at most MIN_ACKED_WAIT seconds more);
        then calls stop() and settles every call. Returns [(key, response)]
        of the inserts and updates acknowledged, in the order they were
        answered."""
        done = queue.Queue()
        pending = {}  # key -> (old, new) of the write in flight
        answered = []
        stopped = False
        acked_before = self.acked
        while pending or not stopped:
            while not stopped and len(pending) < IN_FLIGHT:
                key, old, new, call = self.issue(permits, pending)
                pending[key] = (old, new)
                call.add_done_callback(lambda f, k=key: done.put((k, f)))
            now = time.time()
            enough = (self.acked - acked_before >= min_acked
                      or now >= stop_at + MIN_ACKED_WAIT)
            if not stopped and now >= stop_at and enough:
                stop()
                stopped = True
            try:
                key, call = done.get(timeout=0.05)
            except queue.Empty:
                continue
            old, new = pending.pop(key)
            if call.exception() is None:
                self.state[key] = new
                self.acked += 1
                if new is not None:
                    response = call.result()
                    if hasattr(response, "results"):  # a commit: its permit
                        response = response.results[0].permit
                        self.commits += 1
                    answered.append((key, response))
                continue
            if call.code() in self.refused:
                self.state[key] = old
                continue
            self.t.assertTrue(stopped or self.cut_anytime,
                              "cycle %d: %s failed before the stop: %s"
                              % (cycle, key, call.exception()))
            self.t.assertIn(call.code(), CUT_SHORT, "cycle %d: %s: %s" % (cycle, key, call.exception()))
            self.maybe[key] = [old, new]
            self.interrupted += 1
            self.state[key] = old
        return answered

    def check(self, permits, cycle):
        """Every key is in an allowed state (in-flight writes resolve to what
        is stored); the composite index finds a sample of the records."""
        stored = self.h.page_all(permits, as_written=True)
        wrong = self.lost(stored)
        self.t.assertEqual(wrong, [], "cycle %d: %d records differ from what was acknowledged "
                           "(key, stored, allowed); the first: %s" % (cycle, len(wrong), wrong[:3]))
        for key, p in self.rng.sample(sorted(stored.items()), min(20, len(stored))):
            self.t.assertIn(key, self.filter_all(permits, p),
                            "cycle %d: the composite index misses %s" % (cycle, key))
        self.check_groups(stored, cycle)

    def lost(self, stored):
        """Compares `stored` ({key: Permit as written}) with the model and
        adopts it: [(key, stored, allowed states)] of every key that is not
        in an allowed state."""
        wrong = []
        for key in set(self.state) | set(stored):
            got = stored.get(key)
            allowed = self.maybe.pop(key, [self.state.get(key)])
            if got not in allowed:
                wrong.append((key, got, allowed))
            if got is None:
                self.state.pop(key, None)  # absent is the model's default
            else:
                self.state[key] = got
        return wrong

    def filter_all(self, permits, p):
        """The keys the composite index finds for p's (client, county,
        status), over every page."""
        found, token = [], ""
        while True:
            request = self.s.FilterPermitsRequest(page_size=1000, page_token=token)
            request.client.value, request.county.value, request.status = p.client, p.county, p.status
            page = permits.Filter(request)
            found += [r.uuid for r in page.permits]
            token = page.next_page_token
            if not token:
                return found

    def progress(self, cycle, cycles, started):
        """Every 100th cycle of a long run, a line on stderr: how far it is."""
        if cycle % 100 == 0 and cycle:
            print("cycle %d of %d, %.0f s: %d writes acknowledged, %d in flight at a stop, %d live"
                  % (cycle, cycles, time.time() - started, self.acked, self.interrupted,
                     self.live()), file=sys.stderr, flush=True)

    def live(self):
        return sum(1 for v in self.state.values() if v is not None)

