#!/usr/bin/python3
"""Overload through the real server: with a small writer queue
(--max_queued_writes), a burst of far more concurrent inserts than the writer
can hold is partly refused at once with UNAVAILABLE naming the flag; every
accepted insert is stored as sent, no refused one is stored, and the server
takes writes again as soon as the burst ends.

Usage: overload_test.py SERVER_BINARY GENERATED_ROOT
"""
import sys
import unittest

import grpc
from harness import Harness
import stack  # noqa: E402  (on the path harness.py sets)

SERVER, GENERATED = sys.argv[1], sys.argv[2]
del sys.argv[1:3]

BURST = 1500  # calls in flight at once, bounded


class OverloadTest(unittest.TestCase):
    def setUp(self):
        self.h = Harness(SERVER, GENERATED)
        self.m, self.s = self.h.messages, self.h.service

    def tearDown(self):
        self.h.close()

    def test_a_burst_past_the_write_queue_is_refused_at_once_and_stores_only_what_it_acknowledged(self):
        permits = self.h.start("--max_queued_writes=4")
        calls = []
        for i in range(BURST):
            uuid = "burst-%05d" % i
            request = self.s.InsertPermitRequest(permit=self.m.Permit(
                uuid=uuid, permit_number="B-%d" % i, client="Burst", county="NY"))
            calls.append((uuid, permits.Insert.future(request, timeout=60)))
        accepted, refused = [], []
        for uuid, call in calls:
            if call.exception() is None:
                accepted.append(uuid)
                continue
            self.assertEqual(call.code(), grpc.StatusCode.UNAVAILABLE, call.details())
            self.assertIn("--max_queued_writes", call.details())
            refused.append(uuid)
        print("overload: %d accepted, %d refused of %d" % (len(accepted), len(refused), BURST),
              file=sys.stderr)
        self.assertGreater(len(refused), 0, "the burst never filled a queue of 4")
        self.assertGreater(len(accepted), 0)
        stored = self.h.page_all(permits)
        self.assertEqual(sorted(k for k in stored if k.startswith("burst-")), sorted(accepted))
        for uuid in accepted[:50]:
            self.assertEqual(stored[uuid].client, "Burst")
        # The burst is over: the server takes writes at once.
        after = permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(client="After")))
        self.assertEqual(permits.Get(self.s.GetPermitRequest(uuid=after.uuid)).client, "After")
        self.assertEqual(self.h.stop(), 0)
        status, log = self.h.verify()
        self.assertEqual(status, 0, log)


if __name__ == "__main__":
    stack.main()
