#!/usr/bin/python3
"""`lmdbapi` against a live server (--server), the subcommands that need the
server's Admin Stat/Verify/Rebuild handlers and the per-table Export and
Import streams: stat, verify, rebuild, backup, export and import (a round
trip into a second server, NDJSON and binary, a bad line in the middle, with
and without --skip_bad, a duplicate key the server refuses), `call` of the
client-streaming Import, with a bearer token.

Usage: remote_admin_test.py LMDBAPI_BINARY SERVER_BINARY
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import stack  # noqa: E402

LMDBAPI, SERVER = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
del sys.argv[1:3]
TOKEN = "remote-admin-test-token"
PERMITS = "lmdbapi.examples.permits.Permits"
SERVER_FIELDS = ("revision", "createTime", "updateTime")


def run(port, command, *args, token=TOKEN, stdin=None):
    argv = [LMDBAPI, command, "--server=127.0.0.1:%d" % port, "--quiet"]
    if token:
        argv.append("--token=" + token)
    return subprocess.run(argv + list(args), input=stdin, capture_output=True,
                          text=True, timeout=120)


def ok(port, command, *args, **kwargs):
    r = run(port, command, *args, **kwargs)
    if r.returncode != 0:
        raise AssertionError("lmdbapi %s %s: exit %d\n%s" % (
            command, " ".join(args), r.returncode, r.stderr))
    return r.stdout


def records(port, table="permits", token=TOKEN):
    """Every record of `table`, by key, without the server's fields."""
    out = ok(port, "export", "--table=" + table, token=token)
    every = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {r["uuid"]: {k: v for k, v in r.items() if k not in SERVER_FIELDS}
            for r in every}


class RemoteAdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="remote_admin_test.")
        cls.procs = stack.Processes(cls.tmp)
        cls.backups = os.path.join(cls.tmp, "backups")
        os.mkdir(cls.backups)
        _, cls.port = cls.procs.server("server", SERVER, "--auth_token=" + TOKEN,
                                       "--backup_dir=" + cls.backups)
        permits = [{"permitNumber": "A-%02d" % i, "county": "C%d" % (i % 3),
                    "client": "client-%d" % (i % 4), "feeCents": str(100 * i),
                    "status": "APPROVED" if i % 2 else "PENDING"} for i in range(30)]
        stored = json.loads(ok(cls.port, "call", PERMITS + "/BatchInsert",
                               json.dumps({"permits": permits})))["permits"]
        cls.parent = stored[0]["uuid"]
        for stage in ("intake", "review"):
            ok(cls.port, "put", "--table=processing_statuses",
               json.dumps({"permitUuid": cls.parent, "stage": stage}))

    @classmethod
    def tearDownClass(cls):
        cls.procs.stop_all_cleanly()

    def fresh_server(self, name):
        """Another server, with no token: its port."""
        _, port = self.procs.server(name, SERVER)
        return port

    def write(self, name, lines):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        return path

    def test_stat_counts_tables_and_indexes(self):
        stat = json.loads(ok(self.port, "stat", "--json"))
        tables = {t["table"]: t for t in stat["tables"]}
        self.assertEqual(int(tables["permits"]["records"]), 30)
        self.assertEqual(int(tables["processing_statuses"]["records"]), 2)
        self.assertGreater(int(stat["revision"]), 0)
        self.assertTrue(tables["permits"]["indexes"])

    def test_verify_is_clean(self):
        verified = json.loads(ok(self.port, "verify", "--json"))
        self.assertTrue(verified["ok"])
        self.assertGreaterEqual(int(verified["records"]), 32)

    def test_rebuild_waits_until_the_index_is_ready(self):
        ok(self.port, "rebuild", "--table=permits", "--index=main_composite")
        stat = json.loads(ok(self.port, "stat", "--json"))
        permits = [t for t in stat["tables"] if t["table"] == "permits"][0]
        index = [i for i in permits["indexes"] if i["name"] == "main_composite"][0]
        self.assertEqual(index["state"], "ready")
        self.assertEqual(int(index["entries"]), int(permits["records"]))
        r = run(self.port, "rebuild", "--table=permits", "--index=no_such_index")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no_such_index", r.stderr)

    def test_backup_under_the_servers_backup_dir(self):
        out = ok(self.port, "backup", "nightly-1")
        self.assertIn(os.path.join(self.backups, "nightly-1"), out)
        self.assertIn("permits=30", out)
        self.assertTrue(os.path.exists(os.path.join(self.backups, "nightly-1", "data.mdb")))
        r = run(self.port, "backup", "nightly-1")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ALREADY_EXISTS", r.stderr)

    def test_export_import_round_trip_into_another_server(self):
        exported = ok(self.port, "export", "--table=permits")
        self.assertEqual(len(exported.splitlines()), 30)
        path = self.write("permits.ndjson", exported.splitlines())
        other = self.fresh_server("round-trip")
        out = ok(other, "import", "--table=permits", "--batch=7", path, token=None)
        self.assertIn("imported 30 records into permits", out)
        self.assertEqual(records(other, token=None), records(self.port))
        self.assertTrue(json.loads(ok(other, "verify", "--json", token=None))["ok"])

    def test_binary_round_trip(self):
        path = os.path.join(self.tmp, "permits.bin")
        ok(self.port, "export", "--table=permits", "--format=binary", "--output=" + path)
        other = self.fresh_server("binary")
        ok(other, "import", "--table=permits", "--format=binary", path, token=None)
        self.assertEqual(records(other, token=None), records(self.port))

    def test_export_of_every_table_puts_parents_first(self):
        lines = [json.loads(line) for line in ok(self.port, "export").splitlines()]
        tables = [line["table"] for line in lines]
        self.assertEqual(tables.count("permits"), 30)
        self.assertEqual(tables.count("processing_statuses"), 2)
        self.assertLess(tables.index("permits"), tables.index("processing_statuses"))

    def test_a_bad_line_stops_the_import_with_the_lines_before_it_stored(self):
        good = [json.dumps({"uuid": "bad-line-%d" % i, "permitNumber": "B%d" % i})
                for i in range(5)]
        lines = good[:2] + ['{"uuid": "bad-line-x", "feeCents": "lots"}'] + good[2:]
        other = self.fresh_server("bad-line")
        r = run(other, "import", "--table=permits", "--batch=1",
                self.write("bad.ndjson", lines), token=None)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("line 3", r.stderr)
        self.assertIn("fee", r.stderr.lower())
        self.assertEqual(sorted(records(other, token=None)), ["bad-line-0", "bad-line-1"])

    def test_skip_bad_skips_and_reports(self):
        lines = [json.dumps({"uuid": "skip-%d" % i}) for i in range(4)]
        lines.insert(1, '{"uuid": "skip-x", "feeCents": "lots"}')
        lines.append(json.dumps({"uuid": "skip-0"}))  # the server refuses it
        other = self.fresh_server("skip-bad")
        r = run(other, "import", "--table=permits", "--skip_bad",
                self.write("skip.ndjson", lines), token=None)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("imported 4 records", r.stdout)
        self.assertIn("skipped 2", r.stdout)
        self.assertIn("line 2", r.stderr)
        self.assertIn("line 6", r.stderr)
        self.assertEqual(sorted(records(other, token=None)),
                         ["skip-%d" % i for i in range(4)])

    def test_a_duplicate_key_names_its_line(self):
        other = self.fresh_server("duplicate")
        lines = [json.dumps({"uuid": "dup-%d" % i}) for i in range(3)]
        lines.append(json.dumps({"uuid": "dup-1"}))
        r = run(other, "import", "--table=permits", self.write("dup.ndjson", lines),
                token=None)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ALREADY_EXISTS", r.stderr)
        self.assertIn("line 4", r.stderr)
        self.assertEqual(sorted(records(other, token=None)), ["dup-0", "dup-1", "dup-2"])

    def test_call_of_a_client_stream_sends_one_request_a_line(self):
        other = self.fresh_server("call-import")
        requests = '{"records": [{"uuid": "cs-1"}, {"uuid": "cs-2"}]}\n\n{"records": [{"uuid": "cs-3"}]}\n'
        answer = json.loads(ok(other, "call", PERMITS + "/Import", "-", stdin=requests,
                               token=None))
        self.assertEqual(answer["imported"], "3")
        self.assertEqual(sorted(records(other, token=None)), ["cs-1", "cs-2", "cs-3"])
        r = run(other, "call", PERMITS + "/Import", "-", token=None,
                stdin='{"records": [{"uuid": "cs-4"}]}\n{"records": [{"feeCents": "x"}]}\n')
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("request 2", r.stderr)
        self.assertIn("fee_cents", r.stderr.replace("feeCents", "fee_cents"))

    def test_without_the_token_the_admin_calls_are_refused(self):
        for argv in (["stat"], ["verify"], ["export", "--table=permits"],
                     ["import", "--table=permits", "-"], ["backup", "x"]):
            r = run(self.port, *argv, token=None, stdin="")
            self.assertNotEqual(r.returncode, 0, argv)
            self.assertIn("UNAUTHENTICATED", r.stderr, argv)


if __name__ == "__main__":
    stack.main()
