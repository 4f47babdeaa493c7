#!/usr/bin/python3
"""Crash safety: the real server is kill -9'd at random moments while 64
inserts, updates and deletes are in flight, then restarted. After each kill:

- `server --verify` finds every index consistent with the records (and
  nothing needs repairing: the server simply starts again);
- every acknowledged write is there with its last acknowledged value, every
  acknowledged delete is gone;
- a write that was in flight at the kill is either wholly there or wholly
  absent (the record equals its old or its new version, nothing in between),
  and no record exists that no write made;
- the composite index finds each record by its current values.

Usage: crash_test.py SERVER_BINARY GENERATED_ROOT
  LMDBAPI_CRASH_CYCLES (default 20) kill cycles; LMDBAPI_CRASH_SEED for a replay.
"""
import os
import queue
import random
import sys
import time
import unittest
import uuid as uuidlib

import grpc
from harness import Harness

SERVER, GENERATED = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
CYCLES = int(os.environ.get("LMDBAPI_CRASH_CYCLES", "20"))
SEED = int(os.environ.get("LMDBAPI_CRASH_SEED", str(int(time.time()))))
IN_FLIGHT = 64
CLIENTS = ["Acme", "Bolt", "Crane", "Delta"]
COUNTIES = ["NY", "CA", "TX"]


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.h = Harness(SERVER, GENERATED)
        self.m, self.s = self.h.messages, self.h.service
        self.rng = random.Random(SEED)

    def tearDown(self):
        self.h.close()

    def record(self, key, version):
        return self.m.Permit(
            uuid=key, permit_number="N-" + key, client=self.rng.choice(CLIENTS),
            county=self.rng.choice(COUNTIES), county_status="v%d" % version,
            status=self.rng.choice([self.m.PENDING, self.m.APPROVED, self.m.REJECTED]),
            address="%d Main Street" % version, fee_cents=version)

    def test_kill_9_under_load_loses_nothing_acknowledged(self):
        state = {}      # key -> the acknowledged Permit, or None once deleted
        maybe = {}      # key -> [states it may be in]: its write was in flight at the kill
        version = 0
        acked = interrupted = 0
        print("seed %d, %d cycles" % (SEED, CYCLES), file=sys.stderr)
        for cycle in range(CYCLES):
            permits = self.h.start()
            self.check(permits, state, maybe, cycle)
            done = queue.Queue()
            pending = {}  # key -> (old, new) of the write in flight
            kill_at = time.time() + self.rng.uniform(0.2, 1.0)
            killed = False
            while pending or not killed:
                while not killed and len(pending) < IN_FLIGHT:
                    live = [k for k, v in state.items() if v is not None and k not in pending]
                    roll = self.rng.random()
                    version += 1
                    if roll < 0.5 or not live:
                        key = str(uuidlib.uuid4())
                        new = self.record(key, version)
                        call = permits.Insert.future(self.s.InsertPermitRequest(permit=new))
                        old = None
                    elif roll < 0.85:
                        key = self.rng.choice(live)
                        new = self.record(key, version)
                        call = permits.Update.future(self.s.UpdatePermitRequest(permit=new))
                        old = state[key]
                    else:
                        key = self.rng.choice(live)
                        new = None
                        call = permits.Delete.future(self.s.DeletePermitRequest(uuid=key))
                        old = state[key]
                    pending[key] = (old, new)
                    call.add_done_callback(lambda f, k=key: done.put((k, f)))
                if not killed and time.time() >= kill_at:
                    self.h.kill()
                    killed = True
                try:
                    key, call = done.get(timeout=0.05)
                except queue.Empty:
                    continue
                old, new = pending.pop(key)
                if call.exception() is None:
                    state[key] = new
                    acked += 1
                else:
                    code = call.code()
                    self.assertTrue(killed, "cycle %d: %s failed before the kill: %s"
                                    % (cycle, key, call.exception()))
                    self.assertIn(code, (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED,
                                         grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL),
                                  "cycle %d: %s: %s" % (cycle, key, call.exception()))
                    maybe[key] = [old, new]
                    interrupted += 1
                    state[key] = old
            self.h.channel.close()
            status, log = self.h.verify()
            self.assertEqual(status, 0, "cycle %d: indexes inconsistent after kill -9:\n%s" % (cycle, log))
        permits = self.h.start()
        self.check(permits, state, maybe, CYCLES)
        self.assertEqual(self.h.stop(), 0)
        live = sum(1 for v in state.values() if v is not None)
        print("%d cycles: %d writes acknowledged, %d records live, %d writes were in flight at a kill"
              % (CYCLES, acked, live, interrupted), file=sys.stderr)
        self.assertGreater(acked, CYCLES * 20, "too few writes to mean anything")
        self.assertGreater(interrupted, 0, "no kill caught a write in flight")

    def check(self, permits, state, maybe, cycle):
        """Every key is in an allowed state; resolves in-flight writes to what is stored."""
        stored = self.h.page_all(permits, as_written=True)
        for key in set(state) | set(stored):
            got = stored.get(key)
            allowed = maybe.pop(key, [state.get(key)])
            self.assertIn(got, allowed, "cycle %d: record %s is %s; acknowledged: %s"
                          % (cycle, key, got, allowed))
            state[key] = got
        for key, p in self.rng.sample(sorted(stored.items()), min(20, len(stored))):
            request = self.s.FilterPermitsRequest(page_size=1000)
            request.client.value, request.county.value, request.status = p.client, p.county, p.status
            found = [r.uuid for r in permits.Filter(request).permits]
            self.assertIn(key, found, "cycle %d: the composite index misses %s" % (cycle, key))


if __name__ == "__main__":
    unittest.main()
