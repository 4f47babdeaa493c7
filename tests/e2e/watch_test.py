#!/usr/bin/python3
"""Watch on the real server and gateway: every committed change of the table,
in revision order, with nothing lost or repeated when a client reconnects
from the last revision it saw + 1 while writers keep going; filters; the
retention limit (OUT_OF_RANGE); REST as newline-delimited JSON; a stopping
server ends streams with the revision to resume from.

    watch_test.py SERVER GATEWAY BUILD_DIR
"""
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

import grpc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import stack  # noqa: E402

SERVER, GATEWAY, BUILD = (os.path.abspath(a) for a in sys.argv[1:4])
RETENTION = 500


class WatchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.TemporaryDirectory()
        tmp = cls.tmpdir.name
        cls.procs = stack.Processes(tmp)
        os.makedirs(os.path.join(tmp, "stubs"))
        cls.m, cls.s, cls.stubs = stack.load_stubs(BUILD, os.path.join(tmp, "stubs"))
        try:
            grpc_port, cls.rest_port = cls.procs.server_and_gateway(
                "server", SERVER, GATEWAY, f"--watch_retention={RETENTION}")
        except BaseException:
            cls.procs.stop_all()
            raise
        cls.channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
        cls.permits = cls.stubs.PermitsStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        try:
            cls.procs.stop_all_cleanly()
        finally:
            cls.tmpdir.cleanup()

    def watch(self, start, **filter_fields):
        request = self.s.WatchPermitsRequest(start_revision=start)
        for name, value in filter_fields.items():
            getattr(request.filter, name).value = value
        return self.permits.Watch(request, timeout=60)

    def last_revision(self):
        return self.permits.Insert(self.s.InsertPermitRequest(
            permit=self.m.Permit(client="marker"))).revision

    def test_reconnecting_from_the_last_seen_revision_loses_and_repeats_nothing(self):
        start = self.last_revision() + 1
        acked, lock = [], threading.Lock()  # (revision or None, kind, uuid, Permit or None)

        def writer(seed):
            rng, live = random.Random(seed), []
            for i in range(60):
                roll = rng.random()
                if roll < 0.5 or not live:
                    p = self.permits.Insert(self.s.InsertPermitRequest(
                        permit=self.m.Permit(client=f"w{seed}", fee_cents=i)))
                    live.append(p.uuid)
                    entry = (p.revision, "INSERTED", p.uuid, p)
                elif roll < 0.8:
                    uuid = rng.choice(live)
                    p = self.permits.Patch(self.s.PatchPermitRequest(
                        permit=self.m.Permit(uuid=uuid, fee_cents=1000 + i),
                        update_mask={"paths": ["fee_cents"]}))
                    entry = (p.revision, "UPDATED", uuid, p)
                else:
                    uuid = live.pop(rng.randrange(len(live)))
                    self.permits.Delete(self.s.DeletePermitRequest(uuid=uuid))
                    entry = (None, "DELETED", uuid, None)
                with lock:
                    acked.append(entry)

        received, next_revision, reconnects = [], start, 0
        writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for w in writers:
            w.start()

        def end_when_written():  # the last change: a marker after every write
            for w in writers:
                w.join()
            self.permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(client="end")))
        ender = threading.Thread(target=end_when_written)
        ender.start()
        finished, deadline = False, time.time() + 60
        # Read a few changes, drop the stream, resume from the last one + 1.
        while not finished and time.time() < deadline:
            stream = self.watch(next_revision)
            try:
                for change in stream:
                    next_revision = change.revision + 1
                    if change.permit.client == "end":
                        finished = True
                        break
                    received.append(change)
                    if len(received) % 37 == 0:
                        break
            finally:
                stream.cancel()
            reconnects += 1
        ender.join()
        self.assertTrue(finished, "the end marker never came")
        self.assertGreater(reconnects, 3)

        revisions = [c.revision for c in received]
        self.assertEqual(revisions, sorted(set(revisions)), "out of order or repeated")
        # Every permit write is there once: the marker-free range is exactly the writers'.
        self.assertEqual(len(received), len(acked))
        by_revision = {c.revision: c for c in received}
        for revision, kind, uuid, permit in acked:
            if revision is not None:
                change = by_revision[revision]
                self.assertEqual((self.s.PermitChange.Type.Name(change.type), change.permit.uuid),
                                 (kind, uuid))
                self.assertEqual(change.permit.fee_cents, permit.fee_cents)
        deletes = sorted(c.permit.uuid for c in received if c.type == self.s.PermitChange.DELETED)
        self.assertEqual(deletes, sorted(u for r, k, u, p in acked if k == "DELETED"))
        # A delete carries the record as it was.
        for c in received:
            if c.type == self.s.PermitChange.DELETED:
                self.assertTrue(c.permit.client.startswith("w"))

    def test_a_filter_sends_only_matching_changes_of_its_table(self):
        stream = self.watch(0, client="Filtered")
        try:
            time.sleep(0.2)
            wanted = self.permits.Insert(self.s.InsertPermitRequest(
                permit=self.m.Permit(client="Filtered", county="NY")))
            self.permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(client="Other")))
            statuses = self.stubs.ProcessingStatusesStub(self.channel)
            statuses.Insert(self.s.InsertProcessingStatusRequest(
                processing_status=self.m.ProcessingStatus(permit_uuid=wanted.uuid, stage="x")))
            self.permits.Delete(self.s.DeletePermitRequest(uuid=wanted.uuid))
            got = [next(stream), next(stream)]
        finally:
            stream.cancel()
        self.assertEqual([(c.type, c.permit.uuid) for c in got],
                         [(self.s.PermitChange.INSERTED, wanted.uuid),
                          (self.s.PermitChange.DELETED, wanted.uuid)])
        self.assertEqual(got[0].revision, wanted.revision)

    def test_a_revision_older_than_the_retention_is_out_of_range(self):
        first = self.last_revision()
        self.permits.BatchInsert(self.s.BatchInsertPermitsRequest(
            permits=[self.m.Permit(client="bulk") for _ in range(RETENTION + 10)]))
        last = self.last_revision()
        with self.assertRaises(grpc.RpcError) as e:
            next(self.watch(first))
        self.assertEqual(e.exception.code(), grpc.StatusCode.OUT_OF_RANGE)
        self.assertIn("start_revision", e.exception.details())
        self.assertIn(f"watch from revision {last + 1}", e.exception.details())
        stream = self.watch(last - 5)
        try:
            self.assertEqual([next(stream).revision for _ in range(6)],
                             list(range(last - 5, last + 1)))
        finally:
            stream.cancel()
        with self.assertRaises(grpc.RpcError) as e:
            next(self.watch(-1))
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)

    def test_rest_streams_newline_delimited_json(self):
        first = self.permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(client="R1")))
        self.permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(client="R2")))
        url = (f"http://127.0.0.1:{self.rest_port}/api/permits/watch"
               f"?start_revision={first.revision}&filter.client=R2")
        with urllib.request.urlopen(url, timeout=10) as r:
            self.assertEqual(r.status, 200)
            line = json.loads(r.readline())
        self.assertEqual(line["result"]["type"], "INSERTED")
        self.assertEqual(line["result"]["permit"]["client"], "R2")
        self.assertEqual(int(line["result"]["revision"]), first.revision + 1)

    def test_a_stopping_server_ends_streams_with_the_revision_to_resume_from(self):
        procs = stack.Processes(self.tmpdir.name)
        server, port = procs.server("stopping", SERVER)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        try:
            permits = self.stubs.PermitsStub(channel)
            p = permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(client="S")))
            stream = permits.Watch(self.s.WatchPermitsRequest(start_revision=p.revision), timeout=30)
            self.assertEqual(next(stream).revision, p.revision)
            started = time.time()
            server.send_signal(signal.SIGTERM)
            with self.assertRaises(grpc.RpcError) as e:
                next(stream)
            self.assertEqual(e.exception.code(), grpc.StatusCode.UNAVAILABLE)
            self.assertIn(f"watch again from revision {p.revision + 1}", e.exception.details())
            # The stream is over. Python's channel, idle now, reads nothing
            # (no call polls it), so it would not see the server's GOAWAY
            # and would hold the drain until its 10 s limit: closed, as a
            # client that is done with the server closes it.
            channel.close()
            self.assertEqual(server.wait(timeout=30), 0)
            self.assertLess(time.time() - started, 5)  # streams do not hold the drain
        finally:
            channel.close()
            procs.stop_all()


if __name__ == "__main__":
    stack.main(argv=sys.argv[:1], verbosity=2)
