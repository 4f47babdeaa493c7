#!/usr/bin/python3
"""Transactions/Commit on the real server and gateway: several writes over
several tables in one atomic commit under one revision, over gRPC and REST.

- an order (a permit) and its lines (processing statuses) in one commit, the
  lines referring to the order's generated key;
- a commit whose last write is refused stores nothing (every key it named is
  absent; `--verify` is clean) and the error names the write and the field;
- two clients racing conditional commits on one record: exactly one wins
  each round;
- Watch sends a commit's changes with its revision, marking the last;
- concurrent commits share group commits; one over the message limit is
  refused whole;
- bad commits are INVALID_ARGUMENT naming what is wrong.

    commit_test.py SERVER GATEWAY BUILD_DIR
"""
import os
import subprocess
import sys
import threading
import unittest
import urllib.request
import uuid as uuidlib

import grpc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import stack  # noqa: E402

SERVER, GATEWAY, BUILD = (os.path.abspath(a) for a in sys.argv[1:4])


class CommitTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        stack.PermitsStack.start(cls, BUILD, SERVER, GATEWAY, "--max_commit_writes=50")
        stubs = cls.stubs
        cls.tx = stubs.TransactionsStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        stack.PermitsStack.stop(cls)

    # Writes of a commit.
    def insert_permit(self, **fields):
        return self.s.CommitWrite(insert_permit=self.s.InsertPermitRequest(
            permit=self.m.Permit(**fields)))

    def insert_line(self, order_write=None, **fields):
        w = self.s.CommitWrite(insert_processing_status=self.s.InsertProcessingStatusRequest(
            processing_status=self.m.ProcessingStatus(**fields)))
        if order_write is not None:
            w.key_refs.add(field="permit_uuid", write=order_write)
        return w

    def commit(self, writes, preconditions=()):
        return self.tx.Commit(self.s.CommitRequest(writes=writes, preconditions=preconditions))

    def refused(self, code, writes, preconditions=()):
        with self.assertRaises(grpc.RpcError) as e:
            self.commit(writes, preconditions)
        self.assertEqual(e.exception.code(), code, e.exception.details())
        return e.exception.details()

    def get(self, stub, request):
        """The record, or None when there is none (NOT_FOUND)."""
        try:
            return stub.Get(request)
        except grpc.RpcError as e:
            self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
            return None

    def get_permit(self, uuid):
        return self.get(self.permits, self.s.GetPermitRequest(uuid=uuid))

    def get_line(self, uuid):
        return self.get(self.statuses, self.s.GetProcessingStatusRequest(uuid=uuid))

    def test_an_order_and_its_lines_commit_together_under_one_revision(self):
        writes = [self.insert_permit(client="Order", county="NY")]
        writes += [self.insert_line(0, stage=f"line-{i}") for i in range(3)]
        answer, call = self.tx.Commit.with_call(self.s.CommitRequest(writes=writes))
        self.assertGreater(answer.revision, 0)
        self.assertIn(("etag", f'"{answer.revision}"'), call.initial_metadata())
        self.assertEqual([r.collection for r in answer.results],
                         ["permits"] + ["processing_statuses"] * 3)
        order = answer.results[0].permit
        self.assertEqual((order.client, order.revision, answer.results[0].key),
                         ("Order", answer.revision, order.uuid))
        for i, result in enumerate(answer.results[1:]):
            line = result.processing_status
            self.assertEqual((line.permit_uuid, line.stage, result.key),
                             (order.uuid, f"line-{i}", line.uuid))
            self.assertEqual(self.get_line(line.uuid), line)
        self.assertEqual(self.get_permit(order.uuid), order)
        page = self.statuses.Filter(self.s.FilterProcessingStatusesRequest(permit_uuid=order.uuid))
        self.assertEqual(len(page.processing_statuses), 3)

    def test_a_commit_whose_last_write_is_refused_stores_nothing(self):
        order, lines = str(uuidlib.uuid4()), [str(uuidlib.uuid4()) for _ in range(3)]
        writes = [self.insert_permit(uuid=order, client="Half", county="CA")]
        writes += [self.insert_line(0, uuid=lines[0]), self.insert_line(0, uuid=lines[1])]
        writes.append(self.insert_line(uuid=lines[2], permit_uuid="no-such-order"))
        details = self.refused(grpc.StatusCode.FAILED_PRECONDITION, writes)
        self.assertIn("writes[3]", details)
        self.assertIn("permit_uuid", details)
        self.assertIsNone(self.get_permit(order))
        for key in lines:
            self.assertIsNone(self.get_line(key))
        # A unique clash refuses the whole commit too, naming the write.
        taken = self.permits.Insert(self.s.InsertPermitRequest(
            permit=self.m.Permit(permit_number="TAKEN-1", client="First")))
        details = self.refused(grpc.StatusCode.ALREADY_EXISTS, [
            self.insert_permit(uuid=order, client="Second"),
            self.insert_permit(permit_number="TAKEN-1", client="Clash")])
        self.assertIn("writes[1]", details)
        self.assertIn("permit_number", details)
        self.assertIsNone(self.get_permit(order))
        self.assertEqual(self.get_permit(taken.uuid), taken)
        verify = subprocess.run([SERVER, "--data_dir=" + self.data, "--verify"],
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(verify.returncode, 0, verify.stderr[-2000:])

    def test_update_patch_and_delete_with_expected_revisions(self):
        first = self.commit([self.insert_permit(client="A", county="TX"),
                             self.insert_permit(client="B", county="TX")])
        a, b = first.results[0].permit, first.results[1].permit
        stale = first.revision - 1
        details = self.refused(grpc.StatusCode.ABORTED, [
            self.s.CommitWrite(patch_permit=self.s.PatchPermitRequest(
                permit=self.m.Permit(uuid=a.uuid, client="A2"), update_mask={"paths": ["client"]})),
            self.s.CommitWrite(delete_permit=self.s.DeletePermitRequest(
                uuid=b.uuid, expected_revision=stale))])
        self.assertIn("writes[1]", details)
        self.assertEqual(self.get_permit(a.uuid), a)
        second = self.commit([
            self.s.CommitWrite(patch_permit=self.s.PatchPermitRequest(
                permit=self.m.Permit(uuid=a.uuid, client="A2"), update_mask={"paths": ["client"]},
                expected_revision=a.revision)),
            self.s.CommitWrite(delete_permit=self.s.DeletePermitRequest(
                uuid=b.uuid, expected_revision=b.revision))])
        patched = second.results[0].permit
        self.assertEqual((patched.client, patched.county, patched.revision),
                         ("A2", "TX", second.revision))
        self.assertEqual(second.results[1].key, b.uuid)
        self.assertFalse(second.results[1].HasField("permit"))
        self.assertIsNone(self.get_permit(b.uuid))
        # Each answered record is the record as a Get reads it back, with
        # its revision and times.
        self.assertEqual(self.get_permit(a.uuid), patched)
        replaced = self.m.Permit(uuid=a.uuid, client="A3", county="NV")
        third = self.commit([self.s.CommitWrite(update_permit=self.s.UpdatePermitRequest(
            permit=replaced, expected_revision=patched.revision))])
        updated = third.results[0].permit
        self.assertEqual((updated.client, updated.county, updated.revision),
                         ("A3", "NV", third.revision))
        self.assertEqual(updated.create_time, a.create_time)
        self.assertEqual(self.get_permit(a.uuid), updated)

    def test_two_clients_racing_conditional_commits_one_wins_each_round(self):
        p = self.permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(client="Race")))
        for round_ in range(30):
            revision = self.get_permit(p.uuid).revision
            outcomes, barrier = [], threading.Barrier(2)

            def race(name):
                request = self.s.CommitRequest(
                    preconditions=[self.s.CommitPrecondition(
                        collection="permits", key=p.uuid, revision=revision)],
                    writes=[self.s.CommitWrite(patch_permit=self.s.PatchPermitRequest(
                        permit=self.m.Permit(uuid=p.uuid, county_status=name),
                        update_mask={"paths": ["county_status"]}))])
                barrier.wait()
                try:
                    self.tx.Commit(request)
                    outcomes.append(("won", name))
                except grpc.RpcError as e:
                    outcomes.append((e.code(), name))

            racers = [threading.Thread(target=race, args=(f"c{i}-{round_}",)) for i in range(2)]
            for r in racers:
                r.start()
            for r in racers:
                r.join()
            won = [name for what, name in outcomes if what == "won"]
            self.assertEqual(len(won), 1, f"round {round_}: {outcomes}")
            self.assertIn((grpc.StatusCode.ABORTED, ), [(what, ) for what, _ in outcomes])
            self.assertEqual(self.get_permit(p.uuid).county_status, won[0])

    def test_watch_sends_a_commits_changes_with_its_revision_and_marks_the_last(self):
        writes = [self.insert_permit(client="Watched")]
        writes += [self.insert_line(0, stage=f"w{i}") for i in range(3)]
        answer = self.commit(writes)
        single = self.statuses.Insert(self.s.InsertProcessingStatusRequest(
            processing_status=self.m.ProcessingStatus(permit_uuid=answer.results[0].key, stage="alone")))
        stream = self.statuses.Watch(self.s.WatchProcessingStatusesRequest(
            start_revision=answer.revision), timeout=30)
        seen = []
        for change in stream:
            seen.append((change.revision, change.processing_status.stage, change.commit_end))
            if change.processing_status.uuid == single.uuid:
                break
        stream.cancel()
        r = answer.revision
        self.assertEqual(seen[:3], [(r, "w0", False), (r, "w1", False), (r, "w2", True)])
        self.assertEqual((seen[-1][1], seen[-1][2]), ("alone", True))
        self.assertGreater(seen[-1][0], r)

    def test_bad_commits_are_invalid_argument_naming_what_is_wrong(self):
        cases = [
            ([], [], "writes: the commit is empty"),
            ([self.s.CommitWrite()], [], "writes[0]: write: required"),
            ([self.s.CommitWrite(insert_permit=self.s.InsertPermitRequest())], [],
             "writes[0]: insert_permit.permit: required"),
            ([self.insert_line(1, stage="x"), self.insert_permit()], [],
             "writes[0]: key_refs: write 1 is not an earlier write"),
            ([self.insert_permit()], [self.s.CommitPrecondition(collection="nope", key="k", exists=True)],
             "preconditions[0]: collection: no table 'nope'"),
            ([self.insert_permit()], [self.s.CommitPrecondition(collection="permits", key="k")],
             "preconditions[0]: check: one of"),
            ([self.insert_permit() for _ in range(51)], [], "the limit is 50 (--max_commit_writes)"),
        ]
        before = self.permits.Paginate(self.s.PaginatePermitsRequest(page_size=1000))
        for writes, preconditions, words in cases:
            details = self.refused(grpc.StatusCode.INVALID_ARGUMENT, writes, preconditions)
            self.assertIn(words, details)
        # Commit parses its own request (a raw method): bytes that are no
        # CommitRequest, or a record string that is not UTF-8, are
        # INVALID_ARGUMENT too, the latter naming the field.
        raw = self.channel.unary_unary("/lmdbapi.examples.permits.Transactions/Commit",
                                       request_serializer=bytes, response_deserializer=bytes)
        with self.assertRaises(grpc.RpcError) as e:
            raw(b"\xff\xff\xff")
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("does not parse", e.exception.details())
        good = self.s.CommitRequest(writes=[self.insert_permit(client="UTF8MARK")])
        with self.assertRaises(grpc.RpcError) as e:
            raw(good.SerializeToString().replace(b"UTF8MARK", b"UTF8\xffRK"))
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("client", e.exception.details())
        self.assertIn("UTF-8", e.exception.details())
        after = self.permits.Paginate(self.s.PaginatePermitsRequest(page_size=1000))
        self.assertEqual(len(after.permits), len(before.permits))

    def writer_counters(self):
        """(commits, writes) of the server's group-commit writer, from /metrics."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.rest_port}/metrics", timeout=10) as r:
            text = r.read().decode()
        values = {}
        for line in text.splitlines():
            for name in ("lmdbapi_writer_commits_total", "lmdbapi_writer_writes_total"):
                if line.startswith(name + " "):
                    values[name] = float(line.split()[1])
        return values["lmdbapi_writer_commits_total"], values["lmdbapi_writer_writes_total"]

    def test_concurrent_commits_share_group_commits(self):
        commits_before, writes_before = self.writer_counters()
        calls = [self.tx.Commit.future(self.s.CommitRequest(writes=[
            self.insert_permit(client=f"G{i}"), self.insert_line(0, stage="g")]))
            for i in range(64)]
        for call in calls:
            self.assertEqual(len(call.result(timeout=60).results), 2)
        commits, writes = self.writer_counters()
        self.assertEqual(writes - writes_before, 64, "one writer operation per commit")
        self.assertLess(commits - commits_before, 64, "64 concurrent commits took 64 fsyncs")

    def test_a_commit_over_the_message_limit_is_refused_whole(self):
        big = "x" * (120 << 10)
        writes = [self.insert_permit(client="Big", address=big) for _ in range(40)]  # > 4 MiB
        details = self.refused(grpc.StatusCode.RESOURCE_EXHAUSTED, writes)
        page = self.permits.Filter(self.s.FilterPermitsRequest(client={"value": "Big"}))
        self.assertEqual(len(page.permits), 0, details)

    def test_rest_commit_and_its_errors(self):
        body = {"writes": [
            {"insert_permit": {"permit": {"client": "RestOrder", "county": "NY"}}},
            {"insert_processing_status": {"processing_status": {"stage": "first"}},
             "key_refs": [{"field": "permit_uuid", "write": 0}]}]}
        code, answer, headers = stack.rest(self.rest_port, "POST", "/api:commit", body, with_headers=True)
        self.assertEqual(code, 200, answer)
        self.assertEqual(headers["ETag"], f'"{answer["revision"]}"')
        order, line = answer["results"][0], answer["results"][1]
        self.assertEqual(line["processing_status"]["permit_uuid"], order["key"])
        code, got = stack.rest(self.rest_port, "GET", "/api/processing-statuses/" + line["key"])
        self.assertEqual((code, got["stage"]), (200, "first"))
        body["writes"][1]["key_refs"] = []
        body["writes"][1]["insert_processing_status"]["processing_status"]["permit_uuid"] = "gone"
        code, err = stack.rest(self.rest_port, "POST", "/api:commit", body)
        self.assertEqual((code, err["status"]), (412, "FAILED_PRECONDITION"), err)
        self.assertIn("writes[1]", err["message"])
        code, err = stack.rest(self.rest_port, "POST", "/api:commit", {"writes": [{"insert_nothing": {}}]})
        self.assertEqual(code, 400, err)
        code, spec = stack.rest(self.rest_port, "GET", "/openapi.json")
        self.assertIn("/api:commit", spec["paths"])


if __name__ == "__main__":
    stack.main(argv=sys.argv[:1], verbosity=2)
