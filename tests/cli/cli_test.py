#!/usr/bin/python3
"""The `lmdbapi` command on data directories: every subcommand, an export ->
import round trip into a new directory (identical records, clean verify), a
bad line in the middle of a file (exactly the lines before it stored, the
line and field named), --skip_bad, progress under a pseudo-terminal and
piped, usage errors.

    cli_test.py LMDBAPI SERVER

A data directory gets its schema from the real permits server (started on
it once and stopped); records go in through `lmdbapi import` and `put`.
Tests against a live server subclass CliTest with `target()` returning
["--server=HOST:PORT"] (see Target).
"""
import hashlib
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import stack  # noqa: E402

LMDBAPI, SERVER = (os.path.abspath(a) for a in sys.argv[1:3])
PERMITS = 300
STATUSES_PER_PERMIT = 2


def permit(i, **fields):
    record = {
        "uuid": "permit-%05d" % i,
        "permitNumber": "P-%05d" % i,
        "client": "client-%d" % (i % 7),
        "county": ["NY", "Kings", "Queens"][i % 3],
        "status": ["PENDING", "APPROVED", "REJECTED"][i % 3],
        "issued": "2026-01-%02dT10:00:00Z" % (1 + i % 28),
        "address": "%d Main St" % i,
        "feeCents": str(1000 + i),
    }
    record.update(fields)
    return record


def status(i, j):
    return {"uuid": "status-%05d-%d" % (i, j), "permitUuid": "permit-%05d" % i,
            "stage": ["intake", "review"][j % 2], "note": "note %d" % j,
            "updated": "2026-02-01T00:00:%02dZ" % j}


def ndjson(records):
    return "".join(json.dumps(r) + "\n" for r in records)


def delimited_records(path):
    """The records of a length-delimited file: each a varint length, then
    that many bytes, to the end of the file."""
    with open(path, "rb") as f:
        data = f.read()
    records, at = [], 0
    while at < len(data):
        length, shift = 0, 0
        while True:
            byte = data[at]
            at += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        records.append(data[at:at + length])
        at += length
    assert at == len(data), "the last record runs past the end"
    return records


def tree_digest(directory):
    """Every file of `directory`: name, size, mtime and content hash."""
    out = {}
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        with open(path, "rb") as f:
            st = os.stat(path)
            out[name] = (st.st_size, st.st_mtime_ns, hashlib.sha256(f.read()).hexdigest())
    return out


