#!/usr/bin/python3
"""Online index builds on the real server.

A data directory with permits is opened by a server whose schema changed two
index definitions (the recorded definitions are edited with mdb_load, as a
schema change would leave them): the server serves at once, health says
SERVING while "lmdbapi.index_builds" says NOT_SERVING, the metrics show the
builds' progress, and writes go on. The server is killed with SIGKILL in the
middle of the build and started again: every acknowledged write is there,
the build resumes from its cursor (not from zero) and completes, and
`server --verify` finds every index consistent. Then Admin.Rebuild starts
the same kind of build (bad names refused with the field named).

Usage: online_build_test.py SERVER_BINARY GENERATED_ROOT
"""
import os
import re
import subprocess
import sys
import threading
import time
import unittest
import uuid as uuidlib

import grpc
from harness import Harness
import stack  # noqa: E402  (on the path harness.py sets)

SERVER, GENERATED = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
PRELOAD = 60000
# Chunks of the build, fixed here so that the kill falls between two committed
# chunks whatever the default (one of 60,000 or more builds the preload in one).
CHUNK = ["--index_build_chunk=16384"]
CHANGED = ("by_issued", "by_county_status")


def health(channel, service):
    """grpc.health.v1 Check of `service`: 1 SERVING, 2 NOT_SERVING (the
    messages are one field each, so no stubs are needed)."""
    name = service.encode()
    check = channel.unary_unary("/grpc.health.v1.Health/Check")
    reply = check(b"\x0a" + bytes([len(name)]) + name if name else b"", timeout=5)
    return reply[1] if len(reply) >= 2 else 0


def index_states(text):
    """From the metrics text: {index: (state, built, total)} of permits."""
    states = {}
    for index, state in re.findall(
            r'lmdbapi_index_state\{table="permits",index="(\w+)",state="(\w+)"\} 1', text):
        states[index] = [state, 0, 0]
    for index, kind, n in re.findall(
            r'lmdbapi_index_build_records\{table="permits",index="(\w+)",kind="(\w+)"\} (\d+)',
            text):
        states[index][1 if kind == "built" else 2] = int(n)
    return states


