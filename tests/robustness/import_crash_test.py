#!/usr/bin/python3
"""`lmdbapi import` through the real server, the server killed with SIGKILL
in the middle of it.

The file holds permits P-000000000, P-000000001, … in order (the permit
number is a unique index). An import commits its batches in file order, so
after a kill and a restart the directory must hold exactly the first k lines
of the file for some k — no gap, no record that is not in the file, nothing
twice — and its indexes must verify. An import that reported done before the
kill must have every line. A second import of the same file with
--skip_bad then completes the set (every line already stored is reported as
skipped, none stored twice).

Usage: import_crash_test.py SERVER_BINARY GENERATED_ROOT LMDBAPI_CLI
"""
import json
import os
import random
import signal
import subprocess
import sys
import time
import unittest

from harness import Harness
import stack  # noqa: E402  (on the path harness.py sets)

SERVER, GENERATED, CLI = sys.argv[1], sys.argv[2], sys.argv[3]
del sys.argv[1:4]
LINES = int(os.environ.get("LMDBAPI_IMPORT_CRASH_LINES", "60000"))
CYCLES = int(os.environ.get("LMDBAPI_IMPORT_CRASH_CYCLES", "3"))


def permit_number(i):
    return "P-%09d" % i


def write_file(path, n):
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({"permitNumber": permit_number(i), "client": "c%d" % (i % 97),
                                "county": "NY", "status": "APPROVED",
                                "issued": "2025-01-01T00:00:%02dZ" % (i % 60),
                                "feeCents": str(i)}) + "\n")


class ImportCrashTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Harness(SERVER, GENERATED)
        cls.file = os.path.join(cls.h.tmp.name, "permits.ndjson")
        write_file(cls.file, LINES)

    @classmethod
    def tearDownClass(cls):
        cls.h.close()

    def import_(self, *flags):
        return subprocess.Popen([CLI, "import", "--server", "127.0.0.1:%d" % self.h.port,
                                 "--table=permits"]
                                + list(flags) + [self.file],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def stored_numbers(self, permits):
        return sorted(p.permit_number for p in self.h.page_all(permits).values())

    def assert_prefix(self, numbers):
        k = len(numbers)
        self.assertEqual(numbers, [permit_number(i) for i in range(k)],
                         "the stored records are not the first %d lines of the file" % k)
        return k

    def test_killed_import_leaves_a_prefix_of_the_file(self):
        rng = random.Random(int(os.environ.get("LMDBAPI_SEED", "18")))
        for cycle in range(CYCLES):
            with self.subTest(cycle=cycle):
                subprocess.run(["rm", "-rf", self.h.data], check=True)
                self.h.start()
                cli = self.import_()
                time.sleep(rng.uniform(0.3, 1.5))
                done_before_kill = cli.poll() == 0
                self.h.kill()
                out, err = cli.communicate(timeout=60)
                if not done_before_kill:
                    self.assertNotEqual(cli.returncode, 0, "import said done though the server died")
                    self.assertTrue(err.strip(), "a failed import must say why")
                permits = self.h.start()
                k = self.assert_prefix(self.stored_numbers(permits))
                if done_before_kill:
                    self.assertEqual(k, LINES, "an import reported done lost records")
                self.h.stop()
                status, log = self.h.verify()
                self.assertEqual(status, 0, log)

    def test_skip_bad_completes_a_killed_import(self):
        subprocess.run(["rm", "-rf", self.h.data], check=True)
        self.h.start()
        cli = self.import_()
        time.sleep(0.5)
        self.h.kill()
        cli.communicate(timeout=60)
        permits = self.h.start()
        k = self.assert_prefix(self.stored_numbers(permits))
        again = self.import_("--skip_bad")
        out, err = again.communicate(timeout=300)
        self.assertEqual(again.returncode, 0, err)
        self.assert_prefix(self.stored_numbers(permits))
        self.assertEqual(len(self.stored_numbers(permits)), LINES)
        self.assertIn(str(k), out + err, "the skipped count is reported")
        self.h.stop()
        status, log = self.h.verify()
        self.assertEqual(status, 0, log)


if __name__ == "__main__":
    stack.main()
