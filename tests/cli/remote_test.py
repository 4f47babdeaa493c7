#!/usr/bin/python3
"""`lmdbapi` against a live server (--server): the reflection subcommands
(list-services, describe, call) and the record subcommands (get, put,
delete, list, watch, schema), with a bearer token (and refused without it),
and over TLS (a certificate made with openssl for 127.0.0.1).

Usage: remote_test.py LMDBAPI_BINARY SERVER_BINARY
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
TOKEN = "remote-test-token"
PERMITS = "lmdbapi.examples.permits.Permits"


class Lmdbapi:
    """Runs `lmdbapi SUBCOMMAND --server=ADDR [connection flags] ARGS`."""

    def __init__(self, port, *flags):
        self.server = "--server=127.0.0.1:%d" % port
        self.flags = list(flags)

    def run(self, command, *args, stdin=None, flags=None):
        argv = [LMDBAPI, command, self.server] + (
            self.flags if flags is None else flags) + list(args)
        return subprocess.run(argv, input=stdin, capture_output=True, text=True,
                              timeout=60)

    def ok(self, command, *args, **kwargs):
        r = self.run(command, *args, **kwargs)
        if r.returncode != 0:
            raise AssertionError("lmdbapi %s %s: exit %d\n%s" % (
                command, " ".join(args), r.returncode, r.stderr))
        return r.stdout

    def lines(self, command, *args, **kwargs):
        return [json.loads(line) for line in
                self.ok(command, *args, **kwargs).splitlines() if line.strip()]

    def popen(self, command, *args):
        return subprocess.Popen([LMDBAPI, command, self.server] + self.flags +
                                list(args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)


class RemoteTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="remote_test.")
        cls.procs = stack.Processes(cls.tmp)
        _, port = cls.procs.server("server", SERVER, "--auth_token=" + TOKEN)
        cls.cli = Lmdbapi(port, "--token=" + TOKEN)
        cls.no_token = Lmdbapi(port)

    @classmethod
    def tearDownClass(cls):
        cls.procs.stop_all_cleanly()

    def insert(self, **permit):
        return json.loads(self.cli.ok(
            "call", PERMITS + "/Insert", json.dumps({"permit": permit})))

    # Reflection.

    def test_list_services_names_every_service(self):
        services = self.cli.ok("list-services").split()
        for name in (PERMITS, "lmdbapi.examples.permits.ProcessingStatuses",
                     "lmdbapi.admin.v1.Admin",
                     "grpc.reflection.v1alpha.ServerReflection"):
            self.assertIn(name, services)

    def test_describe_prints_services_methods_and_messages_as_proto(self):
        service = self.cli.ok("describe", PERMITS)
        self.assertIn("service Permits {", service)
        self.assertIn("rpc Get(.lmdbapi.examples.permits.GetPermitRequest)", service)
        method = self.cli.ok("describe", "Permits/Filter")
        self.assertTrue(method.startswith("rpc Filter("), method)
        self.assertEqual(method, self.cli.ok("describe", PERMITS + ".Filter"))
        message = self.cli.ok("describe", "lmdbapi.examples.permits.Permit")
        self.assertIn("message Permit {", message)
        self.assertIn('collection: "permits"', message)  # lmdbapi's options
        self.assertIn("enum PermitStatus {",
                      self.cli.ok("describe", "lmdbapi.examples.permits.PermitStatus"))
        everything = self.cli.ok("describe")
        self.assertIn("service Admin {", everything)
        self.assertIn("service Transactions {", everything)

    def test_describe_unknown_name_is_an_error_naming_it(self):
        r = self.cli.run("describe", "lmdbapi.examples.permits.Nothing")
        self.assertEqual(r.returncode, 1)
        self.assertIn("lmdbapi.examples.permits.Nothing", r.stderr)

    # call

    def test_call_unary_prints_the_response_as_json(self):
        stored = self.insert(permitNumber="C-1", feeCents="1250", status="APPROVED")
        self.assertTrue(stored["uuid"])
        self.assertEqual(stored["feeCents"], "1250")
        self.assertEqual(stored["status"], "APPROVED")
        got = json.loads(self.cli.ok("call", "Permits/Get",
                                     json.dumps({"uuid": stored["uuid"]})))
        self.assertEqual(got, stored)

    def test_call_reads_the_request_from_stdin(self):
        stored = self.insert(permitNumber="C-stdin")
        got = json.loads(self.cli.ok("call", PERMITS + "/Get", "-",
                                     stdin=json.dumps({"uuid": stored["uuid"]})))
        self.assertEqual(got["permitNumber"], "C-stdin")
        got = json.loads(self.cli.ok("call", PERMITS + "/Get",
                                     stdin=json.dumps({"uuid": stored["uuid"]})))
        self.assertEqual(got["uuid"], stored["uuid"])

    def test_call_server_streaming_prints_one_json_a_line(self):
        first = self.insert(permitNumber="W-1")
        second = self.insert(permitNumber="W-2")
        watch = self.cli.popen("call", PERMITS + "/Watch", json.dumps({
            "start_revision": first["revision"],
            "filter": {"filter": 'permit_number = "W-*"'}}))
        try:
            changes = [json.loads(watch.stdout.readline()) for _ in range(2)]
        finally:
            watch.kill()
            watch.communicate()
        self.assertEqual([c["type"] for c in changes], ["INSERTED", "INSERTED"])
        self.assertEqual([c["permit"]["uuid"] for c in changes],
                         [first["uuid"], second["uuid"]])

    def test_call_with_bad_json_names_the_field(self):
        r = self.cli.run("call", PERMITS + "/Insert",
                         '{"permit": {"feeCents": "lots"}}')
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("INVALID_ARGUMENT", r.stderr)
        self.assertIn("fee_cents", r.stderr.replace("feeCents", "fee_cents"))
        r = self.cli.run("call", PERMITS + "/Insert", '{"permit": {"colour": "red"}}')
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("colour", r.stderr)
        r = self.cli.run("call", PERMITS + "/Insert", '{"permit": ')
        self.assertEqual(r.returncode, 2, r.stderr)

    def test_call_of_an_unknown_method_or_service_says_what_there_is(self):
        r = self.cli.run("call", PERMITS + "/Fetch", "{}")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no method 'Fetch'", r.stderr)
        self.assertIn("Insert", r.stderr)  # the methods it has
        r = self.cli.run("call", "lmdbapi.examples.permits.Nothing/Get", "{}")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not served", r.stderr)
        self.assertIn(PERMITS, r.stderr)  # the services there are
        r = self.cli.run("call", "Permits", "{}")
        self.assertEqual(r.returncode, 2)
        self.assertIn("SERVICE/METHOD", r.stderr)

    def test_call_passes_the_servers_error_on(self):
        r = self.cli.run("call", PERMITS + "/Get", '{"uuid": "no-such-record"}')
        self.assertEqual(r.returncode, 1)
        self.assertIn("NOT_FOUND", r.stderr)
        self.assertIn("Permits/Get", r.stderr)

    # The bearer token.

    def test_without_the_token_the_server_refuses(self):
        for argv in (["list-services"], ["describe", PERMITS],
                     ["call", PERMITS + "/Count", "{}"],
                     ["get", "--table=permits", "x"]):
            r = self.no_token.run(*argv)
            self.assertEqual(r.returncode, 1, argv)
            self.assertIn("UNAUTHENTICATED", r.stderr, argv)
        r = self.cli.run("list-services", flags=["--token=wrong"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("UNAUTHENTICATED", r.stderr)

    # The record subcommands.

    def test_put_get_list_delete(self):
        put = self.cli.lines("put", "--table=permits", json.dumps(
            {"permitNumber": "R-1", "county": "Kings", "feeCents": "10"}))[0]
        key = put["uuid"]
        self.assertTrue(key)
        self.assertEqual(self.cli.lines("get", "--table=permits", key)[0], put)
        # put with a stored key replaces the record
        put["feeCents"] = "20"
        replaced = self.cli.lines("put", "--table=permits", json.dumps(put))[0]
        self.assertEqual(replaced["uuid"], key)
        self.assertEqual(replaced["feeCents"], "20")
        self.assertGreater(int(replaced["revision"]), int(put["revision"]))
        # put with a new key inserts under it
        chosen = self.cli.lines("put", "--table=permits", json.dumps(
            {"uuid": "chosen-key-1", "permitNumber": "R-2", "county": "Kings"}))[0]
        self.assertEqual(chosen["uuid"], "chosen-key-1")
        listed = self.cli.lines("list", "--table=permits",
                                '--filter=county = "Kings"', "--order_by=uuid")
        self.assertEqual(sorted(r["uuid"] for r in listed), sorted([key, "chosen-key-1"]))
        self.assertEqual(len(self.cli.lines("list", "--table=permits",
                                            '--filter=county = "Kings"', "--limit=1")), 1)
        self.cli.ok("delete", "--table=permits", key)
        r = self.cli.run("get", "--table=permits", key)
        self.assertEqual(r.returncode, 1)
        self.assertIn("NOT_FOUND", r.stderr)

    def test_list_follows_pages_until_the_limit(self):
        for i in range(7):
            self.insert(permitNumber="PG-%d" % i, county="Paged")
        every = self.cli.lines("list", "--table=permits", '--filter=county = "Paged"',
                               "--page_size=2")
        self.assertEqual(sorted(r["permitNumber"] for r in every),
                         ["PG-%d" % i for i in range(7)])
        some = self.cli.lines("list", "--table=permits", '--filter=county = "Paged"',
                              "--page_size=2", "--limit=5")
        self.assertEqual(len(some), 5)

    def test_count_asks_the_servers_count(self):
        for i in range(3):
            self.insert(permitNumber="CT-%d" % i, county="Counted")
        self.assertEqual(self.cli.ok("count", "--table=permits",
                                     '--filter=county = "Counted"'), "3\n")
        out = self.cli.ok("count", "--table=permits", '--filter=county = "Counted"',
                          "--explain").splitlines()
        self.assertEqual(out[0], "3")
        self.assertTrue(out[1].startswith("plan: index "), out)
        r = self.cli.run("count", "--table=permits", "--filter=colour = 1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("INVALID_ARGUMENT", r.stderr)
        self.assertIn("colour", r.stderr)

    def test_list_of_a_child_table(self):
        parent = self.insert(permitNumber="P-parent")
        status = self.cli.lines("put", "--table=processing_statuses", json.dumps(
            {"permitUuid": parent["uuid"], "stage": "intake"}))[0]
        listed = self.cli.lines("list", "--table=processing_statuses",
                                '--filter=permit_uuid = "%s"' % parent["uuid"])
        self.assertEqual([r["uuid"] for r in listed], [status["uuid"]])
        by_parent = self.cli.lines("list", "--table=processing_statuses",
                                   "--parent=" + parent["uuid"])
        self.assertEqual([r["uuid"] for r in by_parent], [status["uuid"]])
        self.assertEqual(self.cli.ok("count", "--table=processing_statuses",
                                     "--parent=" + parent["uuid"]), "1\n")
        r = self.cli.run("count", "--table=permits", "--parent=" + parent["uuid"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("--parent: table permits has no parent", r.stderr)

    def test_bad_input_names_the_table_or_field(self):
        r = self.cli.run("get", "--table=nothing", "x")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("nothing", r.stderr)
        self.assertIn("permits", r.stderr)  # the tables there are
        r = self.cli.run("put", "--table=permits", '{"feeCents": "many"}')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("fee_cents", r.stderr.replace("feeCents", "fee_cents"))
        r = self.cli.run("list", "--table=permits", "--filter=colour = 1")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("INVALID_ARGUMENT", r.stderr)

    def test_watch_prints_changes_from_a_revision(self):
        first = self.insert(permitNumber="WW-1", county="Watched")
        self.insert(permitNumber="WW-2", county="Watched")
        changes = self.cli.lines("watch", "--table=permits",
                                 '--filter=county = "Watched"',
                                 "--from_revision=" + first["revision"],
                                 "--max_changes=2")
        self.assertEqual(len(changes), 2)
        text = json.dumps(changes)
        self.assertIn("WW-1", text)
        self.assertIn("WW-2", text)
        self.assertIn("INSERT", text)

    def test_schema_is_the_servers_schema_as_proto(self):
        schema = self.cli.ok("schema")
        self.assertIn("package lmdbapi.examples.permits;", schema)
        self.assertIn("message Permit {", schema)
        self.assertIn("message ProcessingStatus {", schema)
        self.assertIn('collection: "permits"', schema)


def make_certificate(tmp):
    """A self-signed certificate for 127.0.0.1 and localhost: (cert, key)."""
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="remote_tls_test.")
        cls.procs = stack.Processes(cls.tmp)
        cls.cert, key = make_certificate(cls.tmp)
        _, cls.port = cls.procs.server("tls-server", SERVER, "--tls_cert=" + cls.cert,
                                       "--tls_key=" + key)

    @classmethod
    def tearDownClass(cls):
        cls.procs.stop_all_cleanly()

    def test_tls_with_the_servers_ca(self):
        cli = Lmdbapi(self.port, "--tls", "--ca_file=" + self.cert)
        self.assertIn(PERMITS, cli.ok("list-services").split())
        stored = json.loads(cli.ok("call", PERMITS + "/Insert",
                                   '{"permit": {"permitNumber": "T-1"}}'))
        self.assertEqual(cli.lines("get", "--table=permits", stored["uuid"])[0], stored)

    def test_plaintext_or_an_unknown_ca_fails(self):
        r = Lmdbapi(self.port).run("list-services")
        self.assertEqual(r.returncode, 1)
        self.assertIn("UNAVAILABLE", r.stderr)
        other, _ = make_certificate(tempfile.mkdtemp(dir=self.tmp))
        r = Lmdbapi(self.port, "--tls", "--ca_file=" + other).run("list-services")
        self.assertEqual(r.returncode, 1)
        self.assertIn("UNAVAILABLE", r.stderr)

    def test_an_unreadable_ca_file_names_the_flag(self):
        r = Lmdbapi(self.port, "--tls", "--ca_file=/nonexistent.pem").run("list-services")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--ca_file", r.stderr)
        self.assertIn("/nonexistent.pem", r.stderr)


if __name__ == "__main__":
    stack.main()
