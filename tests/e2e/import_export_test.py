#!/usr/bin/python3
"""Import (client stream) and Export (server stream) on the real server and
gateway, with --auth_token:

- records imported in many messages (several commit batches) are all there
  (Count, Filter, Get) and `--verify` is clean;
- a bad record in the middle of the stream (a unique clash, an invalid key)
  ends the import with its position and field; exactly the records before
  it are stored;
- skip_bad leaves bad records out and lists them; replace_existing replaces;
- a child record whose parent does not exist is FAILED_PRECONDITION;
- Export returns every matching record once, from the snapshot its call
  began with, while writes go on; every message carries its revision;
- without the token both are UNAUTHENTICATED;
- REST: POST /api/permits/import (JSON request objects one after another)
  and GET /api/permits/export (newline-delimited JSON).

    import_export_test.py SERVER GATEWAY BUILD_DIR
"""
import json
import os
import subprocess
import sys
import threading
import time
import unittest
import urllib.request
import uuid as uuidlib

import grpc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import stack  # noqa: E402

SERVER, GATEWAY, BUILD = (os.path.abspath(a) for a in sys.argv[1:4])
TOKEN = "import-export-token"
AUTH = (("authorization", "Bearer " + TOKEN),)


def uuid7():
    return str(uuidlib.uuid4())  # any unique string serves as a key


class ImportExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        stack.PermitsStack.start(cls, BUILD, SERVER, GATEWAY, "--auth_token=" + TOKEN)
        stubs = cls.stubs

    @classmethod
    def tearDownClass(cls):
        stack.PermitsStack.stop(cls)

    # Helpers.
    def permit_records(self, tag, n):
        return [self.m.Permit(uuid=uuid7(), permit_number=f"{tag}-{i}", client=tag,
                              county="NY", fee_cents=i) for i in range(n)]

    def requests(self, records, per_message=1000, **options):
        for start in range(0, max(len(records), 1), per_message):
            yield self.s.ImportPermitsRequest(
                records=records[start:start + per_message],
                **(options if start == 0 else {}))

    def import_permits(self, records, per_message=1000, **options):
        return self.permits.Import(self.requests(records, per_message, **options),
                                   metadata=AUTH, timeout=120)

    def refused(self, code, records, **options):
        with self.assertRaises(grpc.RpcError) as e:
            self.import_permits(records, **options)
        self.assertEqual(e.exception.code(), code, e.exception.details())
        return e.exception.details()

    def count(self, client):
        return self.permits.Count(self.s.CountPermitsRequest(filter=f'client = "{client}"'),
                                  metadata=AUTH).count

    def exists(self, uuid):
        try:
            self.permits.Get(self.s.GetPermitRequest(uuid=uuid), metadata=AUTH)
            return True
        except grpc.RpcError as e:
            self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
            return False

    def verify(self):
        verify = subprocess.run([SERVER, "--data_dir=" + self.data, "--verify"],
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(verify.returncode, 0, verify.stderr[-2000:])

    # Import.
    def test_import_stores_every_record_durably_with_indexes(self):
        records = self.permit_records("Bulk", 10000)
        answer = self.import_permits(records, per_message=700)
        self.assertEqual(answer.imported, 10000)
        self.assertGreater(answer.revision, 0)
        self.assertEqual(len(answer.skipped), 0)
        self.assertEqual(self.count("Bulk"), 10000)
        page = self.permits.Filter(self.s.FilterPermitsRequest(
            filter='permit_number = "Bulk-9999"'), metadata=AUTH)
        self.assertEqual([p.uuid for p in page.permits], [records[9999].uuid])
        got = self.permits.Get(self.s.GetPermitRequest(uuid=records[5000].uuid),
                               metadata=AUTH)
        self.assertEqual(got.fee_cents, 5000)
        self.assertGreater(got.revision, 0)
        self.assertLessEqual(got.revision, answer.revision)
        self.verify()

    def test_empty_stream_imports_nothing(self):
        answer = self.permits.Import(iter([]), metadata=AUTH, timeout=30)
        self.assertEqual((answer.imported, answer.revision), (0, 0))

    def test_bad_record_in_the_middle_stores_exactly_those_before_it(self):
        taken = self.permit_records("Taken", 1)
        self.import_permits(taken)
        records = self.permit_records("Mid", 9000)
        records[4999].permit_number = taken[0].permit_number  # position 5000
        details = self.refused(grpc.StatusCode.ALREADY_EXISTS, records, per_message=300)
        self.assertTrue(details.startswith("record 5000: field 'permit_number'"), details)
        self.assertEqual(self.count("Mid"), 4999)
        self.assertTrue(self.exists(records[4998].uuid))
        self.assertFalse(self.exists(records[4999].uuid))
        self.assertFalse(self.exists(records[5000].uuid))
        self.assertFalse(self.exists(records[8999].uuid))
        self.verify()

    def test_error_is_answered_while_the_client_still_sends(self):
        taken = self.permit_records("Early", 1)
        self.import_permits(taken)
        records = self.permit_records("Early2", 10)
        records[2].permit_number = taken[0].permit_number
        done = threading.Event()

        def stalled():
            yield self.s.ImportPermitsRequest(records=records)
            done.wait(30)  # the client has more to send, later

        started = time.time()
        with self.assertRaises(grpc.RpcError) as e:
            self.permits.Import(stalled(), metadata=AUTH, timeout=30)
        done.set()
        self.assertEqual(e.exception.code(), grpc.StatusCode.ALREADY_EXISTS)
        self.assertTrue(e.exception.details().startswith("record 3: field 'permit_number'"))
        self.assertLess(time.time() - started, 10)
        self.assertEqual(self.count("Early2"), 2)

    def test_invalid_record_names_its_position_and_field(self):
        records = self.permit_records("Invalid", 20)
        records[6].uuid = "x" * 600
        details = self.refused(grpc.StatusCode.INVALID_ARGUMENT, records, per_message=5)
        self.assertTrue(details.startswith("record 7: field 'uuid'"), details)
        self.assertEqual(self.count("Invalid"), 6)

    def raw_import(self, messages):
        """Import with each request message given as its bytes, as sent."""
        call = self.channel.stream_unary(
            "/lmdbapi.examples.permits.Permits/Import",
            request_serializer=None,
            response_deserializer=self.s.ImportPermitsResponse.FromString)
        return call(iter(messages), metadata=AUTH, timeout=60)

    def test_records_in_any_wire_form_are_stored_as_protobuf_writes_them(self):
        # Records whose bytes protobuf would write otherwise (fields out of
        # order, a default written, a packed field unpacked) are parsed;
        # canonical ones are stored as they came. Both read back the same.
        def message(*records):
            out = b""
            for r in records:
                out += b"\x0a" + bytes(self.varint(len(r))) + r
            return out

        keys = [uuid7() for _ in range(4)]
        out_of_order = (self.m.Permit(permit_number="Wire-0", client="Wire").SerializeToString()
                        + self.m.Permit(uuid=keys[0]).SerializeToString())
        default_written = (self.m.Permit(uuid=keys[1], permit_number="Wire-1",
                                         client="Wire").SerializeToString()
                           + b"\x50\x00")  # fee_cents = 0
        canonical = [self.m.Permit(uuid=k, permit_number=f"Wire-{i + 2}", client="Wire",
                                   county="NY", fee_cents=7).SerializeToString()
                     for i, k in enumerate(keys[2:])]
        answer = self.raw_import([message(out_of_order, canonical[0]),
                                  message(canonical[1]), message(default_written)])
        self.assertEqual(answer.imported, 4)
        self.assertEqual(self.count("Wire"), 4)
        for i, key in enumerate(keys):
            got = self.permits.Get(self.s.GetPermitRequest(uuid=key), metadata=AUTH)
            self.assertEqual(got.permit_number, f"Wire-{i}")
            page = self.permits.Filter(self.s.FilterPermitsRequest(
                filter=f'permit_number = "Wire-{i}"'), metadata=AUTH)
            self.assertEqual([p.uuid for p in page.permits], [key])
        self.verify()

    @staticmethod
    def varint(n):
        out = []
        while True:
            out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                return out

    def test_skip_bad_reports_bad_records_and_goes_on(self):
        records = self.permit_records("Skip", 5000)
        records[10].uuid = "x" * 600                           # invalid
        records[2000].uuid = records[1].uuid                   # duplicate key
        records[4500].permit_number = records[3].permit_number  # unique clash
        answer = self.import_permits(records, per_message=450, skip_bad=True)
        self.assertEqual(answer.imported, 4997)
        self.assertEqual([s.position for s in answer.skipped], [11, 2001, 4501])
        self.assertTrue(answer.skipped[0].error.startswith("record 11: field 'uuid'"))
        self.assertIn("already exists", answer.skipped[1].error)
        self.assertIn("permit_number", answer.skipped[2].error)
        self.assertEqual(self.count("Skip"), 4997)
        self.verify()

    def test_replace_existing_replaces_stored_records(self):
        records = self.permit_records("Replace", 50)
        self.import_permits(records)
        self.refused(grpc.StatusCode.ALREADY_EXISTS, records)
        for r in records:
            r.client = "Replaced"
        answer = self.import_permits(records, replace_existing=True)
        self.assertEqual(answer.imported, 50)
        self.assertEqual(self.count("Replace"), 0)
        self.assertEqual(self.count("Replaced"), 50)
        self.verify()

    def test_child_without_its_parent_is_failed_precondition(self):
        parent = self.permit_records("Parent", 1)
        self.import_permits(parent)
        lines = [self.m.ProcessingStatus(uuid=uuid7(), permit_uuid=parent[0].uuid,
                                         stage=f"s{i}") for i in range(5)]
        lines[3].permit_uuid = uuid7()
        with self.assertRaises(grpc.RpcError) as e:
            self.statuses.Import(iter([self.s.ImportProcessingStatusesRequest(records=lines)]),
                                 metadata=AUTH, timeout=30)
        self.assertEqual(e.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertTrue(e.exception.details().startswith("record 4: field 'permit_uuid'"),
                        e.exception.details())
        count = self.statuses.Count(self.s.CountProcessingStatusesRequest(
            permit_uuid=parent[0].uuid), metadata=AUTH).count
        self.assertEqual(count, 3)
        exported = [r.uuid for m in self.statuses.Export(
            self.s.ExportProcessingStatusesRequest(permit_uuid=parent[0].uuid),
            metadata=AUTH) for r in m.records]
        self.assertEqual(sorted(exported), sorted(line.uuid for line in lines[:3]))

    # Export.
    def test_export_is_one_snapshot_while_writes_go_on(self):
        records = self.permit_records("Snap", 9000)
        self.import_permits(records)
        stream = self.permits.Export(self.s.ExportPermitsRequest(filter='client = "Snap"'),
                                     metadata=AUTH, timeout=60)
        first = next(stream)
        self.assertGreater(len(first.records), 0)
        self.assertLess(len(first.records), 9000)
        # Written after the export began: not in it.
        later = self.permit_records("Snap", 1)[0]
        later.permit_number = "Snap-later"
        self.permits.Insert(self.s.InsertPermitRequest(permit=later), metadata=AUTH)
        last = records[-1].uuid
        self.permits.Delete(self.s.DeletePermitRequest(uuid=last), metadata=AUTH)
        rest = list(stream)
        messages = [first] + rest
        self.assertEqual({m.revision for m in messages}, {first.revision})
        seen = [r.uuid for m in messages for r in m.records]
        self.assertEqual(len(seen), 9000)
        self.assertEqual(sorted(seen), sorted(r.uuid for r in records))
        self.assertEqual(seen, sorted(seen))  # key order
        self.assertNotIn(later.uuid, seen)
        self.assertIn(last, seen)
        after = list(self.permits.Export(self.s.ExportPermitsRequest(
            filter='client = "Snap"'), metadata=AUTH))
        self.assertGreater(after[0].revision, first.revision)
        seen = {r.uuid for m in after for r in m.records}
        self.assertIn(later.uuid, seen)
        self.assertNotIn(last, seen)

    def test_export_of_nothing_sends_its_revision(self):
        self.import_permits(self.permit_records("Something", 1))
        messages = list(self.permits.Export(self.s.ExportPermitsRequest(
            filter='client = "Nobody"'), metadata=AUTH))
        self.assertEqual(len(messages), 1)
        self.assertEqual(len(messages[0].records), 0)
        self.assertGreater(messages[0].revision, 0)

    def test_export_bad_filter_is_invalid_argument(self):
        with self.assertRaises(grpc.RpcError) as e:
            list(self.permits.Export(self.s.ExportPermitsRequest(filter="no_such = 1"),
                                     metadata=AUTH))
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("no_such", e.exception.details())

    def test_without_the_token_both_are_refused(self):
        with self.assertRaises(grpc.RpcError) as e:
            self.permits.Import(self.requests(self.permit_records("NoAuth", 3)), timeout=30)
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        with self.assertRaises(grpc.RpcError) as e:
            list(self.permits.Export(self.s.ExportPermitsRequest()))
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        self.assertEqual(self.count("NoAuth"), 0)

    # REST.
    def rest(self, method, path, body):
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.rest_port}{path}", data=body, method=method,
            headers={"Content-Type": "application/json", "Authorization": "Bearer " + TOKEN})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def test_rest_import_and_export_as_json_lines(self):
        chunks = [{"records": [{"uuid": uuid7(), "client": "Rest", "permit_number": f"R-{c}-{i}",
                                "fee_cents": str(i)} for i in range(100)]} for c in range(3)]
        chunks[0]["skip_bad"] = True
        body = "\n".join(json.dumps(c) for c in chunks).encode()
        status, text = self.rest("POST", "/api/permits/import", body)
        self.assertEqual(status, 200, text)
        self.assertEqual(json.loads(text)["imported"], "300")
        status, text = self.rest("GET", "/api/permits/export?filter=client%20%3D%20%22Rest%22",
                                 None)
        self.assertEqual(status, 200, text)
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
        records = [r for line in lines for r in line["result"].get("records", [])]
        self.assertEqual(len(records), 300)
        self.assertEqual(sorted(r["uuid"] for r in records),
                         sorted(r["uuid"] for c in chunks for r in c["records"]))


if __name__ == "__main__":
    stack.main(argv=sys.argv[:1], verbosity=2)
