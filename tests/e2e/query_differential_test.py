#!/usr/bin/python3
"""Differential test of queries (issue 15) through gRPC and REST, on the real
customers server and gateway (tests/schemas/customers.proto: a repeated field
`tags`, a nested `address`, an enum, a double, an int64, a Timestamp, and
fields named `page_size` and `filter`).

Random records and random AIP-160 filter expressions (depth <= 3: AND, OR,
NOT / -, parentheses, every comparison, the has operator on tags, prefixes,
nested paths) with a random order_by are compared with a brute-force
evaluator written here:
- Count over gRPC and REST equals the evaluator's count;
- every page is walked (random page sizes 1..7, Filter or Paginate) over gRPC,
  and every 5th round over REST too, while one record is inserted and one
  deleted between pages: no record comes twice, each one returned matches,
  consecutive records are in order_by order (asc or desc: indexes read
  forward and backward), and every record that matched before the walk and
  was not touched during it is returned;
- an order_by no index serves with the filter is INVALID_ARGUMENT starting
  "order_by:" (counted; most rounds must be served).
Also bad input over REST (400 naming filter / the field / order_by), the
issue's REST example on permits (county NY, approved or pending, newest first,
through index by_county_status; its count), and the fan-out router over two
customers shards walking orders on the nested address.city, page sizes
changing from page to page.

The seed is printed first; LMDBAPI_QUERY_SEED=<n> replays a run,
LMDBAPI_QUERY_ROUNDS and LMDBAPI_QUERY_SECONDS bound it (100 rounds, 60 s).

    query_differential_test.py CUSTOMERS_SERVER CUSTOMERS_GATEWAY \
        PERMITS_SERVER PERMITS_GATEWAY GENERATED_ROOT

GENERATED_ROOT holds tests/schemas/customers_service.proto (the CMake build
directory; "." under Bazel).
"""
import datetime
import os
import random
import sys
import tempfile
import time
import unittest
import urllib.parse

import grpc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import stack  # noqa: E402

(CUSTOMERS_SERVER, CUSTOMERS_GATEWAY, PERMITS_SERVER, PERMITS_GATEWAY,
 GENERATED) = (os.path.abspath(a) for a in sys.argv[1:6])

SEED = int(os.environ.get("LMDBAPI_QUERY_SEED") or 1515)
ROUNDS = int(os.environ.get("LMDBAPI_QUERY_ROUNDS") or 100)
SECONDS = float(os.environ.get("LMDBAPI_QUERY_SECONDS") or 60)

NAMES = ["Ada", "Alan", "Bob", "Bea", "Cy"]
TAGS = ["vip", "new", "eu", "us", "v"]
CITIES = ["Oslo", "Lima", "Rome", ""]
TIERS = ["TIER_UNSPECIFIED", "BRONZE", "SILVER", "GOLD"]
BALANCES = [-1.5, 0.0, 2.5, 10.0]
FILTER_VALUES = ["", "x", "y"]


def q(text):
    return urllib.parse.quote(text, safe="")


