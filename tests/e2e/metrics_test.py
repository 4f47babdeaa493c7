#!/usr/bin/python3
"""Metrics end to end: the real server (with --auth_token) and its gateway
take a known load over gRPC and REST, then GET /metrics on the gateway (no
token) must count it exactly:

- lmdbapi_requests_total by service, method and code (OK, INVALID_ARGUMENT,
  NOT_FOUND, UNAUTHENTICATED), and nothing else of the tables;
- latency histograms whose _count equals the calls, with monotonic buckets;
- LMDB gauges (used <= map <= limit, readers_max = --max_readers), records
  per table, and the writer's counters moved by exactly the writes made;
- the gateway's own HTTP counters by route pattern and status;
- lmdbapi.admin.v1.Admin/Metrics answers without the token, Backup does not;
- with the server stopped, /metrics still answers: lmdbapi_up 0 and the
  gateway's own metrics;
- the Grafana dashboard (deploy/grafana/lmdbapi.json) queries only metrics
  the scrape has;
- the server's threads carry the names of their jobs (lmdb-writer,
  answer-queue, ...), which top -H, perf and bench/bulk show.

Usage: metrics_test.py SERVER_BINARY GATEWAY_BINARY GENERATED_ROOT
GENERATED_ROOT holds proto/examples/permits_service.proto.
"""
import json
import os
import re
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import stack  # noqa: E402
import grpc  # noqa: E402

SERVER, GATEWAY, GENERATED = sys.argv[1], sys.argv[2], sys.argv[3]
del sys.argv[1:4]
TOKEN = "metrics-test-token"
AUTH = [("authorization", "Bearer " + TOKEN)]
MAX_READERS = 127  # not the default 512: the gauge must follow the flag

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def thread_names(pid):
    """The names of the process's live threads (what top -H and perf show)."""
    task = "/proc/%d/task" % pid
    return sorted(open(os.path.join(task, tid, "comm")).read().strip()
                  for tid in os.listdir(task))


