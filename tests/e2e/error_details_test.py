#!/usr/bin/python3
"""Structured errors, over gRPC and REST, on the real server and gateway: a
refused call carries a google.rpc.ErrorInfo (domain "lmdbapi", a reason) and,
when a field is at fault, a google.rpc.BadRequest naming it; the gateway puts
both in the JSON body's "details". A request whose string is not UTF-8 (sent
as raw bytes: a protobuf client will not build one) is INVALID_ARGUMENT
naming the field, in a unary call, a Watch request or an Import stream.

    error_details_test.py SERVER GATEWAY BUILD_DIR
"""
import os
import sys
import unittest

import grpc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import stack  # noqa: E402

SERVER, GATEWAY, BUILD = (os.path.abspath(a) for a in sys.argv[1:4])
del sys.argv[1:4]
DETAILS_KEY = "grpc-status-details-bin"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


class ErrorDetailsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        stack.PermitsStack.start(cls, BUILD, SERVER, GATEWAY)
        cls.rpc, cls.details, cls.info = stack.load_rpc_status(
            os.path.join(cls.tmpdir.name, "stubs"))

    @classmethod
    def tearDownClass(cls):
        stack.PermitsStack.stop(cls)

    def refusal(self, call, code):
        """(reason, {field: description}) of a call refused with `code`."""
        with self.assertRaises(grpc.RpcError) as e:
            call()
        self.assertEqual(e.exception.code(), code, e.exception.details())
        raw = dict(e.exception.trailing_metadata() or ()).get(DETAILS_KEY)
        self.assertIsNotNone(raw, "no " + DETAILS_KEY)
        status = self.rpc.Status.FromString(raw)
        self.assertEqual(status.code, code.value[0])
        self.assertEqual(status.message, e.exception.details())
        reason, fields = None, {}
        for any_detail in status.details:
            if any_detail.type_url == ERROR_INFO:
                info = self.info.ErrorInfo.FromString(any_detail.value)
                self.assertEqual(info.domain, "lmdbapi")
                reason = info.reason
            elif any_detail.type_url == BAD_REQUEST:
                bad = self.details.BadRequest.FromString(any_detail.value)
                fields.update({v.field: v.description for v in bad.field_violations})
        self.assertIsNotNone(reason, "no ErrorInfo in " + str(status))
        return reason, fields

    def insert(self, **fields):
        return self.permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(**fields)))

    def test_bad_insert_names_the_field_over_grpc(self):
        reason, fields = self.refusal(lambda: self.insert(status=99),
                                      grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(reason, "INVALID_FIELD")
        self.assertEqual(list(fields), ["status"])
        self.assertIn("status", fields["status"])

    def test_stale_revision_is_a_revision_mismatch_naming_expected_revision(self):
        p = self.insert(client="Acme")
        stale = self.s.UpdatePermitRequest(permit=self.m.Permit(uuid=p.uuid, client="B"),
                                           expected_revision=p.revision + 5)
        reason, fields = self.refusal(lambda: self.permits.Update(stale),
                                      grpc.StatusCode.ABORTED)
        self.assertEqual(reason, "REVISION_MISMATCH")
        self.assertEqual(list(fields), ["expected_revision"])

    def test_missing_parent_is_a_failed_precondition_naming_the_parent_key(self):
        orphan = self.s.InsertProcessingStatusRequest(
            processing_status=self.m.ProcessingStatus(permit_uuid="ghost"))
        reason, fields = self.refusal(lambda: self.statuses.Insert(orphan),
                                      grpc.StatusCode.FAILED_PRECONDITION)
        self.assertEqual(reason, "FAILED_PRECONDITION")
        self.assertEqual(list(fields), ["permit_uuid"])

    def test_taken_key_is_already_exists(self):
        p = self.insert(client="Acme")
        reason, _ = self.refusal(lambda: self.insert(uuid=p.uuid, client="again"),
                                 grpc.StatusCode.ALREADY_EXISTS)
        self.assertEqual(reason, "ALREADY_EXISTS")

    def raw(self, kind, method):
        """A call of `method` (Permits) sending and receiving raw bytes."""
        return getattr(self.channel, kind)("/lmdbapi.examples.permits.Permits/" + method,
                                           request_serializer=bytes,
                                           response_deserializer=bytes)

    def test_a_string_that_is_not_utf8_is_invalid_argument_naming_the_field(self):
        insert = self.raw("unary_unary", "Insert")
        reason, fields = self.refusal(lambda: insert(insert_request(b"a\xffb")),
                                      grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(reason, "INVALID_FIELD")
        self.assertEqual(list(fields), ["client"])
        self.assertIn("UTF-8", fields["client"])
        watch = self.raw("unary_stream", "Watch")
        bad_filter = length_delimited(2, length_delimited(3, b"\xc3\x28"))  # filter.filter
        _, fields = self.refusal(lambda: list(watch(bad_filter, timeout=10)),
                                 grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(list(fields), ["filter"])
        # Bytes that are no message at all: INVALID_ARGUMENT, no field.
        reason, fields = self.refusal(lambda: insert(b"\xff\xff\xff"),
                                      grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual((reason, fields), ("INVALID_ARGUMENT", {}))
        # Admin's too (a synchronous service: gRPC says INTERNAL there).
        verify = self.channel.unary_unary("/lmdbapi.admin.v1.Admin/Verify",
                                          request_serializer=bytes,
                                          response_deserializer=bytes)
        reason, fields = self.refusal(lambda: verify(b"\xff\xff\xff"),
                                      grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual((reason, fields), ("INVALID_ARGUMENT", {}))
        # A method the server lacks stays UNIMPLEMENTED.
        with self.assertRaises(grpc.RpcError) as e:
            self.raw("unary_unary", "NoSuchMethod")(b"")
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNIMPLEMENTED)

    def test_an_import_message_that_is_not_utf8_ends_the_import_with_its_field(self):
        imp = self.raw("stream_unary", "Import")
        messages = [import_request(b"utf8-first"), import_request(b"a\xffb"),
                    import_request(b"utf8-third")]
        _, fields = self.refusal(lambda: imp(iter(messages), timeout=10),
                                 grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(list(fields), ["client"])
        self.assertIn("record 2", fields["client"])
        clients = {p.client for p in self.permits.Paginate(
            self.s.PaginatePermitsRequest(page_size=1000)).permits}
        self.assertIn("utf8-first", clients)
        self.assertNotIn("utf8-third", clients)

    def test_bad_insert_names_the_field_over_rest(self):
        code, body = stack.rest(self.rest_port, "POST", "/api/permits", {"status": 99})
        self.assertEqual(code, 400, body)
        by_type = {d["@type"]: d for d in body.get("details", [])}
        self.assertEqual(by_type[ERROR_INFO]["reason"], "INVALID_FIELD", body)
        self.assertEqual(by_type[ERROR_INFO]["domain"], "lmdbapi", body)
        violations = by_type[BAD_REQUEST]["field_violations"]
        self.assertEqual([v["field"] for v in violations], ["status"], body)
        self.assertEqual(violations[0]["description"], body["message"])


def length_delimited(field, payload):
    """One length-delimited field on the wire (payloads under 128 bytes)."""
    return bytes([field << 3 | 2, len(payload)]) + payload


def insert_request(client):
    """InsertPermitRequest{permit: {client}} with `client` as raw bytes."""
    return length_delimited(1, length_delimited(3, client))


def import_request(client):
    """ImportPermitsRequest{records: [{client}]}."""
    return length_delimited(1, length_delimited(3, client))


if __name__ == "__main__":
    stack.main()
