#!/usr/bin/python3
"""A full map through the real server: with a small map limit, inserts run
until RESOURCE_EXHAUSTED naming the limit; reads keep working; the server
stops cleanly and its indexes verify; restarted with a larger limit, every
acknowledged record is intact and writes resume.

Usage: full_map_test.py SERVER_BINARY GENERATED_ROOT
"""
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import example_client  # noqa: E402
import grpc  # noqa: E402

SERVER, GENERATED = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
del sys.argv[1:3]


class FullMapTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        stubs_dir = os.path.join(self.tmp.name, "stubs")
        os.makedirs(stubs_dir)
        self.m, self.s, self.stubs = example_client.load_stubs(GENERATED, stubs_dir)
        self.data = os.path.join(self.tmp.name, "data")

    def tearDown(self):
        if self.server.poll() is None:
            self.server.kill()
            self.server.wait()
        self.tmp.cleanup()

    def start(self, *flags):
        port_file = os.path.join(self.tmp.name, "port")
        if os.path.exists(port_file):
            os.remove(port_file)
        self.server = subprocess.Popen(
            [SERVER, "--listen=127.0.0.1:0", "--port_file=" + port_file,
             "--data_dir=" + self.data] + list(flags), stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while not os.path.exists(port_file):
            self.assertIsNone(self.server.poll(), "the server exited at start")
            self.assertLess(time.time(), deadline)
            time.sleep(0.01)
        with open(port_file) as f:
            self.channel = grpc.insecure_channel("127.0.0.1:" + f.read().strip())
        return self.stubs.PermitsStub(self.channel)

    def stop(self):
        self.channel.close()
        self.server.send_signal(signal.SIGTERM)
        self.assertEqual(self.server.wait(timeout=30), 0)

    def count(self, permits):
        n, token = 0, ""
        while True:
            page = permits.Paginate(self.s.PaginatePermitsRequest(page_size=1000, page_token=token))
            n += len(page.permits)
            token = page.next_page_token
            if not token:
                return n

    def test_a_full_map_refuses_writes_keeps_reads_and_loses_nothing(self):
        permits = self.start("--map_size_gb=0.001", "--max_map_size_gb=0.002")
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
        self.stop()
        verify = subprocess.run([SERVER, "--data_dir=" + self.data, "--verify"],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(verify.returncode, 0, verify.stderr[-2000:])

        permits = self.start("--map_size_gb=0.002", "--max_map_size_gb=0.05")
        self.assertEqual(self.count(permits), len(stored))
        self.assertEqual(permits.Get(self.s.GetPermitRequest(uuid=stored[-1])).permit_number,
                         "F-%d" % (len(stored) - 1))
        more = permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(client="More", address="y" * 1500)))
        self.assertEqual(self.count(permits), len(stored) + 1)
        self.assertTrue(more.uuid)
        self.stop()


if __name__ == "__main__":
    unittest.main()
