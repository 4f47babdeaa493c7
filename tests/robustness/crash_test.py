#!/usr/bin/python3
"""Crash safety: the real server is kill -9'd at random moments while 64
inserts, updates and deletes are in flight, then restarted. After each kill
`server --verify` finds every index consistent with the records (and nothing
needs repairing: the server simply starts again), and workload.Workload.check
holds: every acknowledged write is there, every write in flight (a
Transactions commit across two tables included) is all or nothing, the
composite index finds the records.

A kill keeps everything the process wrote, synced or not: a missing fsync
cannot show here. tests/power_loss/power_loss_test.py drops what was not synced.

Usage: crash_test.py SERVER_BINARY GENERATED_ROOT
  LMDBAPI_CRASH_CYCLES (default 20) kill cycles; LMDBAPI_CRASH_SEED for a replay.
"""
import os
import random
import sys
import time
import unittest

from harness import Harness
import stack  # noqa: E402  (on the path harness.py sets)
from workload import Workload

SERVER, GENERATED = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
CYCLES = int(os.environ.get("LMDBAPI_CRASH_CYCLES", "20"))
SEED = int(os.environ.get("LMDBAPI_CRASH_SEED", str(int(time.time()))))


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.h = Harness(SERVER, GENERATED)
        self.rng = random.Random(SEED)

    def tearDown(self):
        self.h.close()

    def test_kill_9_under_load_loses_nothing_acknowledged(self):
        load = Workload(self, self.h, self.rng)
        print("seed %d, %d cycles" % (SEED, CYCLES), file=sys.stderr)
        started = time.time()
        for cycle in range(CYCLES):
            load.progress(cycle, CYCLES, started)
            permits = self.h.start()
            load.check(permits, cycle)
            load.run(permits, cycle, time.time() + self.rng.uniform(0.2, 1.0), self.h.kill)
            self.h.channel.close()
            status, log = self.h.verify()
            self.assertEqual(status, 0, "cycle %d: indexes inconsistent after kill -9:\n%s" % (cycle, log))
        permits = self.h.start()
        load.check(permits, CYCLES)
        self.assertEqual(self.h.stop(), 0)
        print("%d cycles: %d writes acknowledged (%d of them commits over two tables), %d records "
              "live, %d writes were in flight at a kill"
              % (CYCLES, load.acked, load.commits, load.live(), load.interrupted), file=sys.stderr)
        self.assertGreater(load.acked, CYCLES * 20, "too few writes to mean anything")
        self.assertGreater(load.interrupted, 0, "no kill caught a write in flight")


if __name__ == "__main__":
    stack.main()