class OnlineBuildTest(unittest.TestCase):
    def setUp(self):
        self.h = Harness(SERVER, GENERATED)
        self.m, self.s = self.h.messages, self.h.service

    def tearDown(self):
        self.h.close()

    def permit(self, n):
        return self.m.Permit(
            uuid=str(uuidlib.UUID(int=n + 1)), permit_number="P-%d" % n,
            client="c%d" % (n % 11), county=("NY", "CA", "TX")[n % 3],
            status=self.m.PENDING, fee_cents=n)

    def preload(self, permits):
        for start in range(0, PRELOAD, 2000):
            batch = [self.permit(n) for n in range(start, start + 2000)]
            permits.BatchInsert(self.s.BatchInsertPermitsRequest(permits=batch), timeout=60)

    def admin(self):
        """(admin_pb2, AdminStub on the running server); generated once."""
        if not hasattr(self, "admin_modules"):
            self.admin_modules = stack.load_admin(self.h.stubs_dir)
        admin, admin_grpc = self.admin_modules
        return admin, admin_grpc.AdminStub(self.h.channel)

    def states(self):
        admin, stub = self.admin()
        return index_states(stub.Metrics(admin.MetricsRequest(), timeout=10).text)

    def change_definitions(self):
        """What a schema that changed these indexes finds on opening."""
        text = "".join("index/permits/%s\nv0 (an older definition)\n" % i for i in CHANGED)
        r = subprocess.run(["mdb_load", "-T", "-s", "__lmdbapi_meta", self.h.data],
                           input=text, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def write_during(self, permits, stop, acked):
        n = PRELOAD
        while not stop.is_set():
            p = self.permit(n)
            try:
                permits.Insert(self.s.InsertPermitRequest(permit=p), timeout=5)
            except grpc.RpcError:
                return  # killed
            acked.append(p.uuid)
            n += 1

    def log_since(self, offset):
        with open(self.h.log) as f:
            f.seek(offset)
            return f.read()

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(s[0] == "ready" for s in self.states().values()):
                return
            time.sleep(0.1)
        self.fail("indexes not built in %d s: %s" % (timeout, self.states()))

    def kill_mid_build(self):
        """Starts the server on changed definitions, writes, and kills it
        once the build has made progress: the uuids acknowledged."""
        permits = self.h.start("--log_level=info", *CHUNK)
        self.assertEqual(health(self.h.channel, ""), 1, "the server serves while it builds")
        stop, acked = threading.Event(), []
        writer = threading.Thread(target=self.write_during, args=(permits, stop, acked))
        writer.start()
        deadline = time.time() + 30
        while True:
            states = self.states()
            built = [states[i][1] for i in CHANGED if states[i][0] == "building"]
            if built and max(built) > 0 and len(acked) >= 5:
                break
            self.assertLess(time.time(), deadline, "no build progress: %s" % states)
            time.sleep(0.005)
        self.assertEqual(health(self.h.channel, "lmdbapi.index_builds"), 2)
        query = self.s.FilterPermitsRequest(filter='county = "NY"', order_by="", page_size=5)
        self.assertTrue(permits.Filter(query, timeout=10).permits)
        self.h.kill()
        stop.set()
        writer.join()
        self.h.channel.close()
        return acked, states

    def test_kill_9_during_online_build_loses_nothing_and_resumes(self):
        self.preload(self.h.start())
        self.assertEqual(self.h.stop(), 0)
        self.change_definitions()
        with open(self.h.log) as f:
            offset = len(f.read())
        acked, at_kill = self.kill_mid_build()
        self.assertIn("building index permits.idx.by_issued", self.log_since(offset))
        self.assertGreater(len(acked), 0, "no write acknowledged during the build")

        with open(self.h.log) as f:
            offset = len(f.read())
        permits = self.h.start("--log_level=info", *CHUNK)
        resumed = re.findall(r"index permits\.(\w+): building, (\d+)/(\d+) records",
                             self.log_since(offset))
        self.assertTrue(any(int(built) > 0 for _, built, _ in resumed),
                        "no build resumed from its cursor: %s (at the kill: %s)"
                        % (resumed, at_kill))
        for key in acked:
            permits.Get(self.s.GetPermitRequest(uuid=key), timeout=10)
        self.wait_ready()
        deadline = time.time() + 5  # health follows the builds within a poll (1 s)
        while health(self.h.channel, "lmdbapi.index_builds") != 1:
            self.assertLess(time.time(), deadline, "health still says the builds run")
            time.sleep(0.1)
        self.assertRegex(self.log_since(offset), r"index permits\.by_\w+: built in ")
        self.assertEqual(self.h.stop(), 0)
        status, log = self.h.verify()
        self.assertEqual(status, 0, log)
        self.assertIn("consistent", log)
        self.assertNotIn("not checked", log)

    def test_admin_rebuild_starts_an_online_build(self):
        permits = self.h.start("--log_level=info", *CHUNK)
        self.preload(permits)
        admin, stub = self.admin()
        started = stub.Rebuild(admin.RebuildRequest(table="permits", index="by_issued"),
                               timeout=30)
        self.assertEqual(list(started.started), ["permits.by_issued"])
        for request, code, named in [
                (admin.RebuildRequest(table="nope"), grpc.StatusCode.NOT_FOUND, "table"),
                (admin.RebuildRequest(table="permits", index="nope"),
                 grpc.StatusCode.NOT_FOUND, "index"),
                (admin.RebuildRequest(table="per mits"), grpc.StatusCode.INVALID_ARGUMENT,
                 "table")]:
            with self.assertRaises(grpc.RpcError) as caught:
                stub.Rebuild(request, timeout=10)
            self.assertEqual(caught.exception.code(), code)
            self.assertTrue(caught.exception.details().startswith(named + ": "),
                            caught.exception.details())
        self.wait_ready()
        self.assertEqual(self.h.stop(), 0)
        status, log = self.h.verify()
        self.assertEqual(status, 0, log)


if __name__ == "__main__":
    unittest.main()
