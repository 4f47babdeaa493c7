#!/usr/bin/python3
"""A full disk through the real server: the data directory sits on a 6 MiB
tmpfs, a filler file takes a third of it, and inserts run until the disk is
full. Writes then fail cleanly (RESOURCE_EXHAUSTED, "the disk is full"),
reads keep working, the server stops cleanly and its indexes verify; once the
filler is deleted, the restarted server has every acknowledged record and
takes writes again. Mounting needs root (scripts/test runs as root).

Usage: full_disk_test.py SERVER_BINARY GENERATED_ROOT
"""
import os
import subprocess
import sys
import unittest

import grpc
from harness import Harness
import stack  # noqa: E402  (on the path harness.py sets)

SERVER, GENERATED = sys.argv[1], sys.argv[2]
del sys.argv[1:3]


class FullDiskTest(unittest.TestCase):
    def setUp(self):
        self.h = Harness(SERVER, GENERATED)
        self.m, self.s = self.h.messages, self.h.service
        self.disk = os.path.join(self.h.tmp.name, "disk")
        os.makedirs(self.disk)
        mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", self.disk],
                               capture_output=True, text=True)
        self.assertEqual(mount.returncode, 0, "mounting a small tmpfs (needs root): " + mount.stderr)
        self.h.data = os.path.join(self.disk, "data")

    def tearDown(self):
        self.h.close_server()
        subprocess.run(["umount", "-l", self.disk])
        self.h.close()

    def insert(self, permits, i):
        return permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(
            permit_number="D-%d" % i, client="Disk", county="NY", address="x" * 1500))).uuid

    def test_a_full_disk_fails_writes_cleanly_and_resumes_after_space_is_freed(self):
        filler = os.path.join(self.disk, "filler")
        with open(filler, "wb") as f:
            f.write(b"\0" * (2 << 20))
        permits = self.h.start("--map_size_gb=0.05", "--max_map_size_gb=0.05")
        stored, error = [], None
        for i in range(20000):  # bounded: 4 MiB fill long before
            try:
                stored.append(self.insert(permits, i))
            except grpc.RpcError as e:
                error = e
                break
        self.assertIsNotNone(error, "20000 inserts fit on a 6 MiB disk?")
        self.assertEqual(error.code(), grpc.StatusCode.RESOURCE_EXHAUSTED, error.details())
        self.assertIn("disk is full", error.details())
        print("full disk: %d records, then: %s" % (len(stored), error.details()), file=sys.stderr)
        self.assertGreater(len(stored), 100)
        self.assertEqual(permits.Get(self.s.GetPermitRequest(uuid=stored[0])).permit_number, "D-0")
        self.assertEqual(len(self.h.page_all(permits)), len(stored))
        self.assertEqual(self.h.stop(), 0)
        status, log = self.h.verify()
        self.assertEqual(status, 0, log)

        os.remove(filler)
        permits = self.h.start("--map_size_gb=0.05", "--max_map_size_gb=0.05")
        self.assertEqual(len(self.h.page_all(permits)), len(stored))
        self.insert(permits, len(stored))
        self.assertEqual(len(self.h.page_all(permits)), len(stored) + 1)
        self.assertEqual(self.h.stop(), 0)


if __name__ == "__main__":
    stack.main()