def rfc3339(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def load_customer_stubs(out_dir):
    """(customers_pb2, customers_service_pb2, customers_service_pb2_grpc),
    compiled from the schema and the emitted service .proto, as
    stack.load_stubs does for permits."""
    from grpc_tools import protoc
    args = ["-I" + ROOT, "-I" + GENERATED, "-I" + stack.GOOGLEAPIS, "-I/usr/include",
            "--python_out=" + out_dir, "--grpc_python_out=" + out_dir]
    os.makedirs(out_dir, exist_ok=True)
    for proto in ["tests/schemas/customers.proto", "proto/lmdbapi/options.proto",
                  "google/api/annotations.proto", "google/api/http.proto",
                  "tests/schemas/customers_service.proto"]:
        if protoc.main(["protoc"] + args + [proto]) != 0:
            raise RuntimeError("protoc failed on " + proto)
    sys.path.insert(0, out_dir)
    import tests.schemas.customers_pb2 as messages  # noqa: E402
    import tests.schemas.customers_service_pb2 as service  # noqa: E402
    import tests.schemas.customers_service_pb2_grpc as stubs  # noqa: E402
    return messages, service, stubs


# Records as the evaluator sees them: a dict of plain values (an unset
# address reads as city "", an unset joined as second 0).

def from_proto(c):
    return {"uuid": c.uuid, "name": c.name, "tags": list(c.tags),
            "city": c.address.city, "has_address": c.HasField("address"),
            "tier": int(c.tier), "balance": c.balance, "points": c.points,
            "joined": c.joined.seconds, "page_size": c.page_size, "filter": c.filter}


def from_json(j):
    """A record of the REST answer (enums by name, int64 as strings,
    Timestamps in RFC 3339)."""
    address = j.get("address") or {}
    joined = j.get("joined")
    seconds = 0
    if joined:
        seconds = int(datetime.datetime.strptime(joined, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp())
    return {"uuid": j["uuid"], "name": j.get("name", ""), "tags": list(j.get("tags") or []),
            "city": address.get("city", ""), "has_address": bool(j.get("address")),
            "tier": TIERS.index(j.get("tier") or "TIER_UNSPECIFIED"),
            "balance": float(j.get("balance") or 0), "points": int(j.get("points") or 0),
            "joined": seconds, "page_size": int(j.get("page_size") or 0),
            "filter": j.get("filter", "")}


def random_fields(rng):
    """Keyword arguments of a random Customer (no uuid)."""
    fields = {"name": rng.choice(NAMES), "tier": rng.randrange(4),
              "balance": rng.choice(BALANCES), "points": rng.randrange(6),
              "tags": [rng.choice(TAGS) for _ in range(rng.choice([0, 0, 1, 1, 2, 3]))]}
    if rng.random() < 0.8:
        fields["joined"] = {"seconds": rng.randrange(5)}
    if rng.random() < 0.8:  # else no address at all
        fields["address"] = {"city": rng.choice(CITIES), "street": "1 Main"}
    if rng.random() < 0.3:
        fields["page_size"] = rng.randrange(4)
    if rng.random() < 0.3:
        fields["filter"] = rng.choice(FILTER_VALUES)
    return fields


def fields_to_json(f):
    j = {"name": f["name"], "tier": TIERS[f["tier"]], "balance": f["balance"],
         "points": str(f["points"]), "tags": f["tags"]}
    if "joined" in f:
        j["joined"] = rfc3339(f["joined"]["seconds"])
    if "address" in f:
        j["address"] = f["address"]
    for k in ("page_size", "filter"):
        if k in f:
            j[k] = f[k]
    return j


# Random expressions: (text, predicate).

OPS = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
       "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def quoted(s):
    return '"%s"' % s


class Generator:
    def __init__(self, rng, uuids):
        self.rng, self.uuids = rng, uuids  # uuids: a function, the live keys

    def atom(self):
        rng = self.rng
        kind = rng.choice(["name", "name", "tags", "tags", "city", "city", "tier", "tier",
                           "balance", "points", "joined", "page_size", "filter", "uuid"])
        op = rng.choice(list(OPS))
        if kind == "tags":
            value = rng.choice(TAGS + ["v*", "n*", "zz"])
            if value.endswith("*"):
                return "tags:" + quoted(value), lambda r, p=value[:-1]: any(
                    t.startswith(p) for t in r["tags"])
            return "tags:" + quoted(value), lambda r, v=value: v in r["tags"]
        if kind in ("name", "city", "filter"):
            field, key, vocab = {"name": ("name", "name", NAMES + ["B", "Az"]),
                                 "city": ("address.city", "city", CITIES + ["M"]),
                                 "filter": ("filter", "filter", FILTER_VALUES)}[kind]
            value = rng.choice(vocab)
            if kind != "filter" and value and rng.random() < 0.25:  # prefix
                prefix = value[:1]
                if rng.random() < 0.8:
                    return "%s = %s" % (field, quoted(prefix + "*")), \
                        lambda r, k=key, p=prefix: r[k].startswith(p)
                return "%s != %s" % (field, quoted(prefix + "*")), \
                    lambda r, k=key, p=prefix: not r[k].startswith(p)
            return "%s %s %s" % (field, op, quoted(value)), \
                lambda r, k=key, o=OPS[op], v=value: o(r[k], v)
        if kind == "tier":
            value = rng.randrange(4)
            return "tier %s %s" % (op, TIERS[value]), lambda r, o=OPS[op], v=value: o(r["tier"], v)
        if kind == "balance":
            value = rng.choice(BALANCES + [1.0])
            return "balance %s %s" % (op, repr(value)), \
                lambda r, o=OPS[op], v=value: o(r["balance"], v)
        if kind in ("points", "page_size"):
            value = rng.randrange(-1, 7) if kind == "points" else rng.randrange(4)
            return "%s %s %d" % (kind, op, value), \
                lambda r, k=kind, o=OPS[op], v=value: o(r[k], v)
        if kind == "joined":
            value = rng.randrange(6)
            return "joined %s %s" % (op, quoted(rfc3339(value))), \
                lambda r, o=OPS[op], v=value: o(r["joined"], v)
        live = sorted(self.uuids())
        value = rng.choice(live) if live else "0"
        return "uuid %s %s" % (op, quoted(value)), lambda r, o=OPS[op], v=value: o(r["uuid"], v)

    def one_of(self):
        """An OR of equalities on one field: several ranges of one index."""
        rng = self.rng
        field, values = rng.choice([
            ("tier", [(TIERS[t], t) for t in range(4)]),
            ("tags", [(quoted(t), t) for t in TAGS]),
            ("address.city", [(quoted(c), c) for c in CITIES]),
            ("name", [(quoted(n), n) for n in NAMES])])
        chosen = rng.sample(values, rng.choice([2, 2, 3]))
        sep = ":" if field == "tags" else " = "
        text = "(" + " OR ".join(field + sep + t for t, _ in chosen) + ")"
        wanted = [v for _, v in chosen]
        if field == "tags":
            return text, lambda r: any(t in r["tags"] for t in wanted)
        key = {"tier": "tier", "address.city": "city", "name": "name"}[field]
        return text, lambda r: r[key] in wanted

    def expr(self, depth):
        rng = self.rng
        if depth == 0 or rng.random() < 0.3:
            return self.one_of() if rng.random() < 0.2 else self.atom()
        kind = rng.choice(["AND", "AND", "OR", "OR", "NOT"])
        if kind == "NOT":
            text, pred = self.expr(depth - 1)
            neg = rng.choice(["NOT ", "-"])
            return "%s(%s)" % (neg, text), lambda r: not pred(r)
        (ta, pa), (tb, pb) = self.expr(depth - 1), self.expr(depth - 1)
        if kind == "AND":
            return "(%s AND %s)" % (ta, tb), lambda r: pa(r) and pb(r)
        return "(%s OR %s)" % (ta, tb), lambda r: pa(r) or pb(r)


# order_by: (text, [(record key, descending)], a clause that fixes the
# fields before the ordered ones, or None, with its predicate).
ORDER_KEYS = {"uuid": "uuid", "points": "points", "balance": "balance", "tier": "tier",
              "address.city": "city", "name": "name"}


def pick_order(rng):
    choice = rng.choice([
        "", "", "uuid", "uuid desc", "points", "points desc", "balance", "balance desc",
        "tier, balance", "tier desc, balance desc", "tier", "tier desc",
        "address.city, points", "address.city desc", "name"])
    fix = None
    if choice.startswith("points") and rng.random() < 0.8:
        city = rng.choice(CITIES)
        fix = ("address.city = " + quoted(city), lambda r, c=city: r["city"] == c)
    elif choice.startswith("balance") and rng.random() < 0.8:
        tier = rng.randrange(4)
        fix = ("tier = " + TIERS[tier], lambda r, t=tier: r["tier"] == t)
    keys = []
    for part in filter(None, (p.strip() for p in choice.split(","))):
        words = part.split()
        keys.append((ORDER_KEYS[words[0]], len(words) > 1 and words[1] == "desc"))
    return choice, keys, fix


def in_order(a, b, keys):
    """Whether record a may come right before b under order keys."""
    for key, desc in keys:
        if a[key] != b[key]:
            return (a[key] > b[key]) if desc else (a[key] < b[key])
    return True


class QueryDifferentialTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        print("query_differential_test: seed %d (LMDBAPI_QUERY_SEED=%d replays it)"
              % (SEED, SEED), file=sys.stderr)
        cls.tmpdir = tempfile.TemporaryDirectory()
        tmp = cls.tmpdir.name
        cls.procs = stack.Processes(tmp)
        cls.m, cls.s, stubs = load_customer_stubs(os.path.join(tmp, "stubs"))
        try:
            grpc_port, cls.rest_port = cls.procs.server_and_gateway(
                "customers", CUSTOMERS_SERVER, CUSTOMERS_GATEWAY)
            cls.permits_grpc, cls.permits_rest = cls.procs.server_and_gateway(
                "permits", PERMITS_SERVER, PERMITS_GATEWAY)
        except BaseException:
            cls.procs.stop_all()
            raise
        cls.channel = grpc.insecure_channel("127.0.0.1:%d" % grpc_port)
        cls.stub = stubs.CustomersStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        try:
            cls.procs.stop_all_cleanly()
        finally:
            cls.tmpdir.cleanup()

    def rest(self, path, port=None):
        return stack.rest(port or self.rest_port, "GET", path)

    # Writes, over gRPC or REST; self.live is what the server holds.

    def insert(self, rng, over_rest=False):
        fields = random_fields(rng)
        if over_rest:
            code, body = stack.rest(self.rest_port, "POST", "/api/customers",
                                    fields_to_json(fields))
            self.assertEqual(code, 200, body)
            record = from_json(body)
        else:
            record = from_proto(self.stub.Insert(self.s.InsertCustomerRequest(
                customer=self.m.Customer(**fields)), timeout=10))
        self.live[record["uuid"]] = self.ever[record["uuid"]] = record
        return record

    def delete(self, rng, over_rest=False):
        if not self.live:
            return None
        uuid = rng.choice(sorted(self.live))
        if over_rest:
            code, body = stack.rest(self.rest_port, "DELETE", "/api/customers/" + uuid)
            self.assertEqual(code, 200, body)
        else:
            self.stub.Delete(self.s.DeleteCustomerRequest(uuid=uuid), timeout=10)
        del self.live[uuid]
        return uuid

    # One walk over every page.

    def fetch_page(self, over_rest, paginate, text, order, size, token):
        """(records, next token, plan) of one page, or the RpcError /
        (status, body) of a refusal as an exception."""
        if over_rest:
            path = "/api/customers" + ("" if paginate else "/filter")
            path += "?filter=%s&order_by=%s&page_size=%d" % (q(text), q(order), size)
            if token:
                path += "&page_token=" + q(token)
            code, body = self.rest(path)
            if code != 200:
                raise RestError(code, body)
            return ([from_json(j) for j in body.get("customers") or []],
                    body.get("next_page_token", ""), body.get("plan", ""))
        request = (self.s.PaginateCustomersRequest if paginate else self.s.FilterCustomersRequest)(
            filter=text, order_by=order, page_size=size, page_token=token)
        call = self.stub.Paginate if paginate else self.stub.Filter
        page = call(request, timeout=10)
        return [from_proto(c) for c in page.customers], page.next_page_token, page.plan

    def walk(self, rng, text, pred, order, keys, over_rest):
        paginate = rng.random() < 0.3
        expected = {u for u, r in self.live.items() if pred(r)}
        touched, seen, got, sizes, plans = set(), set(), [], [], []
        token, first = "", True
        where = lambda: ("%s walk (%s): filter %r order_by %r page sizes %s plans %s" % (
            "REST" if over_rest else "gRPC", "Paginate" if paginate else "Filter",
            text, order, sizes, sorted(set(plans))))
        while first or token:
            if not first:  # change the table between pages
                touched.add(self.insert(rng, over_rest)["uuid"])
                gone = self.delete(rng, over_rest)
                if gone:
                    touched.add(gone)
            first = False
            size = rng.randint(1, 7)
            sizes.append(size)
            records, token, plan = self.fetch_page(over_rest, paginate, text, order, size, token)
            plans.append(plan)
            self.assertLessEqual(len(records), size, where())
            for r in records:
                self.assertNotIn(r["uuid"], seen, "returned twice: %s; %s" % (r, where()))
                seen.add(r["uuid"])
                self.assertTrue(pred(r), "does not match: %s; %s" % (r, where()))
                self.assertEqual(r, self.ever.get(r["uuid"]), "not as written; " + where())
                if got and keys:
                    self.assertTrue(in_order(got[-1], r, keys),
                                    "out of order: %s then %s; %s" % (got[-1], r, where()))
                got.append(r)
            self.assertLess(len(sizes), 2000, where())
        missing = expected - touched - seen
        self.assertFalse(missing, "matched and untouched, never returned: %s; %s" % (
            sorted(missing), where()))
        return len(sizes)

    def count(self, text, pred):
        want = sum(1 for r in self.live.values() if pred(r))
        got = self.stub.Count(self.s.CountCustomersRequest(filter=text), timeout=10)
        self.assertEqual(got.count, want, "gRPC Count of %r (plan %s)" % (text, got.plan))
        code, body = self.rest("/api/customers/count?filter=" + q(text))
        self.assertEqual(code, 200, (text, body))
        self.assertEqual(int(body["count"]), want, "REST Count of %r (plan %s)" % (
            text, body.get("plan")))

    def test_random_queries_match_brute_force(self):
        rng = random.Random(SEED)
        self.live, self.ever = {}, {}
        for _ in range(120):
            self.insert(rng)
        gen = Generator(rng, lambda: self.live.keys())
        served = refused = pages = rest_walks = 0
        deadline = time.time() + SECONDS
        rounds = 0
        while rounds < ROUNDS and time.time() < deadline:
            rounds += 1
            text, pred = gen.expr(rng.randint(0, 3))
            if rng.random() < 0.1:
                text, pred = "", (lambda r: True)
            order, keys, fix = pick_order(rng)
            if fix:
                (ft, fp), (t0, p0) = fix, (text, pred)
                text = "%s AND %s" % (ft, t0) if t0 else ft
                pred = lambda r, a=fp, b=p0: a(r) and b(r)  # noqa: E731
            # Servable whatever the filter: no order, the key, an index's
            # whole key order, or its ordered fields after a fixed one.
            servable = order != "name" and (fix or not order.startswith(("points", "balance")))
            with self.subTest(round=rounds, filter=text, order_by=order):
                self.count(text, pred)
                try:
                    pages += self.walk(rng, text, pred, order, keys, over_rest=False)
                except grpc.RpcError as e:
                    if (e.code() != grpc.StatusCode.INVALID_ARGUMENT
                            or not e.details().startswith("order_by:") or servable):
                        raise AssertionError("filter %r order_by %r: %s %s" % (
                            text, order, e.code(), e.details()))
                    refused += 1
                    # REST refuses it the same way.
                    code, body = self.rest("/api/customers/filter?filter=%s&order_by=%s" % (
                        q(text), q(order)))
                    self.assertEqual(code, 400, body)
                    self.assertTrue(body["message"].startswith("order_by:"), body)
                    continue
                served += 1
                if rounds % 5 == 0:
                    rest_walks += 1
                    pages += self.walk(rng, text, pred, order, keys, over_rest=True)
        print("query_differential_test: seed %d: %d rounds, %d served (%d REST walks, %d "
              "pages), %d order_by refused, %d records at the end"
              % (SEED, rounds, served, rest_walks, pages, refused, len(self.live)),
              file=sys.stderr)
        self.assertGreaterEqual(rounds, 10)
        self.assertGreater(served, 0.4 * rounds, "too few order_by served")
        self.assertGreater(refused, 0, "no unservable order_by tried")

    # Bad input over REST.

    def bad(self, path, starts, words):
        code, body = self.rest(path)
        self.assertEqual((code, body.get("status")), (400, "INVALID_ARGUMENT"), (path, body))
        self.assertTrue(body["message"].startswith(starts), (path, body))
        for word in words:
            self.assertIn(word, body["message"], (path, body))

    def test_bad_filters_and_orders_over_rest(self):
        for route in ("/api/customers/filter?filter=", "/api/customers/count?filter=",
                      "/api/customers?filter="):
            # Does not parse: the position and what was expected.
            self.bad(route + q('name = '), "filter:", ("column 8",))
            self.bad(route + q('(tier = GOLD'), "filter:", ("column",))
            self.bad(route + q('name = "Ada" AND AND'), "filter:", ("column",))
            # Unknown fields, at the top and in a nested message.
            self.bad(route + q('nope = 1'), "filter:", ("nope",))
            self.bad(route + q('address.planet = "Mars"'), "filter:", ("planet",))
            # An operator the field's type does not support names the field.
            self.bad(route + q('tags < "a"'), "filter:", ("tags",))
            self.bad(route + q('name:"Ada"'), "filter:", ("name",))
            self.bad(route + q('points = "many"'), "filter:", ("points",))
        for order in ("name", "points desc", "tier, balance desc", "nope"):
            self.bad("/api/customers/filter?order_by=" + q(order), "order_by:", ())
        self.bad("/api/customers/filter?filter=%s&order_by=%s" % (
            q('tags:"vip"'), q("balance desc")), "order_by:", ())

    # The issue's REST example on permits, as a user types it.

    def test_issue_example_on_permits(self):
        made = {}
        n = 0
        for county, status, day in [("NY", "APPROVED", 3), ("NY", "PENDING", 5),
                                    ("NY", "REJECTED", 4), ("NY", "APPROVED", 1),
                                    ("NJ", "APPROVED", 6), ("NY", "PENDING", 2),
                                    ("NY", "EXPIRED", 7)]:
            n += 1
            code, body = stack.rest(self.permits_rest, "POST", "/api/permits", {
                "client": "Diff", "county": county, "status": status,
                "permit_number": "DIFF-%d" % n,
                "issued": "2024-01-%02dT00:00:00Z" % day})
            self.assertEqual(code, 200, body)
            made[body["uuid"]] = (county, status, day)
        code, body = self.rest(
            "/api/permits/filter?filter=county%3D%22NY%22%20AND%20(status%3DAPPROVED%20OR%20"
            "status%3DPENDING)&order_by=issued%20desc", port=self.permits_rest)
        self.assertEqual(code, 200, body)
        want = sorted((u for u, (c, s, _) in made.items()
                       if c == "NY" and s in ("APPROVED", "PENDING")),
                      key=lambda u: -made[u][2])
        self.assertEqual([p["uuid"] for p in body["permits"]], want, body)
        self.assertIn("by_county_status", body["plan"])
        code, body = self.rest("/api/permits/count?filter=county%3D%22NY%22",
                               port=self.permits_rest)
        self.assertEqual(code, 200, body)
        self.assertEqual(int(body["count"]), sum(1 for c, _, _ in made.values() if c == "NY"),
                         body)


class RouterMergeTest(unittest.TestCase):
    """The fan-out router over two customers shards: its merge of the
    shards' pages reads each record's order key off its bytes, and parses
    the few fields it needs where the order names a nested field
    (address.city, index by_city), which the permits schema has not."""

    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.TemporaryDirectory()
        tmp = cls.tmpdir.name
        cls.procs = stack.Processes(tmp)
        cls.m, cls.s, stubs = load_customer_stubs(os.path.join(tmp, "stubs"))
        cls.channels = []
        try:
            shard_ports = [cls.procs.server("shard%d" % i, CUSTOMERS_SERVER, "--max_page_size=4")[1]
                           for i in range(2)]
            _, router_port = cls.procs.router("router", CUSTOMERS_SERVER, shard_ports)
        except BaseException:
            cls.procs.stop_all()
            raise
        cls.shards = []
        for port in shard_ports:
            cls.channels.append(grpc.insecure_channel("127.0.0.1:%d" % port))
            cls.shards.append(stubs.CustomersStub(cls.channels[-1]))
        cls.channels.append(grpc.insecure_channel("127.0.0.1:%d" % router_port))
        cls.router = stubs.CustomersStub(cls.channels[-1])

    @classmethod
    def tearDownClass(cls):
        for channel in cls.channels:
            channel.close()
        try:
            cls.procs.stop_all_cleanly()
        finally:
            cls.tmpdir.cleanup()

    def test_router_pages_of_changing_sizes_follow_a_nested_order_once_each(self):
        rng = random.Random(SEED)
        held = {}
        for i in range(60):
            record = from_proto(self.shards[i % 2].Insert(self.s.InsertCustomerRequest(
                customer=self.m.Customer(**random_fields(rng))), timeout=10))
            held[record["uuid"]] = record
        for order, keys, text, pred in [
                ("address.city, points", [("city", False), ("points", False)], "", None),
                ("address.city desc", [("city", True)], "", None),
                ("points desc", [("points", True)], 'address.city = "Oslo"',
                 lambda r: r["city"] == "Oslo")]:
            want = {u for u, r in held.items() if pred is None or pred(r)}
            got, token, sizes = [], "", []
            while True:
                sizes.append(rng.randint(1, 7))
                page = self.router.Filter(self.s.FilterCustomersRequest(
                    filter=text, order_by=order, page_size=sizes[-1], page_token=token),
                    timeout=10)
                got += [from_proto(c) for c in page.customers]
                token = page.next_page_token
                if not token:
                    break
                self.assertLess(len(sizes), 500, order)
            where = "order_by %r filter %r page sizes %s" % (order, text, sizes)
            for r in got:
                self.assertEqual(r, held.get(r["uuid"]), "not as stored; " + where)
            # Once each (page sizes change between pages, as AIP-158 allows).
            self.assertEqual(sorted(r["uuid"] for r in got), sorted(want), where)
            for a, b in zip(got, got[1:]):
                self.assertTrue(in_order(a, b, keys), "out of order: %s then %s; %s" % (
                    a, b, where))


class RestError(Exception):
    def __init__(self, code, body):
        super().__init__("HTTP %d %s" % (code, body))
        self.code, self.body = code, body


if __name__ == "__main__":
    stack.main(argv=sys.argv[:1], verbosity=2)
