#!/usr/bin/python3
"""Partial updates and optimistic concurrency, over gRPC and REST, on the real
server and gateway: every write takes a revision, Update/Patch/Delete with a
stale expected revision (or If-Match) are ABORTED / 412 and change nothing,
Patch changes only the masked fields (indexes follow), and clients racing on
one record never lose an update.

    revisions_test.py SERVER GATEWAY BUILD_DIR
"""
import os
import sys
import threading
import time
import unittest

import grpc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import stack  # noqa: E402

SERVER, GATEWAY, BUILD = (os.path.abspath(a) for a in sys.argv[1:4])


class RevisionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        stack.PermitsStack.start(cls, BUILD, SERVER, GATEWAY)
        stubs = cls.stubs

    @classmethod
    def tearDownClass(cls):
        stack.PermitsStack.stop(cls)

    def insert(self, **fields):
        return self.permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(**fields)))

    def get(self, uuid):
        return self.permits.Get(self.s.GetPermitRequest(uuid=uuid))

    def aborted(self, call, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as e:
            call(*args, **kwargs)
        self.assertEqual(e.exception.code(), grpc.StatusCode.ABORTED, e.exception.details())
        self.assertIn("expected_revision", e.exception.details())
        return e.exception.details()

    def test_every_write_takes_a_new_revision_and_keeps_create_time(self):
        p = self.insert(client="Acme", county="NY")
        self.assertGreater(p.revision, 0)
        self.assertEqual(p.create_time, p.update_time)
        got, call = self.permits.Get.with_call(self.s.GetPermitRequest(uuid=p.uuid))
        self.assertEqual(got, p)
        self.assertIn(("etag", f'"{p.revision}"'), call.initial_metadata())
        p2 = self.m.Permit()
        p2.CopyFrom(p)
        p2.client = "Bolt"
        p2.revision = 12345  # output only: ignored
        updated = self.permits.Update(self.s.UpdatePermitRequest(permit=p2))
        self.assertGreater(updated.revision, p.revision)
        self.assertEqual(updated.create_time, p.create_time)
        self.assertGreaterEqual(updated.update_time.ToMicroseconds(), p.update_time.ToMicroseconds())
        self.assertEqual(self.get(p.uuid), updated)
        other = self.insert(client="Other")
        self.assertGreater(other.revision, updated.revision)  # one counter for the database

    def test_reads_waiting_for_a_later_revision_hold_up_no_other_call(self):
        # Reads asking for a revision not written yet (x-min-revision) wait
        # on threads of their own, not gRPC's: other calls are answered
        # meanwhile, and the write that makes the revision answers them all.
        first, call = self.permits.Insert.with_call(
            self.s.InsertPermitRequest(permit=self.m.Permit(client="Waits", county="WA")))
        revision = int(dict(call.initial_metadata())["etag"].strip('"')) + 1
        later = (("x-min-revision", str(revision)),)
        by_client = 'client = "Waits"'
        waiting = [self.permits.Get.future(self.s.GetPermitRequest(uuid=first.uuid),
                                           metadata=later, timeout=30) for _ in range(4)]
        waiting.append(self.permits.Filter.future(
            self.s.FilterPermitsRequest(filter=by_client), metadata=later, timeout=30))
        waiting.append(self.permits.Count.future(
            self.s.CountPermitsRequest(filter=by_client), metadata=later, timeout=30))
        time.sleep(0.3)
        self.assertEqual([w.done() for w in waiting], [False] * 6)
        self.assertEqual(self.permits.Get(self.s.GetPermitRequest(uuid=first.uuid),
                                          timeout=2).client, "Waits")
        self.assertEqual([w.done() for w in waiting], [False] * 6)
        second = self.insert(client="Waits", county="WA")  # the revision they wait for
        for got in waiting[:4]:
            self.assertEqual(got.result(timeout=30).uuid, first.uuid)
        self.assertEqual(sorted(p.uuid for p in waiting[4].result().permits),
                         sorted([first.uuid, second.uuid]))
        self.assertEqual(waiting[5].result().count, 2)
        for read in waiting:
            self.assertGreaterEqual(int(dict(read.initial_metadata())["x-revision"]), revision)

    def test_a_stale_expected_revision_is_aborted_and_changes_nothing(self):
        p = self.insert(client="Acme", county="NY")
        changed = self.m.Permit()
        changed.CopyFrom(p)
        changed.client = "Changed"
        stale = p.revision + 1000
        self.aborted(self.permits.Update, self.s.UpdatePermitRequest(permit=changed, expected_revision=stale))
        self.aborted(self.permits.Update, self.s.UpdatePermitRequest(permit=changed),
                     metadata=[("if-match", f'"{stale}"')])
        self.aborted(self.permits.Patch, self.s.PatchPermitRequest(
            permit=changed, update_mask={"paths": ["client"]}, expected_revision=stale))
        self.aborted(self.permits.Delete, self.s.DeletePermitRequest(uuid=p.uuid, expected_revision=stale))
        self.assertEqual(self.get(p.uuid), p)
        # The right revision (field or If-Match) goes through.
        done = self.permits.Update(self.s.UpdatePermitRequest(permit=changed, expected_revision=p.revision))
        self.assertEqual(done.client, "Changed")
        self.permits.Delete(self.s.DeletePermitRequest(uuid=p.uuid),
                            metadata=[("if-match", f'"{done.revision}"')])
        with self.assertRaises(grpc.RpcError) as e:
            self.get(p.uuid)
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_malformed_conditions_are_invalid_argument(self):
        p = self.insert(client="Acme")
        for request, metadata, words in (
                (self.s.UpdatePermitRequest(permit=p, expected_revision=-1), [], "expected_revision"),
                (self.s.UpdatePermitRequest(permit=p), [("if-match", "7")], "If-Match"),
                (self.s.UpdatePermitRequest(permit=p), [("if-match", 'W/"7"')], "If-Match")):
            with self.assertRaises(grpc.RpcError) as e:
                self.permits.Update(request, metadata=metadata)
            self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn(words, e.exception.details())
        self.assertEqual(self.get(p.uuid), p)

    def test_patch_changes_only_the_masked_fields_and_the_index_follows(self):
        p = self.insert(client="PatchMe", county="NY", status=self.m.PENDING, address="1 Main",
                        fee_cents=5)
        patch = self.m.Permit(uuid=p.uuid, client="Patched", county="IGNORED", fee_cents=9)
        got = self.permits.Patch(self.s.PatchPermitRequest(
            permit=patch, update_mask={"paths": ["client", "fee_cents"]}))
        self.assertEqual((got.client, got.county, got.address, got.fee_cents, got.status),
                         ("Patched", "NY", "1 Main", 9, self.m.PENDING))
        self.assertGreater(got.revision, p.revision)
        self.assertEqual(self.get(p.uuid), got)

        def by_client(name):
            request = self.s.FilterPermitsRequest()
            request.client.value = name
            page = self.permits.Filter(request)
            self.assertIn("main_composite", page.plan)
            return [r.uuid for r in page.permits]
        self.assertEqual(by_client("Patched"), [p.uuid])
        self.assertEqual(by_client("PatchMe"), [])
        # No mask: the fields the patch sets.
        got = self.permits.Patch(self.s.PatchPermitRequest(
            permit=self.m.Permit(uuid=p.uuid, address="2 Main")))
        self.assertEqual((got.client, got.address), ("Patched", "2 Main"))
        # Clearing a field: in the mask, absent from the patch.
        got = self.permits.Patch(self.s.PatchPermitRequest(
            permit=self.m.Permit(uuid=p.uuid), update_mask={"paths": ["address"]}))
        self.assertEqual(got.address, "")

    def test_patch_refuses_unknown_paths_and_missing_records(self):
        p = self.insert(client="Acme")
        for paths, words in ((["colour"], "update_mask: 'colour' is not a field of Permit"),
                             (["client.x"], "update_mask: 'client.x'"),
                             (["uuid"], "update_mask: names no field")):
            with self.assertRaises(grpc.RpcError) as e:
                self.permits.Patch(self.s.PatchPermitRequest(
                    permit=self.m.Permit(uuid=p.uuid, client="X"), update_mask={"paths": paths}))
            self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT, paths)
            self.assertIn(words, e.exception.details())
        with self.assertRaises(grpc.RpcError) as e:
            self.permits.Patch(self.s.PatchPermitRequest(
                permit=self.m.Permit(uuid="no-such-permit", client="X"), update_mask={"paths": ["client"]}))
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        # A patch that breaks a unique index is refused whole.
        q = self.insert(permit_number="UNIQ-1")
        with self.assertRaises(grpc.RpcError) as e:
            self.permits.Patch(self.s.PatchPermitRequest(
                permit=self.m.Permit(uuid=p.uuid, permit_number="UNIQ-1", client="Y"),
                update_mask={"paths": ["permit_number", "client"]}))
        self.assertEqual(e.exception.code(), grpc.StatusCode.ALREADY_EXISTS)
        self.assertEqual(self.get(p.uuid), p)
        self.assertEqual(self.get(q.uuid), q)

    def test_rest_patch_etag_and_if_match(self):
        p = self.insert(client="Rest", county="CA", address="9 Elm", fee_cents=3)
        code, body, headers = stack.rest(self.rest_port, "GET", "/api/permits/" + p.uuid, with_headers=True)
        self.assertEqual((code, headers["ETag"]), (200, f'"{p.revision}"'))
        # The JSON body's fields are the mask.
        code, body, headers = stack.rest(self.rest_port, "PATCH", "/api/permits/" + p.uuid,
                                   {"county_status": "Active", "fee_cents": "4"}, with_headers=True)
        self.assertEqual(code, 200, body)
        self.assertEqual((body["client"], body["county"], body["address"], body["county_status"],
                          body["fee_cents"]), ("Rest", "CA", "9 Elm", "Active", "4"))
        self.assertEqual(headers["ETag"], f'"{body["revision"]}"')
        etag = headers["ETag"]
        # A stale If-Match: 412 Precondition Failed (RFC 9110), nothing changed.
        stale = f'"{p.revision}"'
        for method, path, payload in (("PATCH", "/api/permits/" + p.uuid, {"client": "Lost"}),
                                      ("PUT", "/api/permits/" + p.uuid, {"client": "Lost"}),
                                      ("DELETE", "/api/permits/" + p.uuid, None)):
            code, err = stack.rest(self.rest_port, method, path, payload, headers={"If-Match": stale})
            self.assertEqual((code, err["status"]), (412, "ABORTED"), (method, err))
            self.assertIn("expected_revision", err["message"])
        code, now = stack.rest(self.rest_port, "GET", "/api/permits/" + p.uuid)
        self.assertEqual((now["client"], now["revision"]), ("Rest", body["revision"]))
        # The current ETag goes through.
        code, body = stack.rest(self.rest_port, "PATCH", "/api/permits/" + p.uuid, {"client": "Won"},
                          headers={"If-Match": etag})
        self.assertEqual((code, body["client"], body["county_status"]), (200, "Won", "Active"))
        code, err = stack.rest(self.rest_port, "PATCH", "/api/permits/" + p.uuid, {"colour": "red"})
        self.assertEqual(code, 400, err)
        self.assertIn("colour", err["message"])
        code, err = stack.rest(self.rest_port, "PUT", "/api/permits/" + p.uuid, {"client": "X"},
                         headers={"If-Match": "nonsense"})
        self.assertEqual((code, err["status"]), (400, "INVALID_ARGUMENT"))
        self.assertIn("If-Match", err["message"])

    def test_two_clients_racing_on_one_record_one_wins_each_round(self):
        p = self.insert(client="Race", fee_cents=0)
        outcomes = []
        for round_ in range(20):
            current = self.get(p.uuid)
            barrier = threading.Barrier(2)
            results = [None, None]

            def write(i):
                mine = self.m.Permit()
                mine.CopyFrom(current)
                mine.client = f"writer-{i}-round-{round_}"
                barrier.wait()
                try:
                    results[i] = self.permits.Update(self.s.UpdatePermitRequest(
                        permit=mine, expected_revision=current.revision))
                except grpc.RpcError as e:
                    results[i] = e.code()
            threads = [threading.Thread(target=write, args=(i,)) for i in (0, 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            won = [r for r in results if not isinstance(r, grpc.StatusCode)]
            lost = [r for r in results if isinstance(r, grpc.StatusCode)]
            self.assertEqual((len(won), lost), (1, [grpc.StatusCode.ABORTED]), results)
            self.assertEqual(self.get(p.uuid), won[0])
            outcomes.append(won[0].client)
        self.assertEqual(len(outcomes), 20)

    def test_read_modify_write_with_retry_loses_no_increment(self):
        p = self.insert(client="Counter", fee_cents=0)
        threads, per_thread, errors = 4, 25, []

        def increment():
            for _ in range(per_thread):
                for _attempt in range(1000):
                    current = self.get(p.uuid)
                    current.fee_cents += 1
                    try:
                        self.permits.Patch(self.s.PatchPermitRequest(
                            permit=current, update_mask={"paths": ["fee_cents"]},
                            expected_revision=current.revision))
                        break
                    except grpc.RpcError as e:
                        if e.code() != grpc.StatusCode.ABORTED:
                            errors.append(e.details())
                            return
                else:
                    errors.append("no progress in 1000 attempts")
                    return
        workers = [threading.Thread(target=increment) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.get(p.uuid).fee_cents, threads * per_thread)

    def test_children_have_revisions_too(self):
        parent = self.insert(client="Parent")
        child = self.statuses.Insert(self.s.InsertProcessingStatusRequest(
            processing_status=self.m.ProcessingStatus(permit_uuid=parent.uuid, stage="review")))
        _, call = self.statuses.Get.with_call(self.s.GetProcessingStatusRequest(uuid=child.uuid))
        etag = dict(call.initial_metadata())["etag"]
        self.assertGreater(int(etag.strip('"')), parent.revision)
        self.aborted(self.statuses.Delete, self.s.DeleteProcessingStatusRequest(
            uuid=child.uuid, expected_revision=parent.revision))
        self.statuses.Delete(self.s.DeleteProcessingStatusRequest(uuid=child.uuid),
                             metadata=[("if-match", etag)])

    # Children (secondary tables) have Update and Patch like main tables.

    def status(self, parent, **fields):
        return self.statuses.Insert(self.s.InsertProcessingStatusRequest(
            processing_status=self.m.ProcessingStatus(permit_uuid=parent.uuid, **fields)))

    def child_revision(self, uuid):
        _, call = self.statuses.Get.with_call(self.s.GetProcessingStatusRequest(uuid=uuid))
        return int(dict(call.initial_metadata())["etag"].strip('"'))

    def children_of(self, parent, **fields):
        request = self.s.FilterProcessingStatusesRequest(permit_uuid=parent.uuid)
        for name, value in fields.items():
            getattr(request, name).value = value
        return [c.uuid for c in self.statuses.Filter(request).processing_statuses]

    def test_a_child_update_and_patch_take_expected_revision_and_change_only_the_mask(self):
        parent = self.insert(client="Orders")
        child = self.status(parent, stage="review", note="first")
        revision = self.child_revision(child.uuid)
        replaced = self.m.ProcessingStatus(uuid=child.uuid, permit_uuid=parent.uuid,
                                           stage="approved", note="second")
        self.aborted(self.statuses.Update, self.s.UpdateProcessingStatusRequest(
            processing_status=replaced, expected_revision=revision - 1))
        self.assertEqual(self.statuses.Get(self.s.GetProcessingStatusRequest(uuid=child.uuid)), child)
        updated, call = self.statuses.Update.with_call(self.s.UpdateProcessingStatusRequest(
            processing_status=replaced, expected_revision=revision))
        self.assertEqual(updated, replaced)
        after_update = int(dict(call.initial_metadata())["etag"].strip('"'))
        self.assertGreater(after_update, revision)
        self.aborted(self.statuses.Patch, self.s.PatchProcessingStatusRequest(
            processing_status=self.m.ProcessingStatus(uuid=child.uuid, note="lost"),
            update_mask={"paths": ["note"]}, expected_revision=revision))
        patched = self.statuses.Patch(self.s.PatchProcessingStatusRequest(
            processing_status=self.m.ProcessingStatus(uuid=child.uuid, note="third", stage="ignored"),
            update_mask={"paths": ["note"]}, expected_revision=after_update))
        self.assertEqual((patched.stage, patched.note, patched.permit_uuid),
                         ("approved", "third", parent.uuid))
        self.assertEqual(self.children_of(parent, stage="approved"), [child.uuid])
        self.assertEqual(self.children_of(parent, stage="review"), [])

    def test_moving_a_child_to_another_parent_moves_its_index_entries(self):
        first, second = self.insert(client="From"), self.insert(client="To")
        child = self.status(first, stage="moving")
        moved = self.statuses.Patch(self.s.PatchProcessingStatusRequest(
            processing_status=self.m.ProcessingStatus(uuid=child.uuid, permit_uuid=second.uuid),
            update_mask={"paths": ["permit_uuid"]}))
        self.assertEqual((moved.permit_uuid, moved.stage), (second.uuid, "moving"))
        self.assertEqual(self.children_of(first), [])
        self.assertEqual(self.children_of(second), [child.uuid])
        self.assertEqual(self.children_of(second, stage="moving"), [child.uuid])
        # Deleting the old parent no longer cascades to it; the new one does.
        self.permits.Delete(self.s.DeletePermitRequest(uuid=first.uuid))
        self.assertEqual(self.statuses.Get(self.s.GetProcessingStatusRequest(uuid=child.uuid)), moved)
        self.permits.Delete(self.s.DeletePermitRequest(uuid=second.uuid))
        with self.assertRaises(grpc.RpcError) as e:
            self.statuses.Get(self.s.GetProcessingStatusRequest(uuid=child.uuid))
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_moving_a_child_under_a_missing_parent_is_refused_and_changes_nothing(self):
        parent = self.insert(client="Stays")
        child = self.status(parent, stage="kept")
        for call, request in (
                (self.statuses.Update, self.s.UpdateProcessingStatusRequest(
                    processing_status=self.m.ProcessingStatus(
                        uuid=child.uuid, permit_uuid="no-such-permit", stage="kept"))),
                (self.statuses.Patch, self.s.PatchProcessingStatusRequest(
                    processing_status=self.m.ProcessingStatus(uuid=child.uuid, permit_uuid="no-such-permit"),
                    update_mask={"paths": ["permit_uuid"]}))):
            with self.assertRaises(grpc.RpcError) as e:
                call(request)
            self.assertEqual(e.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
            self.assertIn("permit_uuid", e.exception.details())
        self.assertEqual(self.statuses.Get(self.s.GetProcessingStatusRequest(uuid=child.uuid)), child)
        self.assertEqual(self.children_of(parent, stage="kept"), [child.uuid])
        code, err = stack.rest(self.rest_port, "PATCH", "/api/processing-statuses/" + child.uuid,
                         {"permit_uuid": "no-such-permit"})
        self.assertEqual((code, err["status"]), (412, "FAILED_PRECONDITION"), err)
        self.assertIn("permit_uuid", err["message"])

    def test_rest_put_and_patch_on_a_child_with_if_match(self):
        parent = self.insert(client="RestParent")
        child = self.status(parent, stage="draft", note="n1")
        path = "/api/processing-statuses/" + child.uuid
        code, body, headers = stack.rest(self.rest_port, "GET", path, with_headers=True)
        etag = headers["ETag"]
        code, err = stack.rest(self.rest_port, "PATCH", path, {"note": "lost"},
                         headers={"If-Match": f'"{int(etag.strip(chr(34))) - 1}"'})
        self.assertEqual((code, err["status"]), (412, "ABORTED"), err)
        code, body, headers = stack.rest(self.rest_port, "PATCH", path, {"note": "n2"},
                                   headers={"If-Match": etag}, with_headers=True)
        self.assertEqual((code, body["note"], body["stage"]), (200, "n2", "draft"), body)
        code, body = stack.rest(self.rest_port, "PUT", path,
                          {"permit_uuid": parent.uuid, "stage": "final"},
                          headers={"If-Match": headers["ETag"]})
        self.assertEqual((code, body["stage"], body.get("note", "")), (200, "final", ""), body)
        code, body = stack.rest(self.rest_port, "PUT", "/api/processing-statuses/update/" + child.uuid,
                          {"permit_uuid": parent.uuid, "stage": "final2"})
        self.assertEqual((code, body["stage"]), (200, "final2"), body)


if __name__ == "__main__":
    stack.main(argv=sys.argv[:1], verbosity=2)
