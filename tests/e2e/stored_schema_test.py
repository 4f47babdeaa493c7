#!/usr/bin/python3
"""The self-describing data directory and Admin Stat/Verify, end to end:

- lmdbapi.admin.v1.Admin/Stat and /Verify over gRPC on the real permits
  server (with --auth_token: both want the token, as Backup), counting the
  records written, every index ready and checked;
- `permits-server --verify` runs beside the server (reading through its
  lock file), and, the server stopped, leaves the data directory byte for
  byte as it was (every file hashed before and after), and succeeds on a read-only
  mount of it (a bind mount remounted read-only in a mount namespace of its
  own: unshare -m, as root);
- customers-server started on the permits server's directory, whose tables
  hold records it does not declare, exits non-zero with a message naming
  the table, its records and what to do, and changes no data.

Usage: stored_schema_test.py PERMITS_SERVER CUSTOMERS_SERVER GENERATED_ROOT
GENERATED_ROOT holds proto/examples/permits_service.proto.
"""
import hashlib
import os
import shlex
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import stack  # noqa: E402
import grpc  # noqa: E402

PERMITS, CUSTOMERS, GENERATED = sys.argv[1], sys.argv[2], sys.argv[3]
del sys.argv[1:4]
TOKEN = "stored-schema-test-token"
AUTH = [("authorization", "Bearer " + TOKEN)]
PERMITS_WRITTEN = 30


def hashes(directory):
    """{file name: sha256} of every file in `directory`."""
    out = {}
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as f:
            out[name] = hashlib.sha256(f.read()).hexdigest()
    return out


def run(argv, timeout=120):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


class StoredSchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        tmp = cls.tmp.name
        stubs = os.path.join(tmp, "stubs")
        cls.m, cls.s, grpc_stubs = stack.load_stubs(GENERATED, stubs)
        cls.admin, admin_grpc = stack.load_admin(stubs)
        cls.data = os.path.join(tmp, "data")
        cls.procs = stack.Processes(tmp)
        cls.server, port = cls.procs.server("permits", PERMITS, "--auth_token=" + TOKEN,
                                            data_dir=cls.data)
        cls.channel = grpc.insecure_channel("127.0.0.1:%d" % port)
        cls.permits = grpc_stubs.PermitsStub(cls.channel)
        cls.admin_stub = admin_grpc.AdminStub(cls.channel)
        cls.uuids = []
        for n in range(PERMITS_WRITTEN):
            permit = cls.m.Permit(permit_number="P-%d" % n, client="Acme", county="NY",
                                  status=cls.m.PENDING, fee_cents=n)
            got = cls.permits.Insert(cls.s.InsertPermitRequest(permit=permit),
                                     metadata=AUTH, timeout=10)
            cls.uuids.append(got.uuid)
        cls.permits.Delete(cls.s.DeletePermitRequest(uuid=cls.uuids.pop()),
                           metadata=AUTH, timeout=10)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.procs.stop_all_cleanly()
        cls.tmp.cleanup()

    def stopped(self):
        """Stops the server (once) so the directory is at rest."""
        if self.server.poll() is None:
            self.assertEqual(self.procs.stop(self.server), 0)

    def test_1_stat_counts_records_indexes_and_revision(self):
        with self.assertRaises(grpc.RpcError) as refused:
            self.admin_stub.Stat(self.admin.StatRequest(), timeout=10)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        stat = self.admin_stub.Stat(self.admin.StatRequest(), metadata=AUTH, timeout=10)
        tables = {t.table: t for t in stat.tables}
        self.assertEqual(set(tables), {"permits", "processing_statuses", "inspection_reports"})
        permits = tables["permits"]
        self.assertEqual(permits.records, PERMITS_WRITTEN - 1)
        self.assertGreater(permits.pages, 0)
        indexes = {i.name: i for i in permits.indexes}
        self.assertEqual(set(indexes), {"main_composite", "by_issued", "by_permit_number",
                                        "by_county_status"})
        for index in indexes.values():
            self.assertEqual(index.state, "ready", index)
            self.assertEqual(index.entries, PERMITS_WRITTEN - 1, index)
        self.assertEqual(stat.revision, PERMITS_WRITTEN + 1)  # 30 inserts, 1 delete
        self.assertGreater(stat.page_bytes, 0)
        self.assertLessEqual(stat.map_used_bytes, stat.map_bytes)
        self.assertLessEqual(stat.map_bytes, stat.max_map_bytes)
        self.assertGreaterEqual(stat.readers, 1)
        self.assertGreater(stat.max_readers, 0)

    def test_2_verify_checks_every_record_and_index(self):
        with self.assertRaises(grpc.RpcError) as refused:
            self.admin_stub.Verify(self.admin.VerifyRequest(), timeout=10)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        verified = self.admin_stub.Verify(self.admin.VerifyRequest(), metadata=AUTH, timeout=30)
        self.assertTrue(verified.ok, verified)
        self.assertEqual(verified.records, PERMITS_WRITTEN - 1)
        self.assertEqual(verified.entries, 4 * (PERMITS_WRITTEN - 1))
        self.assertEqual(list(verified.mismatches), [])
        self.assertEqual(list(verified.building), [])
        # Offline verify beside the running server: an ordinary LMDB reader.
        status, log = run([PERMITS, "--data_dir=" + self.data, "--verify"])
        self.assertEqual(status, 0, log)
        self.assertIn("verify: consistent", log)

    def test_3_verify_command_changes_no_byte(self):
        self.stopped()
        before = hashes(self.data)
        self.assertIn("data.mdb", before)
        status, log = run([PERMITS, "--data_dir=" + self.data, "--verify"])
        self.assertEqual(status, 0, log)
        self.assertIn("with the schema it records (proto/examples/permits.proto)", log)
        self.assertIn("verify: %d records" % (PERMITS_WRITTEN - 1), log)
        self.assertIn("verify: consistent", log)
        self.assertEqual(hashes(self.data), before)

    def test_4_verify_command_succeeds_on_a_read_only_mount(self):
        self.stopped()
        before = hashes(self.data)
        # A mount namespace of its own: the bind mount is gone when it exits.
        script = ("mount --bind {d} {d} && mount -o remount,ro,bind {d} && "
                  "if touch {d}/probe 2>/dev/null; then echo WRITABLE; exit 3; fi && "
                  "{server} --data_dir={d} --verify").format(
                      d=shlex.quote(self.data), server=shlex.quote(PERMITS))
        status, log = run(["unshare", "-m", "sh", "-c", script])
        self.assertNotIn("WRITABLE", log)
        self.assertEqual(status, 0, log)
        self.assertIn("verify: consistent", log)
        self.assertEqual(hashes(self.data), before)

    def test_5_a_schema_that_drops_tables_holding_records_is_refused(self):
        self.stopped()
        before = hashes(self.data)
        status, log = run([CUSTOMERS, "--data_dir=" + self.data, "--listen=127.0.0.1:0"])
        self.assertNotEqual(status, 0, log)
        self.assertIn("FAILED_PRECONDITION", log)
        self.assertIn("proto/examples/permits.proto: table 'permits' "
                      "(message lmdbapi.examples.permits.Permit) holds %d records"
                      % (PERMITS_WRITTEN - 1), log)
        self.assertIn("the schema no longer declares it; declare it again", log)
        self.assertIn("--table=permits", log)
        self.assertIn("nothing was changed there", log)
        # data.mdb byte for byte. (lock.mdb is LMDB's reader table, which any
        # writable open takes and resets; it holds no data.)
        self.assertEqual(hashes(self.data)["data.mdb"], before["data.mdb"])
        # The schema that wrote it still serves it.
        status, log = run([PERMITS, "--data_dir=" + self.data, "--verify"])
        self.assertEqual(status, 0, log)


if __name__ == "__main__":
    stack.main()