def parse(text):
    """{(name, ((label, value), ...) sorted): float} of every sample line."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError("not a sample line: %r" % line)
        labels = tuple(sorted(LABEL.findall(m.group(2) or "")))
        key = (m.group(1), labels)
        if key in samples:
            raise AssertionError("sample twice: %r" % line)
        samples[key] = float(m.group(3))
    return samples


def pick(samples, name, **labels):
    """{labels dict: value} of the samples of `name` having `labels`."""
    out = {}
    for (n, ls), value in samples.items():
        d = dict(ls)
        if n == name and all(d.get(k) == v for k, v in labels.items()):
            out[tuple(sorted(d.items()))] = value
    return out


def one(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def http(method, url, body=None, token=True):
    """(status, content type, body text)."""
    request = urllib.request.Request(url, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + TOKEN)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        tmp = cls.tmp.name
        stubs = os.path.join(tmp, "stubs")
        os.makedirs(stubs)
        cls.m, cls.s, grpc_stubs = stack.load_stubs(GENERATED, stubs)
        admin, admin_grpc = stack.load_admin(stubs)
        cls.procs = stack.Processes(tmp)
        cls.server, server_port = cls.procs.server(
            "server", os.path.abspath(SERVER), "--auth_token=" + TOKEN,
            "--max_readers=%d" % MAX_READERS, data_dir=os.path.join(tmp, "data"))
        cls.gateway = None
        try:
            cls.gateway, gateway_port = cls.procs.gateway(
                "gateway", os.path.abspath(GATEWAY), server_port, "-backend_wait=500ms")
            cls.base = "http://127.0.0.1:%d" % gateway_port
            with grpc.insecure_channel("127.0.0.1:%d" % server_port) as channel:
                cls.run_load(grpc_stubs.PermitsStub(channel), admin, admin_grpc.AdminStub(channel))
            cls.thread_names = thread_names(cls.server.pid)
        except BaseException:
            cls.tearDownClass()
            raise
        finally:
            cls.server_exit = cls.procs.stop(cls.server)
        # The server is gone: the gateway still answers, with lmdbapi_up 0.
        started = time.time()
        cls.down = http("GET", cls.base + "/metrics", token=False)
        cls.down_seconds = time.time() - started

    @classmethod
    def run_load(cls, permits, admin, admin_stub):
        m, s = cls.m, cls.s
        cls.before = http("GET", cls.base + "/metrics", token=False)

        def permit(i):
            return m.Permit(client="Acme", county="NY" if i % 2 else "CA",
                            county_status="Active", status=m.PENDING)

        stored = [permits.Insert(s.InsertPermitRequest(permit=permit(i)), metadata=AUTH).uuid
                  for i in range(12)]
        for _ in range(3):  # no permit: INVALID_ARGUMENT
            with_code(grpc.StatusCode.INVALID_ARGUMENT,
                      lambda: permits.Insert(s.InsertPermitRequest(), metadata=AUTH))
        for i in range(8):
            status, _, body = http("POST", cls.base + "/api/permits",
                                   {"client": "Acme", "county": "TX", "county_status": "Active"})
            assert status == 200, body
            stored.append(json.loads(body)["uuid"])
        for i in range(15):
            permits.Get(s.GetPermitRequest(uuid=stored[i]), metadata=AUTH)
        for i in range(3):
            with_code(grpc.StatusCode.NOT_FOUND,
                      lambda: permits.Get(s.GetPermitRequest(uuid="missing-%d" % i), metadata=AUTH))
        for i in range(10):
            status, _, body = http("GET", cls.base + "/api/permits/" + stored[19 - i])
            assert status == 200, body
        for i in range(2):
            status, _, body = http("GET", cls.base + "/api/permits/missing-rest-%d" % i)
            assert status == 404, body
        for _ in range(2):  # no token: UNAUTHENTICATED, still counted
            with_code(grpc.StatusCode.UNAUTHENTICATED,
                      lambda: permits.Get(s.GetPermitRequest(uuid=stored[0])))
        for _ in range(2):
            status, _, body = http("GET", cls.base + "/api/permits/filter?county=TX")
            assert status == 200 and len(json.loads(body)["permits"]) == 8, body
        # Refused by the gateway itself: the server never sees it.
        status, _, body = http("GET", cls.base + "/api/permits/filter?no_such_field=1")
        assert status == 400, body
        with_code(grpc.StatusCode.INVALID_ARGUMENT,
                  lambda: permits.Filter(s.FilterPermitsRequest(page_token="forged"), metadata=AUTH))

        # Admin: Metrics is open, Backup wants the token.
        cls.direct = admin_stub.Metrics(admin.MetricsRequest()).text
        cls.backup_refused = with_code(grpc.StatusCode.UNAUTHENTICATED,
                                       lambda: admin_stub.Backup(admin.BackupRequest(name="x")))
        admin_stub.Backup(admin.BackupRequest(name="with-token"), metadata=AUTH)

        cls.after = http("GET", cls.base + "/metrics", token=False)

    @classmethod
    def tearDownClass(cls):
        cls.procs.kill(cls.server)
        if cls.gateway is not None:
            cls.procs.stop(cls.gateway)
        cls.tmp.cleanup()

    def scrape(self, reply):
        status, content_type, body = reply
        self.assertEqual(status, 200, body)
        self.assertTrue(content_type.startswith("text/plain; version=0.0.4"), content_type)
        return parse(body)

    def test_requests_are_counted_by_method_and_code(self):
        before, after = self.scrape(self.before), self.scrape(self.after)
        self.assertEqual(pick(before, "lmdbapi_requests_total", service="Permits"), {})
        counts = {(dict(k)["method"], dict(k)["code"]): v
                  for k, v in pick(after, "lmdbapi_requests_total").items()
                  if dict(k)["service"] != "Admin"}
        self.assertEqual(counts, {
            ("Insert", "OK"): 20, ("Insert", "INVALID_ARGUMENT"): 3,
            ("Get", "OK"): 25, ("Get", "NOT_FOUND"): 5, ("Get", "UNAUTHENTICATED"): 2,
            ("Filter", "OK"): 2, ("Filter", "INVALID_ARGUMENT"): 1,
        })
        # The admin calls too: Metrics is recorded after it renders (the
        # first scrape and the direct call), Backup with and without token.
        admin = {(dict(k)["method"], dict(k)["code"]): v
                 for k, v in pick(after, "lmdbapi_requests_total", service="Admin").items()}
        self.assertEqual(admin, {("Metrics", "OK"): 2, ("Backup", "UNAUTHENTICATED"): 1,
                                 ("Backup", "OK"): 1})

    def test_histograms_count_every_call_in_monotonic_buckets(self):
        after = self.scrape(self.after)
        calls = {}
        for k, v in pick(after, "lmdbapi_requests_total").items():
            d = dict(k)
            calls[(d["service"], d["method"])] = calls.get((d["service"], d["method"]), 0) + v
        counts = {(dict(k)["service"], dict(k)["method"]): v
                  for k, v in pick(after, "lmdbapi_request_duration_seconds_count").items()}
        self.assertEqual(counts, calls)
        for (service, method), count in counts.items():
            buckets = pick(after, "lmdbapi_request_duration_seconds_bucket",
                           service=service, method=method)
            by_le = sorted((float(dict(k)["le"]), v) for k, v in buckets.items())
            self.assertEqual(len(by_le), 15)
            self.assertEqual(by_le[-1], (float("inf"), count))
            values = [v for _, v in by_le]
            self.assertEqual(values, sorted(values), "%s.%s: %s" % (service, method, by_le))
            total = one(after, "lmdbapi_request_duration_seconds_sum", service=service, method=method)
            self.assertGreater(total, 0)
            self.assertLess(total, 60)

    def test_lmdb_and_table_figures_are_sane(self):
        after = self.scrape(self.after)
        used = one(after, "lmdbapi_lmdb_used_bytes")
        size = one(after, "lmdbapi_lmdb_map_size_bytes")
        self.assertGreater(used, 0)
        self.assertLessEqual(used, size)
        self.assertEqual(size, 1 << 30)  # the default 1 GiB map
        self.assertEqual(one(after, "lmdbapi_lmdb_map_limit_bytes"), 16 << 30)
        self.assertEqual(one(after, "lmdbapi_lmdb_page_size_bytes"), 4096)
        self.assertEqual(one(after, "lmdbapi_lmdb_readers_max"), MAX_READERS)
        self.assertGreaterEqual(one(after, "lmdbapi_lmdb_readers_in_use"), 1)
        self.assertLessEqual(one(after, "lmdbapi_lmdb_readers_in_use"), MAX_READERS)
        self.assertEqual(one(after, "lmdbapi_table_records", table="permits"), 20)
        self.assertEqual(one(after, "lmdbapi_table_records", table="processing_statuses"), 0)
        self.assertGreaterEqual(one(after, "lmdbapi_table_pages", table="permits", database="permits"), 1)
        self.assertGreaterEqual(
            one(after, "lmdbapi_table_pages", table="permits", database="permits.idx.main_composite"), 1)
        before = self.scrape(self.before)
        self.assertEqual(one(before, "lmdbapi_table_records", table="permits"), 0)
        self.assertGreater(one(after, "lmdbapi_lmdb_last_txn_id"), one(before, "lmdbapi_lmdb_last_txn_id"))

    def test_writer_counters_moved_by_the_writes(self):
        before, after = self.scrape(self.before), self.scrape(self.after)

        def moved(name):
            return one(after, name) - one(before, name)
        self.assertEqual(moved("lmdbapi_writer_writes_total"), 20)
        self.assertGreaterEqual(moved("lmdbapi_writer_commits_total"), 1)
        self.assertLessEqual(moved("lmdbapi_writer_commits_total"), 20)
        self.assertGreater(moved("lmdbapi_writer_commit_seconds_total"), 0)  # durable: fsyncs
        self.assertGreater(moved("lmdbapi_writer_apply_seconds_total"), 0)
        self.assertGreaterEqual(one(after, "lmdbapi_writer_last_batch_size"), 1)
        self.assertEqual(one(after, "lmdbapi_writer_map_growths_total"), 0)

    def test_gateway_counts_http_requests_by_route_pattern(self):
        after = self.scrape(self.after)
        self.assertEqual(one(after, "lmdbapi_up"), 1)
        counts = {(dict(k)["method"], dict(k)["route"], dict(k)["code"]): v
                  for k, v in pick(after, "lmdbapi_gateway_http_requests_total").items()}
        self.assertEqual(counts, {
            ("POST", "/api/permits", "200"): 8,
            ("GET", "/api/permits/{uuid}", "200"): 10,
            ("GET", "/api/permits/{uuid}", "404"): 2,
            ("GET", "/api/permits/filter", "200"): 2,
            ("GET", "/api/permits/filter", "400"): 1,
            ("GET", "/metrics", "200"): 1,  # the scrape before the load
        })
        for (method, route) in {(m, r) for m, r, _ in counts}:
            total = sum(v for (m, r, _), v in counts.items() if (m, r) == (method, route))
            self.assertEqual(one(after, "lmdbapi_gateway_http_request_duration_seconds_count",
                                 method=method, route=route), total)
            buckets = pick(after, "lmdbapi_gateway_http_request_duration_seconds_bucket",
                           method=method, route=route)
            values = [v for _, v in sorted((float(dict(k)["le"]), v) for k, v in buckets.items())]
            self.assertEqual(values, sorted(values))
            self.assertEqual(values[-1], total)

    def test_admin_metrics_is_open_and_backup_is_not(self):
        self.assertIn("lmdbapi_requests_total{", self.direct)
        self.assertIn("lmdbapi_lmdb_map_size_bytes", self.direct)
        self.assertNotIn("lmdbapi_gateway_", self.direct)  # the server's own text
        self.assertIn("bearer token", self.backup_refused.details())

    def test_dashboard_queries_name_metrics_that_exist(self):
        with open(os.path.join(ROOT, "deploy", "grafana", "lmdbapi.json")) as f:
            dashboard = json.load(f)
        exprs = []

        def walk(node):
            if isinstance(node, dict):
                for key, value in node.items():
                    if key in ("expr", "definition") and isinstance(value, str):
                        exprs.append(value)
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)
        walk(dashboard)
        self.assertGreater(len(exprs), 10)
        names = {name for name, _ in self.scrape(self.after)}
        for expr in exprs:
            for metric in re.findall(r"lmdbapi_[a-z_]+", expr):
                self.assertIn(metric, names, expr)

    def test_server_threads_are_named_by_their_job(self):
        # docs/SERVER.md, "Threads": an operator's top -H and perf tell
        # the writer from the answering thread and the sync thread.
        for name in ("lmdb-writer", "answer-queue", "commit-sync", "change-feed"):
            self.assertIn(name, self.thread_names)
        self.assertEqual(1, self.thread_names.count("lmdb-writer"), self.thread_names)

    def test_metrics_answer_without_the_server(self):
        self.assertEqual(self.server_exit, 0)
        down = self.scrape(self.down)
        self.assertEqual(one(down, "lmdbapi_up"), 0)
        self.assertEqual(pick(down, "lmdbapi_requests_total"), {})
        self.assertEqual(one(down, "lmdbapi_gateway_http_requests_total",
                             method="GET", route="/metrics", code="200"), 2)
        self.assertIn("# the lmdbapi server's metrics are missing: UNAVAILABLE", self.down[2])
        self.assertLess(self.down_seconds, 5)


def with_code(code, call):
    """Runs call(), which must fail with `code`; returns the RpcError."""
    try:
        call()
    except grpc.RpcError as e:
        if e.code() != code:
            raise AssertionError("got %s (%s), want %s" % (e.code(), e.details(), code))
        return e
    raise AssertionError("the call succeeded; want %s" % code)


if __name__ == "__main__":
    stack.main()
