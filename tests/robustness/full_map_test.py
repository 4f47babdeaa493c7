#!/usr/bin/python3
"""A full map through the real server: with a small map limit, inserts run
until RESOURCE_EXHAUSTED naming the limit; reads keep working; the server
stops cleanly and its indexes verify; restarted with a larger limit, every
acknowledged record is intact and writes resume.

Usage: full_map_test.py SERVER_BINARY GENERATED_ROOT
"""
import sys
import unittest

import grpc
from harness import Harness
import stack  # noqa: E402  (on the path harness.py sets)

SERVER, GENERATED = sys.argv[1], sys.argv[2]
del sys.argv[1:3]


class FullMapTest(unittest.TestCase):
    def setUp(self):
        self.h = Harness(SERVER, GENERATED)
        self.m, self.s = self.h.messages, self.h.service

    def tearDown(self):
        self.h.close()

    def count(self, permits):
        return len(self.h.page_all(permits))

    def test_a_full_map_refuses_writes_keeps_reads_and_loses_nothing(self):
        permits = self.h.start("--map_size_gb=0.001", "--max_map_size_gb=0.002")
        stored = []
        error = None
        for i in range(20000):  # bounded: the 2 MiB limit fills long before
            try:
                stored.append(permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(
                    permit_number="F-%d" % i, client="Full", county="NY",
                    address="x" * 1500))).uuid)
            except grpc.RpcError as e:
                error = e
                break
        self.assertIsNotNone(error, "20000 inserts fit in a 2 MiB map?")
        self.assertEqual(error.code(), grpc.StatusCode.RESOURCE_EXHAUSTED, error.details())
        self.assertIn("map", error.details().lower())
        print("full map: %d records, then: %s" % (len(stored), error.details()), file=sys.stderr)
        self.assertGreater(len(stored), 100)
        # Reads keep working; writes keep being refused, without damage.
        self.assertEqual(permits.Get(self.s.GetPermitRequest(uuid=stored[0])).permit_number, "F-0")
        self.assertEqual(self.count(permits), len(stored))
        with self.assertRaises(grpc.RpcError) as again:
            permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(client="More", address="y" * 1500)))
        self.assertEqual(again.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertEqual(self.h.stop(), 0)
        status, log = self.h.verify()
        self.assertEqual(status, 0, log)

        permits = self.h.start("--map_size_gb=0.002", "--max_map_size_gb=0.05")
        self.assertEqual(self.count(permits), len(stored))
        self.assertEqual(permits.Get(self.s.GetPermitRequest(uuid=stored[-1])).permit_number,
                         "F-%d" % (len(stored) - 1))
        more = permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(client="More", address="y" * 1500)))
        self.assertEqual(self.count(permits), len(stored) + 1)
        self.assertTrue(more.uuid)
        self.assertEqual(self.h.stop(), 0)


if __name__ == "__main__":
    stack.main()
