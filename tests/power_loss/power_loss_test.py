#!/usr/bin/python3
"""Power loss: the real server's data directory and backups sit on cutfs, and
power is cut at random moments while 64 inserts, updates, deletes and
Transactions commits (a permit and two statuses) are in flight and an online
backup runs. A cut kills the server and throws away
every write no fsync made durable (every other cut is torn: a random sector
prefix of each pending write survives) and every namespace change no
directory sync made durable. After each cut:

- the server opens with no repair (no index is rebuilt) and `--verify` is
  clean;
- every acknowledged write is there with its acknowledged value, every write
  in flight is all or nothing, a commit across both of its tables
  (workload.Workload.check);
- the change log holds every acknowledged insert and update of the cycle at
  its revision, with its value, in revision order (Watch);
- every backup the server acknowledged restores (`--restore_from` checks its
  indexes) with the records it counted.

With --durability=nosync the same checks must fail, and the test says so:
that is how we know it can see a missing fsync. With --durability=nometasync
it reports what a cut loses (LMDB: at most the last commits; never integrity).

Usage: power_loss_test.py CUTFS_BINARY SERVER_BINARY GENERATED_ROOT   (root)
  LMDBAPI_POWER_CYCLES (default 20) cuts; LMDBAPI_POWER_SEED for a replay.
"""
import os
import random
import shutil
import sys
import time
import unittest
import uuid as uuidlib

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))),
                                "robustness"))
from harness import Harness, without_server_fields  # noqa: E402
from powercut import PowerCutDisk, sync_dir  # noqa: E402
import stack  # noqa: E402  (on the path harness.py sets)
from workload import Workload  # noqa: E402