class Target:
    """Where the commands run: a data directory (here), or a server."""

    def __init__(self, data_dir):
        self.data_dir = data_dir

    def args(self):
        return [self.data_dir]


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.TemporaryDirectory()
        cls.tmp = cls.tmpdir.name
        cls.procs = stack.Processes(cls.tmp)
        cls.data = cls.new_data_dir("data")
        cls.permits = [permit(i) for i in range(PERMITS)]
        cls.statuses = [status(i, j) for i in range(PERMITS)
                        for j in range(STATUSES_PER_PERMIT)]
        cls.write_file("permits.ndjson", ndjson(cls.permits))
        cls.write_file("statuses.ndjson", ndjson(cls.statuses))
        for table, name in [("permits", "permits.ndjson"),
                            ("processing_statuses", "statuses.ndjson")]:
            cls.cli_ok("import", cls.data, "--table=" + table, os.path.join(cls.tmp, name))

    @classmethod
    def tearDownClass(cls):
        try:
            cls.procs.stop_all_cleanly()
        finally:
            cls.tmpdir.cleanup()

    # Helpers.

    @classmethod
    def new_data_dir(cls, name):
        """A data directory holding the permits schema and no records: the
        server opens it once (recording its schema) and stops."""
        path = os.path.join(cls.tmp, name)
        p, _ = cls.procs.server(name, SERVER, data_dir=path)
        assert cls.procs.stop(p) == 0, stack.tail(p.log)
        return path

    @classmethod
    def write_file(cls, name, text):
        path = os.path.join(cls.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    @classmethod
    def cli(cls, *args, input=None):
        return subprocess.run([LMDBAPI] + list(args), input=input, capture_output=True,
                              text=True, timeout=120)

    @classmethod
    def cli_ok(cls, *args, input=None):
        r = cls.cli(*args, input=input)
        assert r.returncode == 0, "lmdbapi %s: exit %d\n%s" % (
            " ".join(args), r.returncode, r.stderr)
        return r

    def target(self):
        return Target(self.data).args()

    def on(self, command, *args):
        """lmdbapi COMMAND <target> ARGS, which must succeed."""
        return self.cli_ok(command, *self.target(), *args)

    def fails(self, code, *args, input=None):
        r = self.cli(*args, input=input)
        self.assertEqual(r.returncode, code, "lmdbapi %s: %s" % (" ".join(args), r.stderr))
        return r.stderr

    def lines(self, text):
        return [json.loads(line) for line in text.splitlines() if line]

    def export(self, data_dir, *flags):
        return self.cli_ok("export", data_dir, "--quiet", *flags).stdout

    # Usage.

    def test_help_lists_every_subcommand(self):
        out = self.cli_ok("help").stdout
        for name in ["stat", "verify", "rebuild", "backup", "restore", "export", "import",
                     "get", "put", "delete", "list", "count", "watch", "schema"]:
            self.assertIn("  " + name, out)
        self.assertIn("usage: lmdbapi import DATA_DIR|--server=ADDR --table=T",
                      self.cli_ok("help", "import").stdout)

    def test_usage_errors_exit_2_with_the_usage(self):
        self.assertIn("usage: lmdbapi", self.fails(2))
        self.assertIn("no subcommand 'frobnicate'", self.fails(2, "frobnicate"))
        self.assertIn("--table is required (the tables: permits",
                      self.fails(2, "get", self.data, "some-key"))
        self.assertIn("unknown flag --tabel", self.fails(2, "get", self.data, "--tabel=permits", "k"))
        self.assertIn("give a data directory or --server", self.fails(2, "stat"))
        self.assertIn("get takes 1 argument", self.fails(2, "get", self.data, "--table=permits"))
        self.assertIn("--limit: 'ten' is not a non-negative integer",
                      self.fails(2, "list", self.data, "--table=permits", "--limit=ten"))
        self.assertIn("--format: 'xml' is not a format",
                      self.fails(2, "export", self.data, "--format=xml"))
        self.assertIn("--format=binary holds one table",
                      self.fails(2, "export", self.data, "--format=binary"))
        self.assertIn("usage: lmdbapi get", self.fails(2, "get", self.data))

    def test_restore_refuses_a_server(self):
        err = self.fails(2, "restore", "--server=127.0.0.1:1", "a", "b")
        self.assertIn("data directories only", err)
        self.assertIn("running server holds its database", err)

    def test_errors_name_the_problem_and_exit_1(self):
        missing = os.path.join(self.tmp, "no-such-dir")
        self.assertIn(missing, self.fails(1, "stat", missing))
        err = self.fails(1, "get", self.data, "--table=permits", "no-such-key")
        self.assertIn("NOT_FOUND", err)
        err = self.fails(1, "get", self.data, "--table=nope", "k")
        self.assertIn("table 'nope': no such table; there are: permits", err)
        err = self.fails(1, "put", self.data, "--table=permits", '{"feeCents": "x"}')
        self.assertIn("INVALID_ARGUMENT: field fee_cents: ", err)

    # Reading.

    def test_stat_counts_records_and_indexes(self):
        stat = json.loads(self.on("stat", "--json").stdout)
        tables = {t["table"]: t for t in stat["tables"]}
        self.assertEqual(int(tables["permits"]["records"]), PERMITS)
        self.assertEqual(int(tables["processing_statuses"]["records"]),
                         PERMITS * STATUSES_PER_PERMIT)
        indexes = {i["name"]: i for i in tables["permits"]["indexes"]}
        self.assertEqual(int(indexes["by_permit_number"]["entries"]), PERMITS)
        self.assertEqual(indexes["by_issued"]["state"], "ready")
        self.assertGreater(int(stat["revision"]), 0)
        self.assertGreater(int(stat["map_used_bytes"]), 0)
        text = self.on("stat").stdout
        self.assertIn("table permits: %d records" % PERMITS, text)
        self.assertIn("index by_county_status: %d entries" % PERMITS, text)
        self.assertIn("revision: ", text)

    def test_verify_is_clean_and_changes_no_byte(self):
        before = tree_digest(self.data)
        out = self.on("verify").stdout
        self.assertIn("consistent: %d records" % (PERMITS * (1 + STATUSES_PER_PERMIT)), out)
        report = json.loads(self.on("verify", "--json", "--quiet").stdout)
        self.assertTrue(report["ok"])
        self.assertEqual(report["mismatches"], [])
        self.assertEqual(tree_digest(self.data), before)

    def test_reading_works_on_a_read_only_mount(self):
        """stat, verify, get, count, export and schema on a read-only bind
        mount of the directory, in a mount namespace of their own
        (unshare -m)."""
        script = ('mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && '
                  'touch "$1/probe" 2>/dev/null && exit 3; '
                  'for c in stat verify export schema; do "$2" $c "$1" --quiet >/dev/null || exit 1; done; '
                  '"$2" count "$1" --table=permits >/dev/null || exit 4; '
                  '"$2" get "$1" --table=permits permit-00007')
        r = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", self.data, LMDBAPI],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["uuid"], "permit-00007")

    def test_get_prints_the_record(self):
        record = json.loads(self.on("get", "--table=permits", "permit-00042").stdout)
        for field, value in permit(42).items():
            self.assertEqual(record[field], value, field)

    def test_list_filters_orders_and_limits(self):
        out = self.on("list", "--table=permits", '--filter=county = "Kings" AND status = APPROVED',
                      "--order_by=issued desc", "--limit=5").stdout
        got = self.lines(out)
        want = sorted((p for p in self.permits if p["county"] == "Kings"),
                      key=lambda p: p["issued"], reverse=True)[:5]
        self.assertEqual([r["issued"] for r in got], [p["issued"] for p in want])
        self.assertTrue(all(r["county"] == "Kings" for r in got))
        every = self.lines(self.on("list", "--table=permits", "--page_size=7").stdout)
        self.assertEqual(len(every), PERMITS)
        err = self.fails(1, "list", self.data, "--table=permits", "--filter=nosuch = 1")
        self.assertIn("nosuch", err)

    def test_count_counts_the_matches_and_explains_the_plan(self):
        kings = sum(1 for p in self.permits if p["county"] == "Kings")
        self.assertEqual(self.on("count", "--table=permits").stdout, "%d\n" % PERMITS)
        self.assertEqual(self.on("count", "--table=permits",
                                 '--filter=county = "Kings"').stdout, "%d\n" % kings)
        out = self.on("count", "--table=permits", '--filter=county = "Kings"',
                      "--explain").stdout.splitlines()
        self.assertEqual(out[0], str(kings))
        self.assertTrue(out[1].startswith("plan: index "), out)
        self.assertIn('county = "Kings"', out[1])
        self.assertEqual(self.on("count", "--table=permits",
                                 '--filter=county = "Nowhere"').stdout, "0\n")
        err = self.fails(1, "count", self.data, "--table=permits", "--filter=nosuch = 1")
        self.assertIn("INVALID_ARGUMENT", err)
        self.assertIn("nosuch", err)

    def test_parent_keeps_the_children_of_one_parent(self):
        children = self.lines(self.on("list", "--table=processing_statuses",
                                      "--parent=permit-00003").stdout)
        self.assertEqual(sorted(r["uuid"] for r in children),
                         ["status-00003-%d" % j for j in range(STATUSES_PER_PERMIT)])
        self.assertEqual(self.on("count", "--table=processing_statuses", "--parent=permit-00003",
                                 "--filter=stage = \"review\"").stdout, "1\n")
        self.assertEqual(self.on("count", "--table=processing_statuses",
                                 "--parent=no-such-permit").stdout, "0\n")
        err = self.fails(1, "list", self.data, "--table=permits", "--parent=permit-00003")
        self.assertIn("--parent: table permits has no parent", err)

    def test_schema_prints_the_recorded_proto(self):
        out = self.on("schema").stdout
        self.assertIn("message Permit {", out)
        self.assertIn("message ProcessingStatus {", out)
        self.assertIn("package lmdbapi.examples.permits;", out)

    # Writing.

    def test_put_get_delete(self):
        data = self.new_data_dir("crud")
        stored = json.loads(self.cli_ok("put", data, "--table=permits",
                                        json.dumps({"permitNumber": "X-1", "county": "NY"})).stdout)
        key = stored["uuid"]
        self.assertTrue(key)
        self.assertEqual(stored["revision"], "1")
        got = json.loads(self.cli_ok("get", data, "--table=permits", key).stdout)
        self.assertEqual(got, stored)
        stored["county"] = "Kings"
        updated = json.loads(self.cli_ok("put", data, "--table=permits", json.dumps(stored)).stdout)
        self.assertEqual(updated["county"], "Kings")
        self.assertEqual(updated["revision"], "2")
        child = json.loads(self.cli_ok("put", data, "--table=processing_statuses",
                                       json.dumps({"permitUuid": key, "stage": "intake"})).stdout)
        self.assertIn("deleted permits " + key,
                      self.cli_ok("delete", data, "--table=permits", key).stdout)
        self.assertIn("NOT_FOUND", self.fails(1, "get", data, "--table=permits", key))
        self.assertIn("NOT_FOUND", self.fails(1, "get", data, "--table=processing_statuses",
                                              child["uuid"]))
        err = self.fails(1, "put", data, "--table=processing_statuses",
                         json.dumps({"permitUuid": "nobody"}))
        self.assertIn("FAILED_PRECONDITION", err)

    def test_watch_follows_writes_and_replays_from_a_revision(self):
        data = self.new_data_dir("watched")
        watch = subprocess.Popen([LMDBAPI, "watch", data, "--table=permits", "--max_changes=2",
                                  '--filter=county = "NY"'],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)  # watching from now
        self.cli_ok("put", data, "--table=permits", json.dumps(permit(1, county="Kings")))
        self.cli_ok("put", data, "--table=permits", json.dumps(permit(2, county="NY")))
        self.cli_ok("delete", data, "--table=permits", "permit-00002")
        out, err = watch.communicate(timeout=30)
        self.assertEqual(watch.returncode, 0, err)
        changes = self.lines(out)
        self.assertEqual([c["type"] for c in changes], ["INSERT", "DELETE"])
        self.assertEqual(changes[0]["record"]["uuid"], "permit-00002")
        self.assertEqual(changes[1]["record"]["uuid"], "permit-00002")
        replay = self.lines(self.cli_ok("watch", data, "--table=permits", "--from_revision=1",
                                        "--max_changes=3").stdout)
        self.assertEqual([(c["type"], c["record"]["uuid"]) for c in replay],
                         [("INSERT", "permit-00001"), ("INSERT", "permit-00002"),
                          ("DELETE", "permit-00002")])

    # Bulk.

    def test_export_import_round_trip_gives_identical_records(self):
        copy = self.new_data_dir("copy")
        for table in ["permits", "processing_statuses"]:
            exported = self.export(self.data, "--table=" + table)
            self.assertEqual(len(exported.splitlines()),
                             PERMITS * (1 if table == "permits" else STATUSES_PER_PERMIT))
            out = self.cli_ok("import", copy, "--table=" + table, "-", input=exported).stdout
            self.assertIn("imported %d records into %s" % (len(exported.splitlines()), table), out)
            self.assertEqual(self.export(copy, "--table=" + table), exported)
        self.assertEqual(self.export(copy), self.export(self.data))
        self.assertIn("consistent", self.cli_ok("verify", copy, "--quiet").stdout)

    def test_binary_round_trip(self):
        copy = self.new_data_dir("binary_copy")
        path = os.path.join(self.tmp, "permits.bin")
        self.export(self.data, "--table=permits", "--format=binary", "--output=" + path)
        self.assertEqual(len(delimited_records(path)), PERMITS)
        self.cli_ok("import", copy, "--table=permits", "--format=binary", path)
        self.assertEqual(self.export(copy, "--table=permits"),
                         self.export(self.data, "--table=permits"))
        self.cli_ok("verify", copy, "--quiet")

    def test_export_of_all_tables_names_each_lines_table(self):
        lines = self.lines(self.export(self.data))
        self.assertEqual(len(lines), PERMITS * (1 + STATUSES_PER_PERMIT))
        self.assertEqual({line["table"] for line in lines}, {"permits", "processing_statuses"})
        first_child = next(i for i, l in enumerate(lines) if l["table"] != "permits")
        self.assertTrue(all(l["table"] == "permits" for l in lines[:first_child]))
        self.assertEqual(lines[0]["record"]["uuid"], "permit-00000")

    def bad_file(self, name):
        """20 permits; line 11's fee_cents is not a number."""
        records = [json.dumps(permit(1000 + i)) for i in range(20)]
        records[10] = json.dumps(permit(1010, feeCents="ten"))
        return self.write_file(name, "\n".join(records) + "\n")

    def test_a_bad_line_stores_exactly_the_lines_before_it(self):
        data = self.new_data_dir("bad_line")
        path = self.bad_file("bad.ndjson")
        err = self.fails(1, "import", data, "--table=permits", "--batch=4", path)
        self.assertIn("line 11: field fee_cents: ", err)
        stored = self.lines(self.export(data, "--table=permits"))
        self.assertEqual([r["uuid"] for r in stored],
                         ["permit-%05d" % (1000 + i) for i in range(10)])
        self.cli_ok("verify", data, "--quiet")

    def test_a_refused_record_stores_exactly_the_records_before_it(self):
        data = self.new_data_dir("refused")
        records = [permit(2000 + i) for i in range(12)]
        records[6]["permitNumber"] = records[2]["permitNumber"]  # unique index clash
        path = self.write_file("dup.ndjson", ndjson(records))
        err = self.fails(1, "import", data, "--table=permits", "--batch=5", path)
        self.assertIn("line 7", err)
        self.assertIn("ALREADY_EXISTS", err)
        stored = self.lines(self.export(data, "--table=permits"))
        self.assertEqual([r["uuid"] for r in stored], [r["uuid"] for r in records[:6]])

    def test_a_directory_without_a_database_says_how_to_make_one(self):
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty, exist_ok=True)
        err = self.fails(1, "import", empty, "--table=permits", self.bad_file("none.ndjson"))
        self.assertIn("NOT_FOUND", err)
        self.assertIn("'%s' holds no database" % empty, err)
        self.assertIn("server creates one when first started on the directory (--data_dir)", err)
        self.assertEqual(os.listdir(empty), [])

    def test_skip_bad_skips_refused_records_in_any_batch(self):
        data = self.new_data_dir("skip_refused")
        records = [permit(3000 + i) for i in range(12)]
        records[6]["permitNumber"] = records[2]["permitNumber"]  # batch 2 of 3
        records[10]["permitNumber"] = records[0]["permitNumber"]  # batch 3
        path = self.write_file("dups.ndjson", ndjson(records))
        r = self.cli_ok("import", data, "--table=permits", "--batch=5", "--skip_bad", path)
        self.assertIn("imported 10 records into permits, skipped 2", r.stdout)
        self.assertIn("skipped line 7: field 'permit_number'", r.stderr)
        self.assertIn("skipped line 11: field 'permit_number'", r.stderr)
        stored = [r["uuid"] for r in self.lines(self.export(data, "--table=permits"))]
        self.assertEqual(stored, [r["uuid"] for i, r in enumerate(records) if i not in (6, 10)])
        self.cli_ok("verify", data, "--quiet")

    def test_skip_bad_skips_and_reports_each_bad_line(self):
        data = self.new_data_dir("skip_bad")
        path = self.bad_file("skip.ndjson")
        with open(path, "a") as f:
            f.write("{not json\n")
        r = self.cli_ok("import", data, "--table=permits", "--batch=4", "--skip_bad", path)
        self.assertIn("imported 19 records into permits, skipped 2", r.stdout)
        self.assertIn("skipped line 11: field fee_cents: ", r.stderr)
        self.assertIn("skipped line 21: ", r.stderr)
        uuids = [r["uuid"] for r in self.lines(self.export(data, "--table=permits"))]
        self.assertEqual(uuids, ["permit-%05d" % (1000 + i) for i in range(20) if i != 10])

    def test_backup_and_restore(self):
        backup = os.path.join(self.tmp, "backup")
        out = self.on("backup", backup).stdout
        self.assertIn("records:", out)
        self.assertIn("permits=%d" % PERMITS, out)
        restored = os.path.join(self.tmp, "restored")
        out = self.cli_ok("restore", backup, restored).stdout
        self.assertIn("verified", out)
        self.assertEqual(self.export(restored), self.export(self.data))
        self.assertIn("ALREADY_EXISTS", self.fails(1, "restore", backup, restored))
        self.assertIn("ALREADY_EXISTS", self.fails(1, "backup", self.data, backup))

    def test_rebuild_an_index(self):
        data = os.path.join(self.tmp, "rebuilt")
        shutil.copytree(self.data, data)
        out = self.cli_ok("rebuild", data, "--table=permits", "--index=by_issued").stdout
        self.assertIn("rebuilt permits.by_issued", out)
        self.assertIn("consistent", self.cli_ok("verify", data, "--quiet").stdout)
        self.assertIn("NOT_FOUND", self.fails(1, "rebuild", data, "--table=permits",
                                              "--index=nosuch"))
        self.assertIn("--index needs --table", self.fails(2, "rebuild", data, "--index=by_issued"))

    # Progress.

    def big_file(self, records=20000):
        name = "big-%d.ndjson" % records
        path = os.path.join(self.tmp, name)
        if not os.path.exists(path):
            self.write_file(name, ndjson(permit(10000 + i) for i in range(records)))
        return path

    def test_progress_on_a_terminal_redraws_one_line(self):
        data = self.new_data_dir("progress_tty")
        # Long enough to redraw (every 100 ms) on any machine: 20,000 records
        # once imported in 0.1 s here, before the first redraw.
        out = self.under_pty([LMDBAPI, "import", data, "--table=permits", "--batch=200",
                              self.big_file(200000)])
        self.assertIn("\r", out)
        self.assertIn("\x1b[K", out)
        self.assertRegex(out, r"import permits  \[[#.]{20}\]  [0-9,]+/[0-9,]+  [0-9.]+k?/s  ETA ")
        self.assertRegex(out, r"\rimport permits: 200000 in [0-9.]+ s, [0-9]+/s\x1b\[K\n")

    def test_progress_when_piped_prints_plain_lines(self):
        data = self.new_data_dir("progress_pipe")
        r = self.cli_ok("import", data, "--table=permits", "--batch=200", self.big_file())
        self.assertNotIn("\r", r.stderr)
        self.assertNotIn("\x1b", r.stderr)
        self.assertRegex(r.stderr, r"(?m)^import permits: 20000 in [0-9.]+ s, [0-9]+/s$")
        for line in r.stderr.splitlines()[:-1]:
            self.assertRegex(line, r"^import permits: [0-9]+/[0-9]+ \([0-9]+%\), [0-9]+/s")
        err = self.cli_ok("export", data, "--table=permits", "--output=/dev/null").stderr
        self.assertRegex(err, r"(?m)^export permits: 20000 in ")
        self.assertEqual(self.cli_ok("export", data, "--quiet",
                                     "--output=/dev/null").stderr, "")

    def under_pty(self, argv):
        """argv's stderr (and stdout) through a pseudo-terminal."""
        master, slave = pty.openpty()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
        os.close(slave)
        out = b""
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        self.assertEqual(p.wait(timeout=60), 0, out)
        return out.decode().replace("\r\n", "\n")


if __name__ == "__main__":
    stack.main(argv=sys.argv[:1] + sys.argv[3:], verbosity=2)
