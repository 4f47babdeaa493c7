#!/usr/bin/python3
"""Bad input over gRPC, RPC by RPC, against the real server: each gets the
right status code and a message naming the field, and nothing is written.
(The same over REST is in tests/e2e/gateway/rest_test.go.)

Usage: bad_input_test.py SERVER_BINARY GENERATED_ROOT
"""
import sys
import unittest

import grpc
from harness import Harness
import stack  # noqa: E402  (on the path harness.py sets)

SERVER, GENERATED = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
INVALID = grpc.StatusCode.INVALID_ARGUMENT


class BadInputTest(unittest.TestCase):
    def setUp(self):
        self.h = Harness(SERVER, GENERATED)
        self.m, self.s = self.h.messages, self.h.service

    def tearDown(self):
        self.h.close()

    def test_every_rpc_refuses_bad_input_naming_the_field(self):
        permits = self.h.start("--max_message_bytes=65536")
        reports = self.h.stubs.InspectionReportsStub(self.h.channel)
        m, s = self.m, self.s
        cases = [
            ("Insert: no record", lambda: permits.Insert(s.InsertPermitRequest()), INVALID, "permit"),
            ("Update: no record", lambda: permits.Update(s.UpdatePermitRequest()), INVALID, "permit"),
            ("child Insert: no record", lambda: reports.Insert(s.InsertInspectionReportRequest()),
             INVALID, "inspection_report"),
            ("Insert: unknown enum value", lambda: permits.Insert(s.InsertPermitRequest(
                permit=m.Permit(status=99))), INVALID, "status"),
            ("Insert: timestamp out of range", lambda: permits.Insert(s.InsertPermitRequest(
                permit=m.Permit(issued={"seconds": 10 ** 15}))), INVALID, "issued"),
            ("Insert: nanos out of range", lambda: permits.Insert(s.InsertPermitRequest(
                permit=m.Permit(expires={"nanos": -1}))), INVALID, "expires"),
            ("Insert: oversized message", lambda: permits.Insert(s.InsertPermitRequest(
                permit=m.Permit(address="x" * 100000))), grpc.StatusCode.RESOURCE_EXHAUSTED, "larger than max"),
            ("Get: missing uuid", lambda: permits.Get(s.GetPermitRequest()), INVALID, "uuid"),
            ("Get: unknown uuid", lambda: permits.Get(s.GetPermitRequest(uuid="not-a-uuid")),
             grpc.StatusCode.NOT_FOUND, "not-a-uuid"),
            ("Update: missing uuid", lambda: permits.Update(s.UpdatePermitRequest(
                permit=m.Permit(client="x"))), INVALID, "uuid"),
            ("Update: unknown uuid", lambda: permits.Update(s.UpdatePermitRequest(
                permit=m.Permit(uuid="nope", client="x"))), grpc.StatusCode.NOT_FOUND, "nope"),
            ("Update: unknown enum value", lambda: permits.Update(s.UpdatePermitRequest(
                permit=m.Permit(uuid="nope", status=12))), INVALID, "status"),
            ("Delete: missing uuid", lambda: permits.Delete(s.DeletePermitRequest()), INVALID, "uuid"),
            ("Delete: unknown uuid", lambda: permits.Delete(s.DeletePermitRequest(uuid="nope")),
             grpc.StatusCode.NOT_FOUND, "nope"),
            ("BatchInsert: one bad record", lambda: permits.BatchInsert(s.BatchInsertPermitsRequest(
                permits=[m.Permit(client="ok"), m.Permit(status=7)])), INVALID, "records[1]"),
            ("Filter: negative page_size", lambda: permits.Filter(s.FilterPermitsRequest(page_size=-1)),
             INVALID, "page_size"),
            ("Filter: invalid page_token", lambda: permits.Filter(s.FilterPermitsRequest(page_token="zzz")),
             INVALID, "page_token"),
            ("Filter: unknown enum value", lambda: permits.Filter(s.FilterPermitsRequest(status=42)),
             INVALID, "status"),
            ("Filter: bad timestamp bound", lambda: permits.Filter(s.FilterPermitsRequest(
                issued_min={"nanos": -5})), INVALID, "issued_min"),
            ("Paginate: negative page_size", lambda: permits.Paginate(s.PaginatePermitsRequest(page_size=-3)),
             INVALID, "page_size"),
            ("Paginate: forged page_token", lambda: permits.Paginate(s.PaginatePermitsRequest(
                page_token="A" * 40)), INVALID, "page_token"),
            ("child Insert: no parent key", lambda: reports.Insert(s.InsertInspectionReportRequest(
                inspection_report=m.InspectionReport(inspector="a"))), INVALID, "permit_uuid"),
            ("child Insert: missing parent", lambda: reports.Insert(s.InsertInspectionReportRequest(
                inspection_report=m.InspectionReport(permit_uuid="ghost"))),
             grpc.StatusCode.FAILED_PRECONDITION, "ghost"),
            ("child Filter: unknown parent", lambda: reports.Filter(s.FilterInspectionReportsRequest(
                page_size=-2)), INVALID, "page_size"),
        ]
        for name, call, code, mention in cases:
            with self.subTest(name):
                with self.assertRaises(grpc.RpcError) as e:
                    call()
                self.assertEqual(e.exception.code(), code, "%s: %s" % (name, e.exception.details()))
                self.assertIn(mention, e.exception.details(), name)
        # A huge page size is clamped, not refused (AIP-158).
        self.assertEqual(len(permits.Filter(s.FilterPermitsRequest(page_size=10 ** 9)).permits), 0)
        # Nothing of the refused requests was written.
        self.assertEqual(len(self.h.page_all(permits)), 0)
        page = reports.Filter(s.FilterInspectionReportsRequest())
        self.assertEqual(len(page.inspection_reports), 0)
        self.assertEqual(self.h.stop(), 0)


if __name__ == "__main__":
    stack.main()
