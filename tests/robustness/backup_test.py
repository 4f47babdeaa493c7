#!/usr/bin/python3
"""Online backups of the real server while writes continue, and restores.

Eight writer threads insert, update and delete permits (each thread on its own
keys, so every key's history is sequential) while the test takes backups:
through lmdbapi.admin.v1.Admin/Backup, and with `server --backup_to` from a
second process. Each backup is restored with `server --restore_from` into a
new data directory (which checks every index) and served; then:

- it holds exactly the records the Backup response counted;
- every key is in a state it had during the backup: its last write
  acknowledged before the backup started, or a write issued before the backup
  returned (never a later one, never a mix of two);
- the composite index of the restored copy finds its records.

Also: bad names, a taken name, a restore onto an existing database, and the
bearer token are refused with a message naming what is wrong. Admin/Snapshot
streams a copy that restores whole, to a caller with the bearer token or the
shard's --replication_token (how a replica copies its leader's data), and to
nobody else.

Usage: backup_test.py SERVER_BINARY GENERATED_ROOT
"""
import os
import random
import sys
import threading
import time
import unittest
import uuid as uuidlib

import grpc
from harness import Harness
import stack  # noqa: E402  (on the path harness.py sets)

SERVER, GENERATED = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
WRITERS = 8
PRELOAD = 20000


