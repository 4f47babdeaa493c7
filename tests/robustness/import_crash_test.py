#!/usr/bin/python3
"""`lmdbapi import` through the real server, the server killed with SIGKILL
in the middle of it.

The file holds permits P-000000000, P-000000001, … in order (the permit
number is a unique index). An import commits its batches in file order, so
after a kill and a restart the directory must hold exactly the first k lines
of the file for some k — no gap, no record that is not in the file, nothing
twice — and its indexes must verify. An import that reported done (exit
status 0: the server acknowledged every line durable) must have every line,
whether the kill came before or after; one that did not must say why. A second import of the same file with
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
# Enough lines that a kill 0.3-1.5 s in usually lands mid-import (an import
# runs at ~150-200k lines/s on the project's machine).
LINES = int(os.environ.get("LMDBAPI_IMPORT_CRASH_LINES", "200000"))
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
                self.h.kill()
                # The command may still finish after the kill: its answer
                # can have left the server just before. Its exit status,
                # not the moment, says what it promised.
                out, err = cli.communicate(timeout=60)
                if cli.returncode != 0:
                    self.assertTrue(err.strip(), "a failed import must say why")
                permits = self.h.start()
                k = self.assert_prefix(self.stored_numbers(permits))
                if cli.returncode == 0:
                    self.assertEqual(k, LINES, "an import reported done lost records")
                print("cycle %d: %s, %d of %d lines stored" % (
                    cycle, "done" if cli.returncode == 0 else "killed mid-import", k, LINES),
                    file=sys.stderr)
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
