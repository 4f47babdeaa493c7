#!/usr/bin/python3
"""The query API of issue 15 over gRPC and REST, on the real server and
gateway: Count (no filter, typed constraints, a parent's records, a filter
string), read_mask on Get, Filter and Paginate (only the masked fields come
back; a path the record lacks is INVALID_ARGUMENT / 400 naming read_mask),
and filter / order_by reaching the server from both.

Tests named test_filter_text_* need the filter-language parser
(storage/filter_expr.cc); until it lands the server answers UNIMPLEMENTED.

    query_api_test.py SERVER GATEWAY BUILD_DIR
"""
import os
import sys
import unittest
import urllib.parse

import grpc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import stack  # noqa: E402

SERVER, GATEWAY, BUILD = (os.path.abspath(a) for a in sys.argv[1:4])


def q(text):
    return urllib.parse.quote(text, safe="")


class QueryApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        stack.PermitsStack.start(cls, BUILD, SERVER, GATEWAY)
        stubs = cls.stubs
        cls.reports = stubs.InspectionReportsStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        stack.PermitsStack.stop(cls)

    def insert(self, **fields):
        return self.permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(**fields)))

    def rest(self, path):
        return stack.rest(self.rest_port, "GET", path)

    def wrap(self, value):
        from google.protobuf import wrappers_pb2
        return wrappers_pb2.StringValue(value=value)

    def invalid(self, call, request, words):
        with self.assertRaises(grpc.RpcError) as e:
            call(request, timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT,
                         e.exception.details())
        for word in words:
            self.assertIn(word, e.exception.details())

    def bad_rest(self, path, words):
        code, body = self.rest(path)
        self.assertEqual((code, body.get("status")), (400, "INVALID_ARGUMENT"), (path, body))
        for word in words:
            self.assertIn(word, body["message"], path)

    # Count.

    def test_count_answers_every_record_and_those_a_typed_field_matches(self):
        before = self.permits.Count(self.s.CountPermitsRequest()).count
        for i in range(3):
            self.insert(client="Counted", county="CountyA", fee_cents=i)
        self.insert(client="Counted", county="CountyB")
        everything = self.permits.Count(self.s.CountPermitsRequest())
        self.assertEqual(everything.count, before + 4)
        self.assertTrue(everything.plan, "Count names its plan")
        a = self.permits.Count(self.s.CountPermitsRequest(county=self.wrap("CountyA")))
        self.assertEqual(a.count, 3)
        ranged = self.permits.Count(self.s.CountPermitsRequest(
            county=self.wrap("CountyA"), fee_cents_min=self.i64(1)))
        self.assertEqual(ranged.count, 2)
        # REST: int64 is a JSON string.
        code, body = self.rest("/api/permits/count")
        self.assertEqual((code, int(body["count"])), (200, before + 4), body)
        code, body = self.rest("/api/permits/count?county=CountyA&client=Counted")
        self.assertEqual((code, int(body["count"]), bool(body["plan"])), (200, 3, True), body)
        code, body = self.rest("/api/permits/count?county=Nowhere")
        self.assertEqual((code, int(body["count"])), (200, 0), body)

    def i64(self, value):
        from google.protobuf import wrappers_pb2
        return wrappers_pb2.Int64Value(value=value)

    def test_count_of_a_parents_records_over_its_rest_path(self):
        parent = self.insert(client="Inspected")
        other = self.insert(client="Other")
        for passed in (True, False, True):
            self.reports.Insert(self.s.InsertInspectionReportRequest(
                inspection_report=self.m.InspectionReport(
                    permit_uuid=parent.uuid, inspector="Kim", passed=passed)))
        self.reports.Insert(self.s.InsertInspectionReportRequest(
            inspection_report=self.m.InspectionReport(permit_uuid=other.uuid, inspector="Kim")))
        got = self.reports.Count(self.s.CountInspectionReportsRequest(permit_uuid=parent.uuid))
        self.assertEqual(got.count, 3)
        code, body = self.rest(f"/api/permits/{parent.uuid}/inspection-reports/count")
        self.assertEqual((code, int(body["count"])), (200, 3), body)
        code, body = self.rest(f"/api/inspection-reports/count?permit_uuid={parent.uuid}")
        self.assertEqual((code, int(body["count"])), (200, 3), body)
        # The literal route is not Get of key "count".
        code, body = self.rest("/api/inspection-reports/count")
        self.assertEqual(code, 200, body)
        self.assertGreaterEqual(int(body["count"]), 4)

    def test_filter_text_count_with_a_filter_string(self):
        for county in ("NY", "NY", "NJ"):
            self.insert(client="FilterCount", county=county)
        got = self.permits.Count(self.s.CountPermitsRequest(
            filter='client = "FilterCount" AND county = "NY"'))
        self.assertEqual(got.count, 2)
        code, body = self.rest("/api/permits/count?filter=" +
                               q('client = "FilterCount" AND county = "NY"'))
        self.assertEqual((code, int(body["count"])), (200, 2), body)
        # Both apply when both are given.
        got = self.permits.Count(self.s.CountPermitsRequest(
            filter='county = "NY"', client=self.wrap("FilterCount")))
        self.assertEqual(got.count, 2)

    # read_mask.

    def full_permit(self, client):
        return self.insert(client=client, county="MaskCounty", address="1 Main",
                           fee_cents=7, status=self.m.APPROVED)

    def test_read_mask_on_get_returns_only_those_fields(self):
        p = self.full_permit("MaskGet")
        got = self.permits.Get(self.s.GetPermitRequest(
            uuid=p.uuid, read_mask={"paths": ["uuid", "client"]}))
        self.assertEqual(got, self.m.Permit(uuid=p.uuid, client="MaskGet"))
        # Nested paths reach into a message field.
        got = self.permits.Get(self.s.GetPermitRequest(
            uuid=p.uuid, read_mask={"paths": ["create_time.seconds"]}))
        self.assertEqual(got.create_time.seconds, p.create_time.seconds)
        self.assertEqual((got.create_time.nanos, got.uuid), (0, ""))
        # No mask: every field.
        self.assertEqual(self.permits.Get(self.s.GetPermitRequest(uuid=p.uuid)), p)
        code, body = self.rest(f"/api/permits/{p.uuid}?read_mask=uuid,client")
        self.assertEqual((code, body), (200, {"uuid": p.uuid, "client": "MaskGet"}))
        code, body = self.rest(f"/api/permits/{p.uuid}")
        self.assertEqual((code, body["county"], body["fee_cents"]), (200, "MaskCounty", "7"))

    def test_read_mask_on_filter_and_paginate_returns_only_those_fields(self):
        made = [self.full_permit("MaskList") for _ in range(3)]
        page = self.permits.Filter(self.s.FilterPermitsRequest(
            client=self.wrap("MaskList"), read_mask={"paths": ["uuid", "fee_cents"]}))
        self.assertEqual(sorted(p.uuid for p in page.permits), sorted(p.uuid for p in made))
        for p in page.permits:
            self.assertEqual(p, self.m.Permit(uuid=p.uuid, fee_cents=7))
        pages, token = [], ""
        while True:
            page = self.permits.Paginate(self.s.PaginatePermitsRequest(
                page_size=2, page_token=token, read_mask={"paths": ["county"]}))
            pages += page.permits
            token = page.next_page_token
            if not token:
                break
        self.assertTrue(all(p.uuid == "" and p.client == "" for p in pages))
        self.assertGreaterEqual([p.county for p in pages].count("MaskCounty"), 3)
        code, body = self.rest("/api/permits/filter?client=MaskList&read_mask=uuid,client")
        self.assertEqual(code, 200, body)
        self.assertEqual(len(body["permits"]), 3)
        for p in body["permits"]:
            self.assertEqual(set(p), {"uuid", "client"})
        self.assertIn("next_page_token", body)
        self.assertIn("plan", body)
        code, body = self.rest("/api/permits?page_size=2&read_mask=uuid")
        self.assertEqual(code, 200, body)
        self.assertEqual([set(p) for p in body["permits"]], [{"uuid"}, {"uuid"}])

    def test_a_filter_page_of_many_records_returns_each_as_stored(self):
        # 300 records of ~150 bytes: a page above the 16 KiB from which the
        # server hands its page to gRPC without a copy (ByteBufferOf).
        sent = [self.m.Permit(client="BigPage", county="County%03d" % i, fee_cents=i,
                              address="%d Long Street, " % i + "x" * 100)
                for i in range(300)]
        made = self.permits.BatchInsert(self.s.BatchInsertPermitsRequest(permits=sent)).permits
        page = self.permits.Filter(self.s.FilterPermitsRequest(
            client=self.wrap("BigPage"), page_size=1000))
        self.assertGreater(page.ByteSize(), 16 * 1024)
        self.assertEqual(sorted(page.permits, key=lambda p: p.uuid),
                         sorted(made, key=lambda p: p.uuid))
        code, body = self.rest("/api/permits/filter?client=BigPage&page_size=1000")
        self.assertEqual(code, 200, body)
        self.assertEqual(sorted((p["uuid"], p["address"]) for p in body["permits"]),
                         sorted((p.uuid, p.address) for p in made))

    def test_a_read_mask_path_the_record_lacks_is_invalid_argument(self):
        p = self.full_permit("MaskBad")
        mask = {"paths": ["uuid", "no_such_field"]}
        words = ("read_mask", "no_such_field")
        self.invalid(self.permits.Get, self.s.GetPermitRequest(uuid=p.uuid, read_mask=mask),
                     words)
        self.invalid(self.permits.Filter, self.s.FilterPermitsRequest(read_mask=mask), words)
        self.invalid(self.permits.Paginate, self.s.PaginatePermitsRequest(read_mask=mask),
                     words)
        self.invalid(self.permits.Get, self.s.GetPermitRequest(
            uuid=p.uuid, read_mask={"paths": ["client.length"]}), ("read_mask", "client.length"))
        self.bad_rest(f"/api/permits/{p.uuid}?read_mask=uuid,no_such_field", words)
        self.bad_rest("/api/permits/filter?read_mask=no_such_field", words)
        self.bad_rest("/api/permits?read_mask=no_such_field", words)
        # An unknown query parameter is refused naming it, not dropped.
        self.bad_rest("/api/permits/count?read_mask=uuid", ("read_mask",))

    # filter and order_by reach the server.

    def test_filter_text_and_order_by_over_grpc_and_rest(self):
        made = [self.insert(client="Ordered", county="NY", issued={"seconds": 1700000000 + i})
                for i in range(3)]
        self.insert(client="Ordered", county="NJ")
        page = self.permits.Filter(self.s.FilterPermitsRequest(
            filter='county = "NY"', order_by="issued desc", client=self.wrap("Ordered")))
        self.assertEqual([p.uuid for p in page.permits], [p.uuid for p in reversed(made)])
        code, body = self.rest("/api/permits/filter?client=Ordered&filter=" +
                               q('county = "NY"') + "&order_by=" + q("issued desc"))
        self.assertEqual(code, 200, body)
        self.assertEqual([p["uuid"] for p in body["permits"]], [p.uuid for p in reversed(made)])

    def test_filter_text_applies_to_watch(self):
        start = self.insert(client="WatchStart").revision + 1
        stream = self.permits.Watch(self.s.WatchPermitsRequest(
            start_revision=start,
            filter=self.s.FilterPermitsRequest(filter='county = "WatchNY"')), timeout=10)
        try:
            self.insert(client="Watched", county="WatchNJ")
            wanted = [self.insert(client="Watched", county="WatchNY").uuid for _ in range(2)]
            got = [next(stream).permit for _ in wanted]
        finally:
            stream.cancel()
        self.assertEqual([p.uuid for p in got], wanted)

    def test_filter_text_that_does_not_parse_is_invalid_argument_naming_filter(self):
        self.invalid(self.permits.Filter, self.s.FilterPermitsRequest(filter='county = '),
                     ("filter",))
        self.invalid(self.permits.Count, self.s.CountPermitsRequest(filter='nope = 1'),
                     ("filter", "nope"))
        self.bad_rest("/api/permits/count?filter=" + q("county ="), ("filter",))
        self.bad_rest("/api/permits/filter?order_by=" + q("no_such_field desc"), ("order_by",))


if __name__ == "__main__":
    stack.main(argv=sys.argv[:1], verbosity=2)