CUTFS, SERVER, GENERATED = sys.argv[1], sys.argv[2], sys.argv[3]
del sys.argv[1:4]
CYCLES = int(os.environ.get("LMDBAPI_POWER_CYCLES", "20"))
# Cuts during imports: 6 in CI, a tenth of the cuts in the long modes. Each
# costs about what the permits stored cost to page through and verify, so the
# data is bounded: once more than IMPORT_DATA_CAP permits are stored, the next
# import starts on a fresh data directory (an unbounded run of 166 cuts took
# longer per cut as it went: 20 s at the first, 90 s at the 70th).
IMPORT_CYCLES = max(6, CYCLES // 10)
IMPORT_RECORDS = 100000
IMPORT_DATA_CAP = 200000
SEED = int(os.environ.get("LMDBAPI_POWER_SEED", str(int(time.time()))))


class PowerLossTest(unittest.TestCase):
    def setUp(self):
        self.h = Harness(SERVER, GENERATED)
        self.rng = random.Random(SEED)
        self.disk = PowerCutDisk(CUTFS, self.h.tmp.name, seed=SEED)
        self.disk.mount()
        self.h.data = os.path.join(self.disk.path, "data")
        self.backups = os.path.join(self.disk.path, "backups")
        self.figures = {"cuts": 0, "pending_writes": 0, "dropped_bytes": 0, "undone_namespace_ops": 0}

    def tearDown(self):
        self.h.close_server()
        self.disk.unmount()
        self.h.close()

    def start(self, *flags):
        """Starts the server; asserts that opening repaired nothing."""
        with open(self.h.log, "a"):
            before = os.path.getsize(self.h.log)
        permits = self.h.start("--log_level=info", "--backup_dir=" + self.backups, *flags)
        with open(self.h.log) as f:
            f.seek(before)
            opened = f.read()
        if self.figures["cuts"]:
            self.assertNotIn("index permits", opened, "opening after a power cut built indexes: "
                             "the database was lost or needed repair")
        return permits

    def power_cut(self, torn):
        """Kills the server and loses power; mounts the disk again."""
        self.h.kill()
        self.disk.cut_and_mount(torn, self.figures)

    def backup(self, cycle):
        """Starts an online backup: (name, future)."""
        admin, stub = self.h.admin()
        name = "cycle-%d" % cycle
        return name, stub.Backup.future(admin.BackupRequest(name=name))

    def check_backup(self, cycle, name, call):
        """An acknowledged backup restores, with the records it counted."""
        if call.exception() is not None:
            return False
        copy = os.path.join(self.h.tmp.name, "restored")
        shutil.rmtree(copy, ignore_errors=True)
        status, log = self.h.run("--restore_from=" + call.result().path, "--data_dir=" + copy)
        self.assertEqual(status, 0, "cycle %d: acknowledged backup %s does not restore after a "
                         "power cut:\n%s" % (cycle, name, log))
        shutil.rmtree(copy)
        shutil.rmtree(call.result().path)  # checked: a thousand copies would fill the disk
        return True

    def check_change_log(self, permits, load, cycle, answered):
        """Every acknowledged insert and update of the last cycle is in the
        change log at its revision, with its value, in revision order."""
        if not answered:
            return
        marker = load.record("marker-%d" % cycle, 0)
        end = permits.Insert(load.s.InsertPermitRequest(permit=marker)).revision
        load.state[marker.uuid] = marker
        start = min(response.revision for _, response in answered)
        logged = {}
        for change in permits.Watch(load.s.WatchPermitsRequest(start_revision=start), timeout=60):
            self.assertNotIn(change.revision, logged, "cycle %d: revision repeated" % cycle)
            self.assertTrue(not logged or change.revision > max(logged), "cycle %d: out of order" % cycle)
            logged[change.revision] = change
            if change.revision >= end:
                break
        for key, response in answered:
            change = logged.get(response.revision)
            self.assertIsNotNone(change, "cycle %d: the change log lost revision %d (%s)"
                                 % (cycle, response.revision, key))
            self.assertEqual(without_server_fields(change.permit), without_server_fields(response),
                             "cycle %d: revision %d" % (cycle, response.revision))

    def test_power_cuts_under_load_lose_nothing_acknowledged(self):
        load = Workload(self, self.h, self.rng)
        backups = 0
        answered = []
        print("seed %d, %d power cuts" % (SEED, CYCLES), file=sys.stderr)
        started = time.time()
        for cycle in range(CYCLES):
            load.progress(cycle, CYCLES, started)
            permits = self.start()
            load.check(permits, cycle)
            self.check_change_log(permits, load, cycle, answered)
            name, call = self.backup(cycle)
            answered = load.run(permits, cycle, time.time() + self.rng.uniform(0.2, 1.0),
                                lambda: self.power_cut(torn=cycle % 2 == 1))
            status, log = self.h.verify()
            self.assertEqual(status, 0, "cycle %d: indexes inconsistent after a power cut:\n%s"
                             % (cycle, log))
            backups += self.check_backup(cycle, name, call)
        permits = self.start()
        load.check(permits, CYCLES)
        self.check_change_log(permits, load, CYCLES, answered)
        self.assertEqual(self.h.stop(), 0)
        f = self.figures
        print("%d power cuts (every other torn): %d writes acknowledged (%d commits over two "
              "tables), %d in flight at a cut, %d records live, %d backups restored; cutfs dropped "
              "%d pending writes, %d bytes (%.0f per cut), undid %d namespace changes"
              % (f["cuts"], load.acked, load.commits, load.interrupted, load.live(), backups,
                 f["pending_writes"],
                 f["dropped_bytes"], f["dropped_bytes"] / max(1, f["cuts"]),
                 f["undone_namespace_ops"]), file=sys.stderr)
        self.assertGreater(load.acked, CYCLES * 20, "too few writes to mean anything")
        self.assertGreater(load.interrupted, 0, "no cut caught a write in flight")
        self.assertGreater(backups, 0, "no backup finished before its cut")

    def test_power_cuts_during_imports_lose_nothing_acknowledged(self):
        """An import commits its batches without waiting for the disk
        (storage/unsynced_commits.h). After a cut in the middle of one, the
        server rolls back to its last synced batch: the import's records
        stored are a prefix of its stream (all of it when it was answered),
        every Insert answered beside it is there, and the indexes verify."""
        m, s = self.h.messages, self.h.service
        inserted = {}  # uuid -> the acknowledged Permit
        imports = []  # [tag, records, answered]
        rolled_back = seen_checkpoints = fresh_directories = answered_imports = inserts = 0
        for cycle in range(IMPORT_CYCLES + 1):
            permits = self.start()
            with open(self.h.log) as f:
                rolled_back = f.read().count("rolled back to the last synced commit")
            stored = self.check_imports(permits, imports, inserted)
            self.assertEqual(self.h.stop(), 0)
            status, log = self.h.verify()
            self.assertEqual(status, 0, "cycle %d: inconsistent after a cut during an import:\n%s"
                             % (cycle, log))
            if cycle == IMPORT_CYCLES:
                break
            if stored > IMPORT_DATA_CAP:
                self.fresh_data_directory()
                imports.clear()
                inserted.clear()
                fresh_directories += 1
            permits = self.start()
            tag = "imp-%d-" % cycle
            imports.append([tag, IMPORT_RECORDS, False])
            messages = [s.ImportPermitsRequest(records=[
                m.Permit(permit_number="%s%07d" % (tag, i), client="importer", county="NY",
                         status=m.APPROVED, fee_cents=i) for i in range(first, first + 500)])
                for first in range(0, IMPORT_RECORDS, 500)]
            call = permits.Import.future(iter(messages), timeout=60)
            # Inserts beside the import, then the import alone: each Insert
            # syncs the batches before it, so a cut with unsynced batches
            # pending needs a gap without them.
            stop_at = time.time() + self.rng.uniform(0.0, 0.3)
            while time.time() < stop_at:
                p = m.Permit(uuid=str(uuidlib.uuid4()), permit_number="ins-%d-%d" % (
                    cycle, len(inserted)), client="inserter", county="Erie", status=m.PENDING)
                try:
                    permits.Insert(s.InsertPermitRequest(permit=p), timeout=10)
                    inserted[p.uuid] = p
                    inserts += 1
                except grpc.RpcError:
                    break
            if cycle % 2 == 0:  # the cut lands on unsynced batches
                seen_checkpoints += self.wait_for_checkpoint(time.time() + 10)
                time.sleep(self.rng.uniform(0.0, 0.05))
            elif cycle % 4 == 3:  # the cut follows the import's answer
                call.exception(timeout=60)
            else:  # the cut lands anywhere
                time.sleep(self.rng.uniform(0.05, 0.3))
            self.power_cut(torn=cycle // 2 % 2 == 1)
            imports[-1][2] = call.exception() is None
            answered_imports += imports[-1][2]
        print("%d power cuts during imports: %d of %d imports answered before the cut, %d cut "
              "with a checkpoint file seen, %d rolled back at the next open, %d inserts "
              "acknowledged beside them, %d fresh data directories"
              % (IMPORT_CYCLES, answered_imports, IMPORT_CYCLES, seen_checkpoints,
                 rolled_back, inserts, fresh_directories), file=sys.stderr)
        self.assertGreater(seen_checkpoints, 0, "no import committed a batch unsynced")
        self.assertGreater(rolled_back, 0, "no cut caught an import's unsynced batches")

    def wait_for_checkpoint(self, deadline):
        """Waits until the import's first unsynced commit is near (its
        checkpoint file exists): True, or False at the deadline."""
        path = os.path.join(self.h.data, "data.mdb-checkpoint")
        while time.time() < deadline:
            if os.path.exists(path):
                return True
            time.sleep(0.002)
        return False

    def fresh_data_directory(self):
        """Replaces the stopped server's data directory with a new one: the
        old one removed durably (cutfs undoes a removal until the
        directories it changed are synced), the new one made by a server
        started and stopped (its indexes built there, which self.start()
        refuses after a cut)."""
        for root, dirs, files in os.walk(self.h.data, topdown=False):
            for name in files:
                os.unlink(os.path.join(root, name))
            for name in dirs:
                os.rmdir(os.path.join(root, name))
            sync_dir(root)
        os.rmdir(self.h.data)
        sync_dir(os.path.dirname(self.h.data))
        self.h.start("--backup_dir=" + self.backups)
        self.assertEqual(self.h.stop(), 0)

    def check_imports(self, permits, imports, inserted):
        """Checks what survived the cuts; returns how many permits are
        stored."""
        stored = self.h.page_all(permits)
        for tag, records, answered in imports:
            numbers = sorted(p.permit_number for p in stored.values()
                             if p.permit_number.startswith(tag))
            self.assertEqual(numbers, ["%s%07d" % (tag, i) for i in range(len(numbers))],
                             "import %s: the stored records are not a prefix of its stream" % tag)
            if answered:
                self.assertEqual(len(numbers), records, "import %s was answered: lost records"
                                 % tag)
        for key, p in inserted.items():
            self.assertIn(key, stored, "an acknowledged insert beside an import was lost")
            self.assertEqual(stored[key].permit_number, p.permit_number)
        return len(stored)

    def measure(self, durability, cycles):
        """Cuts power `cycles` times under load with --durability=<durability>:
        returns (writes acknowledged, of them lost, whether a cut left data
        that did not open or verify)."""
        load = Workload(self, self.h, self.rng)
        lost = 0
        for cycle in range(cycles):
            permits = self.h.start("--durability=" + durability)
            load.run(permits, cycle, time.time() + self.rng.uniform(0.2, 1.0),
                     lambda: self.power_cut(torn=False))
            if self.h.verify()[0] != 0:
                return load.acked, lost, True
            try:
                stored = self.h.page_all(self.h.start(), as_written=True)
            except (AssertionError, grpc.RpcError):
                return load.acked, lost, True
            lost += len(load.lost(stored))
            self.h.kill()
        return load.acked, lost, False

    def test_nosync_loses_acknowledged_writes_and_this_test_sees_it(self):
        acked, lost, broken = self.measure("nosync", 3)
        print("--durability=nosync: %d writes acknowledged, %d lost, data unreadable: %s; the "
              "power-loss checks fail, as they must" % (acked, lost, broken), file=sys.stderr)
        self.assertTrue(lost > 0 or broken,
                        "nosync lost nothing to a power cut: the test cannot see a missing fsync")

    def test_nometasync_keeps_integrity_and_reports_what_a_cut_loses(self):
        acked, lost, broken = self.measure("nometasync", 5)
        print("--durability=nometasync: %d writes acknowledged, %d lost to 5 power cuts (the last "
              "commits before each), every cycle opened and verified" % (acked, lost),
              file=sys.stderr)
        self.assertFalse(broken, "nometasync must keep the database consistent")

    def test_a_new_data_directory_and_its_first_write_survive_a_power_cut(self):
        load = Workload(self, self.h, self.rng)
        permits = self.start()
        load.run(permits, 0, time.time(), lambda: None)  # one round of writes, all answered
        self.power_cut(torn=False)
        load.check(self.start(), 1)

    def test_an_acknowledged_backup_in_a_new_directory_survives_a_power_cut(self):
        self.start()
        name, call = self.backup(0)
        call.result(timeout=60)
        self.power_cut(torn=False)
        self.assertTrue(self.check_backup(0, name, call))


if __name__ == "__main__":
    stack.main()