class History:
    """Per key: [(version, Permit or None, issued, acknowledged or None)]."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ops = {}

    def add(self, key, version, value, issued, acked):
        with self.lock:
            self.ops.setdefault(key, []).append((version, value, issued, acked))

    def allowed(self, key, started, returned):
        """The states `key` may have in a snapshot taken in [started, returned]."""
        ops = self.ops.get(key, [])
        before = [v for _, v, _, acked in ops if acked is not None and acked < started]
        states = [before[-1] if before else None]
        states += [v for _, v, issued, acked in ops
                   if issued < returned and (acked is None or acked >= started)]
        return states


class BackupTest(unittest.TestCase):
    def setUp(self):
        self.h = Harness(SERVER, GENERATED)
        self.m, self.s = self.h.messages, self.h.service
        self.backups = os.path.join(self.h.tmp.name, "backups")

    def tearDown(self):
        self.h.close()

    def permit(self, key, version, rng):
        return self.m.Permit(
            uuid=key, permit_number="B-%d" % version, client=rng.choice(["Acme", "Bolt"]),
            county=rng.choice(["NY", "CA", "TX"]), county_status="v%d" % version,
            status=self.m.PENDING, address="%d Main Street" % version, fee_cents=version)

    def write(self, permits, history, stop, seed, errors):
        rng = random.Random(seed)
        live = []
        version = seed * 10_000_000
        while not stop.is_set():
            version += 1
            roll = rng.random()
            issued = time.monotonic()
            try:
                if roll < 0.5 or not live:
                    key = str(uuidlib.uuid4())
                    value = self.permit(key, version, rng)
                    permits.Insert(self.s.InsertPermitRequest(permit=value), timeout=10)
                    live.append(key)
                elif roll < 0.85:
                    key = rng.choice(live)
                    value = self.permit(key, version, rng)
                    permits.Update(self.s.UpdatePermitRequest(permit=value), timeout=10)
                else:
                    key = live.pop(rng.randrange(len(live)))
                    value = None
                    permits.Delete(self.s.DeletePermitRequest(uuid=key), timeout=10)
            except grpc.RpcError as e:
                errors.append("%s: %s" % (e.code(), e.details()))
                return
            history.add(key, version, value, issued, time.monotonic())

    def restore(self, backup, name):
        """Restores `backup` into a new data directory; returns (permits stub, records)."""
        target = os.path.join(self.h.tmp.name, "restored-" + name)
        status, log = self.h.run("--restore_from=" + backup, "--data_dir=" + target)
        self.assertEqual(status, 0, "restore of %s failed:\n%s" % (backup, log))
        self.assertIn("verify: consistent", log)
        restored = Harness(SERVER, GENERATED)
        self.addCleanup(restored.close)
        restored.data = target
        permits = restored.start()
        return permits, restored.page_all(permits, as_written=True)

    def check(self, backup, records, history, started, returned, name):
        permits, stored = self.restore(backup, name)
        self.assertEqual(len(stored), records, "%s: the response counted %d records" % (name, records))
        self.assertGreater(len(stored), PRELOAD // 2)
        for key in set(history.ops) | set(stored):
            if key not in history.ops:  # preloaded, never written meanwhile
                self.assertEqual(stored[key].client, "Pre", "%s: %s came from nowhere" % (name, key))
                continue
            got = stored.get(key)
            self.assertIn(got, history.allowed(key, started, returned),
                          "%s: record %s is not a state it had during the backup" % (name, key))
        written = sorted((k, p) for k, p in stored.items() if p.client != "Pre")
        for key, p in random.Random(7).sample(written, 20):
            found, token = set(), ""
            while True:  # every page: one combination may hold more than a page
                request = self.s.FilterPermitsRequest(page_size=1000, page_token=token)
                request.client.value, request.county.value, request.status = p.client, p.county, p.status
                page = permits.Filter(request)
                found |= {r.uuid for r in page.permits}
                token = page.next_page_token
                if not token:
                    break
            self.assertTrue(key in found, "%s: the restored composite index misses %s" % (name, key))

    def test_backups_taken_during_writes_restore_consistent(self):
        permits = self.h.start("--backup_dir=" + self.backups)
        for batch in range(PRELOAD // 1000):
            permits.BatchInsert(self.s.BatchInsertPermitsRequest(permits=[
                self.m.Permit(permit_number="P-%d-%d" % (batch, i), client="Pre", county="NY",
                              address="x" * 200) for i in range(1000)]))
        admin, stub = self.h.admin()
        history, stop, errors = History(), threading.Event(), []
        writers = [threading.Thread(target=self.write, args=(permits, history, stop, n + 1, errors))
                   for n in range(WRITERS)]
        for w in writers:
            w.start()
        taken = []
        try:
            for name in ["first", ""]:  # "" = the default name, backup-<time>
                time.sleep(0.7)
                started = time.monotonic()
                response = stub.Backup(admin.BackupRequest(name=name), timeout=60)
                taken.append((response.path, response.records["permits"], started,
                              time.monotonic(), name or "default"))
                print("Backup: %s, %d bytes, %d records, %d µs"
                      % (response.path, response.bytes, response.records["permits"],
                         response.micros), file=sys.stderr)
            time.sleep(0.5)
            # The same from a second process, while the server keeps writing.
            started = time.monotonic()
            copy = os.path.join(self.backups, "by-command")
            status, log = self.h.run("--data_dir=" + self.h.data, "--backup_to=" + copy)
            returned = time.monotonic()
            self.assertEqual(status, 0, log)
            counted = int(log.split("permits=")[1].split()[0])
            taken.append((copy, counted, started, returned, "command"))
            time.sleep(0.3)
        finally:
            stop.set()
            for w in writers:
                w.join(timeout=30)
        self.assertEqual(errors, [], "writes failed during backups")
        writes = sum(len(ops) for ops in history.ops.values())
        print("%d writes acknowledged during the backups" % writes, file=sys.stderr)
        self.assertGreater(writes, 200, "too few writes overlapped the backups")
        self.assertTrue(os.path.basename(taken[1][0]).startswith("backup-"), taken[1][0])
        for path, records, started, returned, name in taken:
            self.check(path, records, history, started, returned, name)

        # The live server lost nothing meanwhile.
        stored = self.h.page_all(permits, as_written=True)
        for key, ops in history.ops.items():
            self.assertEqual(stored.get(key), ops[-1][1], "live record %s" % key)

        # Refusals name what is wrong and write nothing.
        for bad in ["../escape", ".hidden", "a/b", "x" * 129]:
            with self.assertRaises(grpc.RpcError) as e:
                stub.Backup(admin.BackupRequest(name=bad))
            self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT, bad)
            self.assertIn("name", e.exception.details())
        with self.assertRaises(grpc.RpcError) as e:
            stub.Backup(admin.BackupRequest(name="first"))
        self.assertEqual(e.exception.code(), grpc.StatusCode.ALREADY_EXISTS)
        self.assertEqual(sorted(os.listdir(self.backups)),
                         sorted(["by-command", "first", os.path.basename(taken[1][0])]))
        status, log = self.h.run("--restore_from=" + taken[0][0], "--data_dir=" + self.h.data)
        self.assertNotEqual(status, 0)
        self.assertIn("already holds a database", log)
        status, log = self.h.run("--restore_from=" + os.path.join(self.backups, "missing"),
                                 "--data_dir=" + os.path.join(self.h.tmp.name, "never"))
        self.assertNotEqual(status, 0)
        self.assertIn("holds no database", log)
        self.assertEqual(len(self.h.page_all(permits)), len(stored))
        self.assertEqual(self.h.stop(), 0)

    def test_backup_needs_the_bearer_token(self):
        self.h.start("--backup_dir=" + self.backups, "--auth_token=s3cret")
        admin, stub = self.h.admin()
        with self.assertRaises(grpc.RpcError) as e:
            stub.Backup(admin.BackupRequest(name="nope"))
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        self.assertFalse(os.path.exists(os.path.join(self.backups, "nope")))
        response = stub.Backup(admin.BackupRequest(name="yes"),
                               metadata=[("authorization", "Bearer s3cret")])
        self.assertEqual(response.records["permits"], 0)
        self.assertTrue(os.path.exists(os.path.join(response.path, "data.mdb")))
        self.assertEqual(self.h.stop(), 0)

    def test_a_snapshot_streams_a_restorable_copy_to_an_admin_or_a_replica(self):
        token = [("authorization", "Bearer s3cret")]
        permits = self.h.start("--auth_token=s3cret", "--replication_token=r3pl")
        rng = random.Random(7)
        for n in range(50):
            permits.Insert(self.s.InsertPermitRequest(permit=self.permit("", n, rng)),
                           metadata=token)
        admin, stub = self.h.admin()
        for metadata in ([], [("x-lmdbapi-replication-token", "wrong")]):
            with self.assertRaises(grpc.RpcError) as e:
                list(stub.Snapshot(admin.SnapshotRequest(), metadata=metadata))
            self.assertEqual(e.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        for n, metadata in enumerate((token, [("x-lmdbapi-replication-token", "r3pl")])):
            chunks = list(stub.Snapshot(admin.SnapshotRequest(), metadata=metadata))
            data = b"".join(c.data for c in chunks)
            self.assertEqual(len(data), chunks[0].total_bytes)
            copy = os.path.join(self.h.tmp.name, "streamed-%d" % n)
            os.makedirs(copy)
            with open(os.path.join(copy, "data.mdb"), "wb") as f:
                f.write(data)
            target = os.path.join(self.h.tmp.name, "restored-%d" % n)
            status, log = self.h.run("--restore_from=" + copy, "--data_dir=" + target)
            self.assertEqual(status, 0, log)
        self.assertFalse(os.path.exists(os.path.join(self.h.data, "snapshot.outgoing")),
                         "the copy made for the stream is removed")
        self.assertEqual(self.h.stop(), 0)
        # The restored copy holds every record.
        self.h.data = os.path.join(self.h.tmp.name, "restored-1")
        permits = self.h.start()
        self.assertEqual(len(self.h.page_all(permits)), 50)
        self.assertEqual(self.h.stop(), 0)


if __name__ == "__main__":
    stack.main()
