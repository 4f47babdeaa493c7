#!/usr/bin/python3
"""Identities and the access policy end to end, on the real server and
gateway: JWTs signed here (RS256 and ES256, with the `openssl` CLI) against
a --jwks_file, the static --auth_token, and an --auth_policy with a
read-only role on permits:

- the reader reads permits over gRPC and REST, and is refused
  (PERMISSION_DENIED / 403 naming the permission) every write, every other
  table and the admin calls; a refused write, commit or import writes
  nothing (read back);
- the writer's ES256 token writes; the static token (identity "token") is
  bound to an admin role and backs up;
- no token, an expired token and a wrongly signed one are UNAUTHENTICATED /
  401 with WWW-Authenticate, saying what is wrong without quoting the token;
- health and Admin/Metrics stay open;
- a policy naming a permission that does not exist stops the server at
  start, naming the file and the field; a changed policy file is read again
  while the server runs (one that does not parse is kept out).

    access_test.py SERVER GATEWAY BUILD_DIR
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import stack  # noqa: E402

SERVER, GATEWAY, BUILD = (os.path.abspath(a) for a in sys.argv[1:4])
del sys.argv[1:4]
STATIC_TOKEN = "access-test-static-token"
ISSUER, AUDIENCE = "https://issuer.test", "lmdbapi-test"
POLICY = {
    "roles": [
        {"name": "reader", "grants": [{"tables": ["permits"], "permissions": ["read"]}]},
        {"name": "writer", "grants": [{"tables": ["*"], "permissions": ["read", "write"]}]},
        {"name": "operator", "grants": [{"tables": ["*"], "permissions": ["admin"]}]},
    ],
    "bindings": [
        {"subject": "svc-reports", "roles": ["reader"]},
        {"claim": "groups=ingest", "roles": ["writer"]},
        {"subject": "token", "roles": ["writer", "operator"]},
    ],
}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, capture_output=True,
                          check=True).stdout


def der_ecdsa_to_raw(der):
    """An ASN.1 SEQUENCE of two INTEGERs (openssl's ECDSA signature) as the
    JWS r||s of 32 bytes each."""
    assert der[0] == 0x30
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        out += der[i + 2:i + 2 + n].lstrip(b"\0").rjust(32, b"\0")
        i += 2 + n
    return out


class Key:
    """A key pair made with `openssl genpkey`, its JWK, and JWTs it signs."""

    def __init__(self, tmp, kid, alg):
        self.kid, self.alg = kid, alg
        self.pem = os.path.join(tmp, kid + ".pem")
        if alg == "RS256":
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", self.pem)
            modulus = openssl("rsa", "-in", self.pem, "-noout", "-modulus").decode()
            n = bytes.fromhex(modulus.strip().split("=", 1)[1])
            self.jwk = {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
                        "n": b64url(n), "e": b64url((65537).to_bytes(3, "big"))}
        else:
            openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-out", self.pem)
            point = openssl("pkey", "-in", self.pem, "-pubout", "-outform", "DER")[-65:]
            assert point[0] == 4
            self.jwk = {"kty": "EC", "crv": "P-256", "kid": kid,
                        "x": b64url(point[1:33]), "y": b64url(point[33:])}

    def sign(self, claims, alg=None):
        header = {"typ": "JWT", "alg": alg or self.alg, "kid": self.kid}
        signed = (b64url(json.dumps(header).encode()) + "." +
                  b64url(json.dumps(claims).encode()))
        signature = openssl("dgst", "-sha256", "-sign", self.pem, data=signed.encode())
        if self.alg == "ES256":
            signature = der_ecdsa_to_raw(signature)
        return signed + "." + b64url(signature)


def claims(sub, ttl=300, **more):
    now = int(time.time())
    return dict({"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now, "exp": now + ttl}, **more)


def bearer(token):
    return [("authorization", "Bearer " + token)]


class AccessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp_keys = tempfile.TemporaryDirectory()
        tmp = cls.tmp_keys.name
        cls.rsa, cls.ec = Key(tmp, "rsa-1", "RS256"), Key(tmp, "ec-1", "ES256")
        cls.jwks = os.path.join(tmp, "jwks.json")
        with open(cls.jwks, "w") as f:
            json.dump({"keys": [cls.rsa.jwk, cls.ec.jwk]}, f)
        cls.policy = os.path.join(tmp, "policy.json")
        with open(cls.policy, "w") as f:
            json.dump(POLICY, f)
        cls.reader = cls.rsa.sign(claims("svc-reports"))
        cls.writer = cls.ec.sign(claims("ingest-1", groups=["ingest", "other"]))
        cls.flags = ["--auth_token=" + STATIC_TOKEN, "--jwks_file=" + cls.jwks,
                     "--jwt_issuer=" + ISSUER, "--jwt_audience=" + AUDIENCE,
                     "--auth_policy=" + cls.policy]
        stack.PermitsStack.start(cls, BUILD, SERVER, GATEWAY, *cls.flags)
        admin, admin_grpc = stack.load_admin(os.path.join(cls.tmpdir.name, "stubs"))
        cls.admin_pb, cls.admin = admin, admin_grpc.AdminStub(cls.channel)
        cls.tx = cls.stubs.TransactionsStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        stack.PermitsStack.stop(cls)
        cls.tmp_keys.cleanup()

    # Helpers.
    def refused(self, code, call, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as e:
            call(*args, **kwargs)
        self.assertEqual(e.exception.code(), code, e.exception.details())
        for token in (self.reader, self.writer, STATIC_TOKEN):
            self.assertNotIn(token, e.exception.details())
        return e.exception.details()

    def count(self, client):
        request = self.s.CountPermitsRequest()
        request.client.value = client
        return self.permits.Count(request, metadata=bearer(self.writer)).count

    def rest(self, method, path, body=None, token=None):
        headers = {"Authorization": "Bearer " + token} if token else {}
        return stack.rest(self.rest_port, method, path, body, headers=headers, with_headers=True)

    # gRPC.
    def test_reader_reads_permits_and_nothing_else(self):
        p = self.permits.Insert(self.s.InsertPermitRequest(
            permit=self.m.Permit(client="ReadMe", county="NY")), metadata=bearer(self.writer))
        got = self.permits.Get(self.s.GetPermitRequest(uuid=p.uuid), metadata=bearer(self.reader))
        self.assertEqual(got, p)
        self.assertEqual(self.count("ReadMe"), 1)
        request = self.s.FilterPermitsRequest()
        request.client.value = "ReadMe"
        page = self.permits.Filter(request, metadata=bearer(self.reader))
        self.assertEqual([r.uuid for r in page.permits], [p.uuid])
        details = self.refused(grpc.StatusCode.PERMISSION_DENIED, self.statuses.Filter,
                               self.s.FilterProcessingStatusesRequest(),
                               metadata=bearer(self.reader))
        self.assertEqual(details, "identity 'svc-reports' (role 'reader') lacks read on "
                                  "table 'processing_statuses'")
        details = self.refused(grpc.StatusCode.PERMISSION_DENIED, self.admin.Stat,
                               self.admin_pb.StatRequest(), metadata=bearer(self.reader))
        self.assertIn("lacks admin on every table", details)

    def test_streams_and_admin_calls_check_their_table(self):
        self.permits.Insert(self.s.InsertPermitRequest(
            permit=self.m.Permit(client="Exported", county="NY")), metadata=bearer(self.writer))
        exported = list(self.permits.Export(self.s.ExportPermitsRequest(
            filter='client = "Exported"'), metadata=bearer(self.reader), timeout=30))
        self.assertEqual(sum(len(m.records) for m in exported), 1)
        self.assertIn("lacks read on table 'processing_statuses'", self.refused(
            grpc.StatusCode.PERMISSION_DENIED,
            lambda: list(self.statuses.Export(self.s.ExportProcessingStatusesRequest(),
                                              metadata=bearer(self.reader), timeout=30))))
        self.assertIn("lacks read on table 'processing_statuses'", self.refused(
            grpc.StatusCode.PERMISSION_DENIED,
            lambda: next(self.statuses.Watch(self.s.WatchProcessingStatusesRequest(),
                                             metadata=bearer(self.reader), timeout=30))))
        self.assertEqual(self.refused(
            grpc.StatusCode.PERMISSION_DENIED, self.admin.Rebuild,
            self.admin_pb.RebuildRequest(table="permits"), metadata=bearer(self.reader)),
            "identity 'svc-reports' (role 'reader') lacks admin on table 'permits'")

    def test_refused_writes_write_nothing(self):
        tag = "RefusedWrite"
        details = self.refused(grpc.StatusCode.PERMISSION_DENIED, self.permits.Insert,
                               self.s.InsertPermitRequest(permit=self.m.Permit(client=tag)),
                               metadata=bearer(self.reader))
        self.assertEqual(details, "identity 'svc-reports' (role 'reader') lacks write on "
                                  "table 'permits'")
        self.refused(grpc.StatusCode.PERMISSION_DENIED, self.permits.BatchInsert,
                     self.s.BatchInsertPermitsRequest(permits=[self.m.Permit(client=tag)]),
                     metadata=bearer(self.reader))
        self.refused(grpc.StatusCode.PERMISSION_DENIED, self.tx.Commit, self.s.CommitRequest(
            writes=[self.s.CommitWrite(insert_permit=self.s.InsertPermitRequest(
                permit=self.m.Permit(client=tag)))]), metadata=bearer(self.reader))
        self.refused(grpc.StatusCode.PERMISSION_DENIED, self.permits.Import,
                     iter([self.s.ImportPermitsRequest(records=[self.m.Permit(client=tag)])]),
                     metadata=bearer(self.reader), timeout=30)
        self.refused(grpc.StatusCode.UNAUTHENTICATED, self.permits.Insert,
                     self.s.InsertPermitRequest(permit=self.m.Permit(client=tag)))
        self.assertEqual(self.count(tag), 0)
        # The writer's token (bound by its groups claim) may.
        self.permits.Insert(self.s.InsertPermitRequest(permit=self.m.Permit(client=tag)),
                            metadata=bearer(self.writer))
        self.assertEqual(self.count(tag), 1)

    def test_bad_tokens_are_unauthenticated_saying_why(self):
        get = self.s.CountPermitsRequest()
        expired = self.rsa.sign(claims("svc-reports", ttl=-120))
        self.assertIn("expired", self.refused(
            grpc.StatusCode.UNAUTHENTICATED, self.permits.Count, get, metadata=bearer(expired)))
        head, body, _ = self.reader.split(".")
        forged = head + "." + b64url(json.dumps(claims("svc-admin")).encode()) + "." + \
            self.reader.split(".")[2]
        self.assertIn("signature is not valid", self.refused(
            grpc.StatusCode.UNAUTHENTICATED, self.permits.Count, get, metadata=bearer(forged)))
        other_issuer = self.rsa.sign(dict(claims("svc-reports"), iss="https://evil.test"))
        self.assertIn("issuer", self.refused(
            grpc.StatusCode.UNAUTHENTICATED, self.permits.Count, get,
            metadata=bearer(other_issuer)))
        self.assertIn("requires a bearer token", self.refused(
            grpc.StatusCode.UNAUTHENTICATED, self.permits.Count, get))

    def test_static_token_is_identity_token_with_its_roles(self):
        answer = self.admin.Backup(self.admin_pb.BackupRequest(name="by-token"),
                                   metadata=bearer(STATIC_TOKEN))
        self.assertTrue(answer.path.endswith("by-token"))
        self.assertEqual(self.refused(
            grpc.StatusCode.PERMISSION_DENIED, self.admin.Backup,
            self.admin_pb.BackupRequest(name="by-writer"), metadata=bearer(self.writer)),
            "identity 'ingest-1' (role 'writer') lacks admin on every table ('*')")

    def test_health_and_metrics_stay_open(self):
        check = self.channel.unary_unary("/grpc.health.v1.Health/Check")
        self.assertEqual(check(b"", timeout=10), b"\x08\x01")  # SERVING
        self.assertIn("lmdbapi_", self.admin.Metrics(self.admin_pb.MetricsRequest()).text)

    # REST, through the gateway.
    def test_rest_refusals(self):
        status, body, headers = self.rest("POST", "/api/permits", {"client": "RestRefused"})
        self.assertEqual(status, 401, body)
        self.assertEqual(headers.get("WWW-Authenticate"), 'Bearer realm="lmdbapi"')
        status, body, _ = self.rest("POST", "/api/permits", {"client": "RestRefused"},
                                    token=self.reader)
        self.assertEqual(status, 403, body)
        self.assertIn("lacks write on table 'permits'", json.dumps(body))
        status, body, headers = self.rest("GET", "/api/permits/count",
                                          token=self.rsa.sign(claims("svc-reports", ttl=-300)))
        self.assertEqual(status, 401, body)
        self.assertIn("expired", json.dumps(body))
        self.assertEqual(headers.get("WWW-Authenticate"), 'Bearer realm="lmdbapi"')
        self.assertEqual(self.count("RestRefused"), 0)
        status, body, _ = self.rest("GET", "/api/permits/count", token=self.reader)
        self.assertEqual(status, 200, body)
        status, body, _ = self.rest("POST", "/api/permits", {"client": "RestAllowed"},
                                    token=self.writer)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.count("RestAllowed"), 1)

    # Start-up.
    def test_policy_file_is_reread_when_it_changes(self):
        def reader_reads_statuses():
            try:
                self.statuses.Filter(self.s.FilterProcessingStatusesRequest(),
                                     metadata=bearer(self.reader))
                return True
            except grpc.RpcError as e:
                self.assertEqual(e.code(), grpc.StatusCode.PERMISSION_DENIED)
                return False

        def write_policy(text):  # replaced whole, as a ConfigMap update does
            with open(self.policy + ".new", "w") as f:
                f.write(text)
            os.replace(self.policy + ".new", self.policy)

        def within(seconds, want):
            deadline = time.time() + seconds
            while reader_reads_statuses() != want and time.time() < deadline:
                time.sleep(0.1)
            return reader_reads_statuses() == want

        self.assertFalse(reader_reads_statuses())
        wider = json.loads(json.dumps(POLICY))
        wider["roles"][0]["grants"][0]["tables"].append("processing_statuses")
        try:
            write_policy(json.dumps(wider))
            self.assertTrue(within(5, True), "the wider policy was not read")
            write_policy("{ not json")  # kept out: the wider one stays
            time.sleep(1.5)
            self.assertTrue(reader_reads_statuses())
        finally:
            write_policy(json.dumps(POLICY))
        self.assertTrue(within(5, False), "the original policy was not read back")

    def test_bad_policy_stops_the_server_naming_file_and_field(self):
        bad = os.path.join(self.tmp_keys.name, "bad-policy.json")
        with open(bad, "w") as f:
            json.dump({"roles": [{"name": "r", "grants": [
                {"tables": ["permits"], "permissions": ["reed"]}]}]}, f)
        data = os.path.join(self.tmp_keys.name, "never")
        run = subprocess.run([SERVER, "--listen=127.0.0.1:0", "--data_dir=" + data,
                              "--auth_policy=" + bad], capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertIn(bad, run.stderr)
        self.assertIn("roles[0].grants[0].permissions[0]: 'reed' is not a permission", run.stderr)
        self.assertFalse(os.path.exists(data))


if __name__ == "__main__":
    stack.main()
