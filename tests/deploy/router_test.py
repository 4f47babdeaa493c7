#!/usr/bin/python3
"""Three shards (server + gateway each), the fan-out router (server --shards
+ its gateway) and nginx with the configuration deploy/router/gen-nginx-conf
writes, all on loopback ports: permits of several counties go in through
nginx over gRPC and REST, land on their county's shard only, and are found
again through nginx by key, by filter and by a cross-shard paginate that
returns each exactly once, in order.

    router_test.py SERVER GATEWAY BUILD_DIR
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

import grpc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import stack  # noqa: E402

SERVER, GATEWAY, BUILD = (os.path.abspath(a) for a in sys.argv[1:4])
GEN = os.path.join(ROOT, "deploy", "router", "gen-nginx-conf")
# county -> shard; "TX" is in no map: it must be refused.
KEYS = {"shard-0": ["NY", "NJ"], "shard-1": ["CA"], "shard-2": ["WA", "FL"]}
COUNTIES = [k for keys in KEYS.values() for k in keys]
SHARD_OF = {k: s for s, keys in KEYS.items() for k in keys}


def start_class(cls):
    """A test class's processes: cls.tmpdir, cls.procs, then
    cls.start_all(tmp); everything stopped if that fails."""
    cls.tmpdir = tempfile.TemporaryDirectory()
    tmp = cls.tmpdir.name
    os.chmod(tmp, 0o755)  # nginx's workers run as nobody
    cls.procs = stack.Processes(tmp)
    try:
        cls.start_all(tmp)
    except BaseException:
        cls.procs.stop_all()
        cls.tmpdir.cleanup()
        raise


def stop_class(cls):
    """Closes cls.channels, stops cls.procs; every lmdbapi process must drain
    and exit 0 on SIGTERM."""
    # An open idle channel (Python's) holds a server's drain to its 10 s limit.
    for channel in cls.channels:
        channel.close()
    codes = cls.procs.stop_all()
    cls.tmpdir.cleanup()
    bad = {n: c for n, c in codes.items() if c != 0 and not n.startswith("nginx")}
    if bad:
        raise AssertionError(f"processes did not stop cleanly: {bad}")


class RouterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        start_class(cls)

    @classmethod
    def start_all(cls, tmp):
        os.makedirs(os.path.join(tmp, "stubs"))
        cls.messages, cls.service, stubs = stack.load_stubs(
            BUILD, os.path.join(tmp, "stubs"))
        cls.Stub, cls.stubs = stubs.PermitsStub, stubs
        cls.shards = {}  # name -> (grpc port, rest port)
        for tag, name in enumerate(KEYS):
            # Shards page in 5s: the merge crosses their pages. Each stamps
            # the keys it makes with its place among the router's --shards.
            cls.shards[name] = cls.procs.server_and_gateway(
                name, SERVER, GATEWAY, "--shard_key=county", "--max_page_size=5",
                "--shard_tag=%d" % tag)
        cls.router, fan_grpc = cls.procs.router(
            "fanout", SERVER, [g for g, _ in cls.shards.values()])
        _, fan_rest = cls.procs.gateway("fanout-gateway", GATEWAY, fan_grpc)
        cls.nginx, cls.grpc_ports, cls.channels = {}, {}, []
        for mode in ("upstreams", "resolver"):
            shard_map = {
                "listen": {"grpc": f"127.0.0.1:{stack.free_port()}",
                           "rest": f"127.0.0.1:{stack.free_port()}"},
                "shards": {name: {"grpc": f"127.0.0.1:{g}", "rest": f"127.0.0.1:{r}",
                                  "keys": KEYS[name]}
                           for name, (g, r) in cls.shards.items()},
                "fanout": {"grpc": f"127.0.0.1:{fan_grpc}", "rest": f"127.0.0.1:{fan_rest}"},
                "run_dir": os.path.join(tmp, "nginx-" + mode),
                "worker_processes": 1,
            }
            if mode == "resolver":  # addresses are literal: never asked
                shard_map["resolver"] = "127.0.0.1 valid=10s"
            os.makedirs(shard_map["run_dir"], mode=0o777)
            os.chmod(shard_map["run_dir"], 0o777)
            map_file = os.path.join(tmp, mode + ".json")
            conf = os.path.join(tmp, mode + ".conf")
            with open(map_file, "w") as f:
                json.dump(shard_map, f)
            subprocess.run([sys.executable, GEN, map_file, "--out", conf], check=True)
            grpc_port = int(shard_map["listen"]["grpc"].rsplit(":", 1)[1])
            rest_port = int(shard_map["listen"]["rest"].rsplit(":", 1)[1])
            cls.procs.nginx("nginx-" + mode, conf, tmp, rest_port)
            channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
            cls.channels.append(channel)
            grpc.channel_ready_future(channel).result(timeout=10)
            cls.nginx[mode] = (cls.Stub(channel), rest_port)
            cls.grpc_ports[mode] = grpc_port
        cls.permits, cls.rest_port = cls.nginx["upstreams"]
        # A router that also reads the shard map: a listing that fixes the
        # county asks that county's shard alone.
        _, keyed_port = cls.procs.router(
            "keyed-fanout", SERVER, [g for g, _ in cls.shards.values()],
            "--shard_key=county", "--shard_map=" + os.path.join(tmp, "upstreams.json"))
        keyed = grpc.insecure_channel(f"127.0.0.1:{keyed_port}")
        cls.channels.append(keyed)
        cls.keyed = cls.Stub(keyed)
        _, cls.keyed_rest = cls.procs.gateway("keyed-fanout-gateway", GATEWAY, keyed_port)
        direct = [grpc.insecure_channel(f"127.0.0.1:{g}") for g, _ in cls.shards.values()]
        cls.channels += direct
        cls.direct = {name: cls.Stub(channel) for name, channel in zip(cls.shards, direct)}
        cls.stored = cls.insert_through_nginx()

    @classmethod
    def tearDownClass(cls):
        stop_class(cls)

    @classmethod
    def insert_through_nginx(cls):
        """60 permits: 5 counties x 12, half over gRPC and half over REST."""
        stored = {}
        P = cls.messages.Permit
        for i in range(60):
            county = COUNTIES[i % len(COUNTIES)]
            client = "Acme" if i % 3 else "Globex"
            if i % 2 == 0:
                permit = cls.permits.Insert(
                    cls.service.InsertPermitRequest(permit=P(
                        client=client, county=county, status=1 + i % 4,
                        permit_number=f"P-{i:03}", fee_cents=i)),
                    metadata=[("x-shard-key", county)], timeout=10)
                stored[permit.uuid] = permit
            else:
                code, body = stack.rest(cls.rest_port, "POST", "/api/permits", {
                    "client": client, "county": county, "status": 1 + i % 4,
                    "permit_number": f"P-{i:03}", "fee_cents": str(i)}, key=county)
                assert code == 200, body
                permit = cls.permits.Get(cls.service.GetPermitRequest(uuid=body["uuid"]),
                                         metadata=[("x-shard-key", county)], timeout=10)
                stored[permit.uuid] = permit
        return stored

    def paginate(self, stub, request_type, page_size, metadata=(), **fields):
        """Every page of a Paginate or Filter through `stub`."""
        pages, token = [], ""
        method = stub.Paginate if request_type is self.service.PaginatePermitsRequest else stub.Filter
        for _ in range(1000):
            page = method(request_type(page_size=page_size, page_token=token, **fields),
                          metadata=list(metadata), timeout=30)
            pages.append(page)
            token = page.next_page_token
            if not token:
                return pages
        self.fail("paging did not end")

    def test_each_record_lives_only_on_its_countys_shard(self):
        for uuid, permit in self.stored.items():
            for name, stub in self.direct.items():
                request = self.service.GetPermitRequest(uuid=uuid)
                if name == SHARD_OF[permit.county]:
                    self.assertEqual(stub.Get(request, timeout=10), permit)
                else:
                    with self.assertRaises(grpc.RpcError) as e:
                        stub.Get(request, timeout=10)
                    self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        counts = {name: len(self.direct_all(stub)) for name, stub in self.direct.items()}
        self.assertEqual(counts, {s: 12 * len(k) for s, k in KEYS.items()})

    def direct_all(self, stub):
        pages = self.paginate(stub, self.service.PaginatePermitsRequest, 5)
        return [p for page in pages for p in page.permits]

    def test_gets_through_nginx_with_and_without_the_key(self):
        for mode, (stub, rest_port) in self.nginx.items():
            for uuid, permit in list(self.stored.items())[:10]:
                request = self.service.GetPermitRequest(uuid=uuid)
                self.assertEqual(stub.Get(request, metadata=[("x-shard-key", permit.county)]),
                                 permit, mode)
                self.assertEqual(stub.Get(request), permit, mode)  # fan-out
                for key in (permit.county, None):
                    code, body = stack.rest(rest_port, "GET", "/api/permits/" + uuid, key=key)
                    self.assertEqual((code, body["uuid"], body["county"]),
                                     (200, uuid, permit.county), (mode, key))
        with self.assertRaises(grpc.RpcError) as e:
            self.permits.Get(self.service.GetPermitRequest(uuid="0" * 36))
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        code, _ = stack.rest(self.rest_port, "GET", "/api/permits/" + "0" * 36)
        self.assertEqual(code, 404)

    def get_calls(self, method="Get"):
        """`method` calls each shard has answered, any code, from its /metrics."""
        calls = {}
        for name, (_, rest_port) in self.shards.items():
            with urllib.request.urlopen(f"http://127.0.0.1:{rest_port}/metrics",
                                        timeout=10) as r:
                text = r.read().decode()
            calls[name] = sum(
                float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                if line.startswith("lmdbapi_requests_total{")
                and f'method="{method}"' in line and "Permits" in line)
        return calls

    def test_keys_carry_their_shards_tag_and_a_get_asks_that_shard_alone(self):
        tags = {name: "%02x" % i for i, name in enumerate(KEYS)}
        for uuid, permit in self.stored.items():
            self.assertEqual(uuid[-2:], tags[SHARD_OF[permit.county]], uuid)
        before = self.get_calls()
        asked = {name: 0 for name in KEYS}
        for uuid, permit in list(self.stored.items())[:15]:
            got = self.permits.Get(self.service.GetPermitRequest(uuid=uuid), timeout=10)
            self.assertEqual(got, permit)
            asked[SHARD_OF[permit.county]] += 1
        after = self.get_calls()
        self.assertEqual({n: after[n] - before[n] for n in KEYS}, asked)

    def test_a_key_whose_tag_names_another_shard_is_still_found(self):
        # A client-chosen key ending in 00 (shard-0's tag), stored on CA's
        # shard-1: shard-0 answers NOT_FOUND, then the others are asked.
        uuid = "0190a3c4-0000-7000-8000-0000000000" + "00"
        permit = self.permits.Insert(self.service.InsertPermitRequest(
            permit=self.messages.Permit(uuid=uuid, client="Tagless", county="CA",
                                        permit_number="T-1")),
            metadata=[("x-shard-key", "CA")], timeout=10)
        try:
            before = self.get_calls()
            got = self.permits.Get(self.service.GetPermitRequest(uuid=uuid), timeout=10)
            self.assertEqual(got, permit)
            after = self.get_calls()
            self.assertEqual({n: after[n] - before[n] for n in KEYS},
                             {"shard-0": 1, "shard-1": 1, "shard-2": 1})
        finally:
            self.permits.Delete(self.service.DeletePermitRequest(uuid=uuid),
                                metadata=[("x-shard-key", "CA")], timeout=10)

    def test_filter_with_a_key_asks_one_shard(self):
        got = [p for page in self.paginate(
            self.permits, self.service.FilterPermitsRequest, 4,
            metadata=[("x-shard-key", "NY")], county=self.wrap("NY"))
            for p in page.permits]
        self.assertEqual(sorted(p.uuid for p in got),
                         sorted(u for u, p in self.stored.items() if p.county == "NY"))
        self.assertEqual(sorted(self.rest_all(self.rest_port, "/api/permits/get-record?county=CA",
                                              key="CA")),
                         sorted(u for u, p in self.stored.items() if p.county == "CA"))

    def rest_all(self, port, path, key=None, headers=None):
        """The uuids of every page of a REST listing (the shards page in 5s);
        the last page's response headers in self.last_headers."""
        got, token = [], ""
        for _ in range(100):
            code, body, self.last_headers = stack.rest(
                port, "GET", path + "&page_token=" + urllib.parse.quote(token), key=key,
                headers=headers, with_headers=True)
            self.assertEqual(code, 200, body)
            self.assertLessEqual(len(body["permits"]), 5)
            got += [p["uuid"] for p in body["permits"]]
            token = body["next_page_token"]
            if not token:
                return got
        self.fail("paging did not end")

    def wrap(self, value):
        from google.protobuf import wrappers_pb2
        return wrappers_pb2.StringValue(value=value)

    def test_cross_shard_paginate_returns_every_record_once_in_order(self):
        expected = sorted(self.stored)
        for mode, (stub, rest_port) in self.nginx.items():
            for page_size in (1, 7, 50, 1000):
                pages = self.paginate(stub, self.service.PaginatePermitsRequest, page_size)
                got = [p.uuid for page in pages for p in page.permits]
                self.assertEqual(got, expected, (mode, page_size))
                self.assertTrue(all(len(page.permits) <= page_size for page in pages))
                self.assertIn("fan-out over 3 shards", pages[0].plan)
            # REST, through the fan-out gateway.
            got, token = [], ""
            for _ in range(100):
                code, body = stack.rest(rest_port, "GET", "/api/permits?page_size=9&page_token=" +
                                  urllib.parse.quote(token))
                self.assertEqual(code, 200, body)
                got += [p["uuid"] for p in body["permits"]]
                token = body["next_page_token"]
                if not token:
                    break
            self.assertEqual(got, expected, mode)

    def test_cross_shard_filter_merges_in_index_order(self):
        # client = "Acme" uses main_composite (client, county, status): the
        # merged pages follow (county, status, uuid) across the shards.
        acme = [p for p in self.stored.values() if p.client == "Acme"]
        expected = [p.uuid for p in sorted(acme, key=lambda p: (p.county, p.status, p.uuid))]
        pages = self.paginate(self.permits, self.service.FilterPermitsRequest, 6,
                              client=self.wrap("Acme"))
        self.assertEqual([p.uuid for page in pages for p in page.permits], expected)
        self.assertIn("main_composite", pages[0].plan)
        # A residual filter over a full scan: primary-key order.
        pages = self.paginate(self.permits, self.service.FilterPermitsRequest, 4,
                              status=2)
        self.assertEqual([p.uuid for page in pages for p in page.permits],
                         sorted(u for u, p in self.stored.items() if p.status == 2))

    def test_count_sums_the_counts_of_every_shard(self):
        acme = sum(1 for p in self.stored.values() if p.client == "Acme")
        for mode, (stub, rest_port) in self.nginx.items():
            everything = stub.Count(self.service.CountPermitsRequest(), timeout=10)
            self.assertEqual(everything.count, len(self.stored), mode)
            self.assertIn("fan-out over 3 shards", everything.plan)
            got = stub.Count(self.service.CountPermitsRequest(client=self.wrap("Acme")),
                             timeout=10)
            self.assertEqual(got.count, acme, mode)
            code, body = stack.rest(rest_port, "GET", "/api/permits/count?client=Globex")
            self.assertEqual((code, int(body["count"])), (200, len(self.stored) - acme), body)
            # With a key: that shard's count only.
            ny = stub.Count(self.service.CountPermitsRequest(), timeout=10,
                            metadata=[("x-shard-key", "NY")])
            self.assertEqual(ny.count, 12 * len(KEYS["shard-0"]), mode)

    def asked(self, method, call):
        """The shards `call()` asked by `method`, and what it returned."""
        before = self.get_calls(method)
        got = call()
        after = self.get_calls(method)
        return sorted(n for n in KEYS if after[n] > before[n]), got

    def test_with_the_shard_map_a_listing_that_fixes_the_county_asks_one_shard(self):
        S = self.service
        for county in COUNTIES:
            expected = sorted(u for u, p in self.stored.items() if p.county == county)
            asked, pages = self.asked("Filter", lambda: self.paginate(
                self.keyed, S.FilterPermitsRequest, 5, county=self.wrap(county)))
            self.assertEqual(asked, [SHARD_OF[county]], county)
            self.assertEqual(sorted(p.uuid for page in pages for p in page.permits), expected)
            self.assertNotIn("fan-out", pages[0].plan)  # the shard's own answer
        # The county at the top of the filter's AND; a read mask as the shard applies it.
        text = 'client = "Acme" AND county = "CA"'
        asked, pages = self.asked("Filter", lambda: self.paginate(
            self.keyed, S.FilterPermitsRequest, 5, filter=text, read_mask={"paths": ["county"]}))
        got = [p for page in pages for p in page.permits]
        self.assertEqual(asked, ["shard-1"])
        self.assertEqual(len(got),
                         sum(1 for p in self.stored.values() if p.client == "Acme" and p.county == "CA"))
        self.assertTrue(all(p.county == "CA" and not p.client for p in got))
        asked, got = self.asked("Count", lambda: self.keyed.Count(
            S.CountPermitsRequest(county=self.wrap("WA")), timeout=10))
        self.assertEqual((asked, got.count), (["shard-2"], 12))

    def test_with_the_shard_map_an_or_of_counties_asks_their_shards_and_merges(self):
        S = self.service
        # NY and NJ: both on shard-0, asked alone; NY and CA: shard-0 and shard-1.
        for text, counties, acme_only, shards in (
                ('county = (NY OR NJ)', ("NY", "NJ"), False, ["shard-0"]),
                ('county = "NY" OR county = "CA"', ("NY", "CA"), False, ["shard-0", "shard-1"]),
                ('client = "Acme" AND county = (CA OR FL OR NJ)', ("CA", "FL", "NJ"), True,
                 ["shard-0", "shard-1", "shard-2"])):
            want = [u for u, p in sorted(self.stored.items())
                    if p.county in counties and (not acme_only or p.client == "Acme")]
            asked, pages = self.asked("Filter", lambda: self.paginate(
                self.keyed, S.FilterPermitsRequest, 4, filter=text))
            self.assertEqual(asked, shards, text)
            self.assertEqual(sorted(p.uuid for page in pages for p in page.permits), want, text)
            if len(shards) == 2:  # merged by the router, every page from those two only
                self.assertIn("fan-out over 2 of 3 shards (county)", pages[0].plan)
            asked, got = self.asked("Count", lambda: self.keyed.Count(
                S.CountPermitsRequest(filter=text), timeout=10))
            self.assertEqual((asked, got.count), (shards, len(want)), text)

    def revision_of(self, call):
        return dict(call.initial_metadata()).get("x-revision")

    def test_a_read_routed_to_one_shard_carries_its_revision_both_ways(self):
        S = self.service
        ny = next(p for p in self.stored.values() if p.county == "NY")
        _, direct = self.direct["shard-0"].Count.with_call(S.CountPermitsRequest(), timeout=10)
        now = int(self.revision_of(direct))
        self.assertGreaterEqual(now, ny.revision)
        # One shard: its x-revision comes back, and x-min-revision reaches it.
        reads = [
            lambda md, t: self.keyed.Filter.with_call(
                S.FilterPermitsRequest(county=self.wrap("NY")), metadata=md, timeout=t),
            lambda md, t: self.keyed.Count.with_call(
                S.CountPermitsRequest(filter='county = "NY"'), metadata=md, timeout=t),
            lambda md, t: self.permits.Get.with_call(  # by its key's tag, through nginx
                S.GetPermitRequest(uuid=ny.uuid), metadata=md, timeout=t),
        ]
        for read in reads:
            _, call = read([("x-min-revision", str(now))], 10)
            self.assertGreaterEqual(int(self.revision_of(call)), now)
            with self.assertRaises(grpc.RpcError) as ahead:  # waits for the deadline
                read([("x-min-revision", str(now + 1000000))], 0.5)
            self.assertIn(ahead.exception.code(), (grpc.StatusCode.UNAVAILABLE,
                                                   grpc.StatusCode.DEADLINE_EXCEEDED))
        # REST through the router's gateway: the same, X-Revision included.
        got = self.rest_all(self.keyed_rest, "/api/permits/get-record?county=NY",
                            headers={"x-min-revision": str(now)})
        self.assertEqual(sorted(got),
                         sorted(u for u, p in self.stored.items() if p.county == "NY"))
        self.assertGreaterEqual(int(self.last_headers["X-Revision"]), now)
        # Several shards: no revision either way (each shard has its own).
        page, call = self.keyed.Filter.with_call(
            S.FilterPermitsRequest(filter='county = "NY" OR county = "CA"'),
            metadata=[("x-min-revision", str(now + 1000000))], timeout=10)
        self.assertTrue(page.permits)
        self.assertIsNone(self.revision_of(call))

    def test_with_the_shard_map_other_listings_still_ask_every_shard(self):
        S = self.service
        every = sorted(KEYS)
        cases = [  # (request, records it matches)
            (S.CountPermitsRequest(filter='county = "NY" OR county = "TX"'), 12),  # TX: no shard's
            (S.CountPermitsRequest(filter='county = "N*"'), 24),  # a prefix
            (S.CountPermitsRequest(filter='NOT county = "NY"'), 48),
            (S.CountPermitsRequest(county=self.wrap("TX")), 0),  # in no shard's keys
            (S.CountPermitsRequest(client=self.wrap("Acme")),
             sum(1 for p in self.stored.values() if p.client == "Acme")),
        ]
        for request, count in cases:
            asked, got = self.asked("Count", lambda: self.keyed.Count(request, timeout=10))
            self.assertEqual((asked, got.count), (every, count), request)
            self.assertIn("fan-out over 3 shards", got.plan)
        # A bad filter is every shard's INVALID_ARGUMENT, as without the map.
        with self.assertRaises(grpc.RpcError) as bad:
            self.keyed.Filter(S.FilterPermitsRequest(filter='county = '), timeout=10)
        self.assertEqual(bad.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("filter", bad.exception.details())
        pages = self.paginate(self.keyed, S.PaginatePermitsRequest, 7)
        self.assertEqual([p.uuid for page in pages for p in page.permits], sorted(self.stored))

    def test_x_consistency_reaches_every_shard_through_the_fan_out(self):
        # Each shard reads linearizably (on a replicated shard: through its
        # leader); a bad value is every shard's INVALID_ARGUMENT, which shows
        # the header got there.
        for mode, (stub, _) in self.nginx.items():
            got = stub.Count(self.service.CountPermitsRequest(), timeout=10,
                             metadata=[("x-consistency", "linearizable")])
            self.assertEqual(got.count, len(self.stored), mode)
            with self.assertRaises(grpc.RpcError) as bad:
                stub.Count(self.service.CountPermitsRequest(), timeout=10,
                           metadata=[("x-consistency", "sometimes")])
            self.assertEqual(bad.exception.code(), grpc.StatusCode.INVALID_ARGUMENT, mode)
            self.assertIn("x-consistency", bad.exception.details())

    def test_filter_text_count_sums_every_shard(self):
        got = self.permits.Count(self.service.CountPermitsRequest(
            filter='county = "NY" OR county = "CA"'), timeout=10)
        self.assertEqual(got.count, 24)
        code, body = stack.rest(self.rest_port, "GET", "/api/permits/count?filter=" +
                                urllib.parse.quote('county = "NY"', safe=""))
        self.assertEqual((code, int(body["count"])), (200, 12), body)

    def test_read_mask_applies_after_the_merge(self):
        # The merge orders by (county, status, uuid) though the mask drops status.
        acme = [p for p in self.stored.values() if p.client == "Acme"]
        expected = [p.uuid for p in sorted(acme, key=lambda p: (p.county, p.status, p.uuid))]
        pages = self.paginate(self.permits, self.service.FilterPermitsRequest, 6,
                              client=self.wrap("Acme"), read_mask={"paths": ["uuid", "county"]})
        got = [p for page in pages for p in page.permits]
        self.assertEqual([p.uuid for p in got], expected)
        for p in got:
            self.assertEqual(p, self.messages.Permit(uuid=p.uuid, county=self.stored[p.uuid].county))
        code, body = stack.rest(self.rest_port, "GET", "/api/permits?page_size=4&read_mask=uuid")
        self.assertEqual(code, 200, body)
        self.assertEqual([set(p) for p in body["permits"]], [{"uuid"}] * 4)
        uuid = next(iter(self.stored))
        got = self.permits.Get(self.service.GetPermitRequest(
            uuid=uuid, read_mask={"paths": ["client"]}), timeout=10)
        self.assertEqual(got, self.messages.Permit(client=self.stored[uuid].client))
        for request, call in ((self.service.GetPermitRequest(
                uuid=uuid, read_mask={"paths": ["nope"]}), self.permits.Get),
                (self.service.PaginatePermitsRequest(read_mask={"paths": ["nope"]}),
                 self.permits.Paginate)):
            with self.assertRaises(grpc.RpcError) as e:
                call(request, timeout=10)
            self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("read_mask", e.exception.details())

    def test_a_token_resumes_the_same_page_and_survives_new_records(self):
        first = self.permits.Paginate(self.service.PaginatePermitsRequest(page_size=10))
        again = [self.permits.Paginate(self.service.PaginatePermitsRequest(
            page_size=10, page_token=first.next_page_token)) for _ in range(2)]
        self.assertEqual(again[0].permits, again[1].permits)
        self.assertEqual(again[0].permits[0].uuid, sorted(self.stored)[10])
        # Records written after the token was made: no repeat, no gap among the old.
        extra = self.permits.Insert(self.service.InsertPermitRequest(
            permit=self.messages.Permit(client="Late", county="CA")),
            metadata=[("x-shard-key", "CA")])
        try:
            rest_of = [p.uuid for p in again[0].permits]
            token = again[0].next_page_token
            while token:
                page = self.permits.Paginate(self.service.PaginatePermitsRequest(
                    page_size=10, page_token=token))
                rest_of += [p.uuid for p in page.permits]
                token = page.next_page_token
            seen = [p.uuid for p in first.permits] + rest_of
            self.assertEqual(len(seen), len(set(seen)))
            self.assertEqual(sorted(set(seen) - {extra.uuid}), sorted(self.stored))
        finally:
            self.permits.Delete(self.service.DeletePermitRequest(uuid=extra.uuid),
                                metadata=[("x-shard-key", "CA")])

    def test_a_bad_router_token_is_invalid_argument(self):
        first = self.permits.Paginate(self.service.PaginatePermitsRequest(page_size=3))
        for token in ("garbage", first.next_page_token[:-4]):
            with self.assertRaises(grpc.RpcError) as e:
                self.permits.Paginate(self.service.PaginatePermitsRequest(page_token=token))
            self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("page_token", e.exception.details())
        # A Paginate token is not a Filter token.
        with self.assertRaises(grpc.RpcError) as e:
            self.permits.Filter(self.service.FilterPermitsRequest(
                page_token=first.next_page_token, client=self.wrap("Acme")))
        self.assertIn("another query", e.exception.details())

    def test_writes_need_a_known_key(self):
        P = self.messages.Permit
        request = self.service.InsertPermitRequest(permit=P(client="Acme", county="NY"))
        for metadata, words in (([], "x-shard-key: required"),
                                ([("x-shard-key", "TX")], "'TX' is not in the router's shard map")):
            with self.assertRaises(grpc.RpcError) as e:
                self.permits.Insert(request, metadata=metadata, timeout=10)
            self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT, words)
            self.assertIn(words, e.exception.details())
        for key, words in ((None, "x-shard-key: required"),
                           ("TX", "'TX' is not in the router's shard map")):
            code, body = stack.rest(self.rest_port, "POST", "/api/permits",
                              {"client": "Acme", "county": "TX"}, key=key)
            self.assertEqual((code, body["status"]), (400, "INVALID_ARGUMENT"), body)
            self.assertIn(words, body["message"])
        # Nothing was written anywhere.
        total = sum(len(self.direct_all(stub)) for stub in self.direct.values())
        self.assertEqual(total, len(self.stored))

    def test_a_write_whose_county_is_not_its_key_is_refused(self):
        # x-shard-key NY, county CA: it would land on NY's shard.
        P = self.messages.Permit
        with self.assertRaises(grpc.RpcError) as e:
            self.permits.Insert(self.service.InsertPermitRequest(
                permit=P(client="Acme", county="CA")),
                metadata=[("x-shard-key", "NY")], timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("county: 'CA' is not the request's x-shard-key 'NY'", e.exception.details())
        with self.assertRaises(grpc.RpcError) as e:
            self.permits.BatchInsert(self.service.BatchInsertPermitsRequest(permits=[
                P(client="Acme", county="NY"), P(client="Acme", county="NJ")]),
                metadata=[("x-shard-key", "NY")], timeout=10)
        self.assertIn("county: 'NJ'", e.exception.details())
        code, body = stack.rest(self.rest_port, "POST", "/api/permits",
                          {"client": "Acme", "county": "CA"}, key="NY")
        self.assertEqual(code, 400, body)
        self.assertIn("county: 'CA' is not the request's x-shard-key 'NY'", body["message"])
        some = next(p for p in self.stored.values() if p.county == "NJ")
        moved = P()
        moved.CopyFrom(some)
        moved.county = "CA"
        with self.assertRaises(grpc.RpcError) as e:
            self.permits.Update(self.service.UpdatePermitRequest(permit=moved),
                                metadata=[("x-shard-key", "NJ")], timeout=10)
        self.assertIn("county: 'CA'", e.exception.details())
        total = sum(len(self.direct_all(stub)) for stub in self.direct.values())
        self.assertEqual(total, len(self.stored))
        self.assertEqual(self.permits.Get(self.service.GetPermitRequest(uuid=some.uuid)), some)

    def test_a_commit_goes_to_the_shard_of_its_one_key(self):
        P, S = self.messages.Permit, self.service
        tx = self.service_stub("TransactionsStub")

        def order(*counties):
            writes = [S.CommitWrite(insert_permit=S.InsertPermitRequest(
                permit=P(client="Tx", county=c))) for c in counties]
            line = S.CommitWrite(insert_processing_status=S.InsertProcessingStatusRequest(
                processing_status=self.messages.ProcessingStatus(stage="line")))
            line.key_refs.add(field="permit_uuid", write=0)
            return S.CommitRequest(writes=writes + [line])

        answer = tx.Commit(order("NY"), metadata=[("x-shard-key", "NY")], timeout=10)
        key = answer.results[0].key
        try:
            self.assertEqual(self.direct["shard-0"].Get(S.GetPermitRequest(uuid=key)).client, "Tx")
            for metadata, words in (([("x-shard-key", "NY")], "county: 'CA' is not the request's "
                                     "x-shard-key 'NY'"), ([], "x-shard-key: required")):
                with self.assertRaises(grpc.RpcError) as e:
                    tx.Commit(order("NY", "CA"), metadata=metadata, timeout=10)
                self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn(words, e.exception.details())
            total = sum(len(self.direct_all(stub)) for stub in self.direct.values())
            self.assertEqual(total, len(self.stored) + 1)
        finally:
            self.permits.Delete(S.DeletePermitRequest(uuid=key),
                                metadata=[("x-shard-key", "NY")], timeout=10)

    def test_children_go_with_their_parents_key(self):
        parent = next(p for p in self.stored.values() if p.county == "WA")
        stub = self.service_stub("ProcessingStatusesStub")
        child = stub.Insert(self.service.InsertProcessingStatusRequest(
            processing_status=self.messages.ProcessingStatus(
                permit_uuid=parent.uuid, stage="review")),
            metadata=[("x-shard-key", "WA")], timeout=10)
        try:
            # On the parent's shard only; found by the fan-out without a key.
            self.assertEqual(stub.Get(self.service.GetProcessingStatusRequest(
                uuid=child.uuid), timeout=10), child)
            page = stub.Filter(self.service.FilterProcessingStatusesRequest(
                permit_uuid=parent.uuid), timeout=10)
            self.assertEqual([c.uuid for c in page.processing_statuses], [child.uuid])
            # The parent is not on NY's shard: the child cannot go there.
            with self.assertRaises(grpc.RpcError) as e:
                stub.Insert(self.service.InsertProcessingStatusRequest(
                    processing_status=self.messages.ProcessingStatus(
                        permit_uuid=parent.uuid, stage="review")),
                    metadata=[("x-shard-key", "NY")], timeout=10)
            self.assertIn("permit_uuid", e.exception.details())
        finally:
            stub.Delete(self.service.DeleteProcessingStatusRequest(uuid=child.uuid),
                        metadata=[("x-shard-key", "WA")], timeout=10)

    def service_stub(self, name):
        return getattr(self.stubs, name)(self.channels[0])  # nginx, upstreams

    def test_watch_goes_to_one_shard(self):
        # Without a key: the router has no merged revisions to offer.
        with self.assertRaises(grpc.RpcError) as e:
            next(self.permits.Watch(self.service.WatchPermitsRequest(), timeout=10))
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNIMPLEMENTED)
        self.assertIn("watch each shard", e.exception.details())
        # With one: that shard's changes.
        stream = self.permits.Watch(self.service.WatchPermitsRequest(start_revision=1),
                                    metadata=[("x-shard-key", "CA")], timeout=10)
        try:
            first = next(stream)
        finally:
            stream.cancel()
        self.assertEqual(SHARD_OF[first.permit.county], "shard-1")

    def test_health_through_nginx_is_the_routers(self):
        # grpc.health.v1.Health/Check {} -> {status: SERVING}, by raw bytes.
        for mode, port in self.grpc_ports.items():
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            self.channels.append(channel)
            check = channel.unary_unary(
                "/grpc.health.v1.Health/Check",
                request_serializer=lambda b: b, response_deserializer=lambda b: b)
            self.assertEqual(check(b"", timeout=10), b"\x08\x01", mode)

class RouterTlsTest(unittest.TestCase):
    """Shards serving mutual TLS (--tls_client_ca), and routers that reach
    them with --peer_ca: one with its own client certificate (--peer_cert),
    one without a CA (plaintext), one whose CA is another's. In front, nginx
    with a shard map's backend_tls, the shards' gateways serving HTTPS."""

    @classmethod
    def setUpClass(cls):
        start_class(cls)

    @classmethod
    def start_all(cls, tmp):
        certs = stack.Certificates(tmp)
        cls.ca = certs.ca("peers")
        certs.ca("other")
        shard = certs.leaf("shard", "peers", "shard", 1)
        cls.router_cert = certs.leaf("router", "peers", "router", 2)
        cls.client_cert = certs.leaf("client", "peers", "client", 3)
        # A shard whose certificate names another host than the one called.
        elsewhere = certs.leaf("elsewhere", "peers", "elsewhere", 4,
                               names="DNS:elsewhere.example")
        os.makedirs(os.path.join(tmp, "stubs"))
        cls.messages, cls.service, stubs = stack.load_stubs(BUILD, os.path.join(tmp, "stubs"))
        mtls = ["--tls_client_ca=" + cls.ca]
        cls.shard_ports = []
        for tag in range(2):
            _, port = cls.procs.server("tls-shard-%d" % tag, SERVER, "--tls_cert=" + shard[0],
                                       "--tls_key=" + shard[1], "--shard_tag=%d" % tag, *mtls)
            cls.shard_ports.append(port)
        _, cls.elsewhere_port = cls.procs.server(
            "tls-elsewhere", SERVER, "--tls_cert=" + elsewhere[0], "--tls_key=" + elsewhere[1],
            *mtls)
        cls.channels = []
        cls.shard = stubs.PermitsStub(cls.tls_channel(cls.shard_ports[0]))
        cls.stub = stubs.PermitsStub
        P = cls.messages.Permit
        cls.stored = [cls.shard.Insert(cls.service.InsertPermitRequest(permit=P(
            client="Acme", county="NY", status=1, permit_number="T-%d" % i, fee_cents=i)),
            timeout=10) for i in range(3)]
        cls.start_nginx(tmp, shard)

    @classmethod
    def start_nginx(cls, tmp, shard):
        """Each shard's gateway (HTTPS with mutual TLS, calling its shard over
        mutual TLS), a fan-out router with --peer_ca and its gateway, and
        nginx calling the shards and gateways over TLS (backend_tls)."""
        client = ["-backend_ca=" + cls.ca, "-backend_cert=" + cls.router_cert[0],
                  "-backend_key=" + cls.router_cert[1], "-backend_wait=1s"]
        shards = {}
        for tag, (port, key) in enumerate(zip(cls.shard_ports, ("NY", "CA"))):
            _, rest = cls.procs.gateway("tls-gateway-%d" % tag, GATEWAY, port, *client,
                                        "-tls_cert=" + shard[0], "-tls_key=" + shard[1],
                                        "-tls_client_ca=" + cls.ca)
            # nginx checks DNS names only: the certificates' is localhost.
            shards["tls-%d" % tag] = {"grpc": "127.0.0.1:%d" % port, "rest": "127.0.0.1:%d" % rest,
                                      "keys": [key], "tls_name": "localhost"}
        _, fan_grpc = cls.procs.router("tls-fanout", SERVER, cls.shard_ports,
                                       "--peer_ca=" + cls.ca, "--peer_cert=" + cls.router_cert[0],
                                       "--peer_key=" + cls.router_cert[1])
        _, fan_rest = cls.procs.gateway("tls-fanout-gateway", GATEWAY, fan_grpc)
        cls.nginx_grpc, cls.nginx_rest = stack.free_port(), stack.free_port()
        run_dir = os.path.join(tmp, "nginx-tls")
        os.makedirs(run_dir, mode=0o777)
        os.chmod(run_dir, 0o777)
        shard_map = {
            "listen": {"grpc": "127.0.0.1:%d" % cls.nginx_grpc,
                       "rest": "127.0.0.1:%d" % cls.nginx_rest},
            "shards": shards,
            "fanout": {"grpc": "127.0.0.1:%d" % fan_grpc, "rest": "127.0.0.1:%d" % fan_rest},
            "backend_tls": {"ca": cls.ca, "cert": cls.router_cert[0], "key": cls.router_cert[1]},
            "run_dir": run_dir, "worker_processes": 1,
        }
        map_file, conf = os.path.join(tmp, "tls.json"), os.path.join(tmp, "tls.conf")
        with open(map_file, "w") as f:
            json.dump(shard_map, f)
        subprocess.run([sys.executable, GEN, map_file, "--out", conf], check=True)
        cls.procs.nginx("nginx-tls", conf, tmp, cls.nginx_rest)

    @classmethod
    def tls_channel(cls, port):
        ca, key, cert = (stack.read_file(f) for f in (cls.ca, *reversed(cls.client_cert)))
        credentials = grpc.ssl_channel_credentials(ca, key, cert)
        channel = grpc.secure_channel("127.0.0.1:%d" % port, credentials)
        cls.channels.append(channel)
        return channel

    @classmethod
    def tearDownClass(cls):
        stop_class(cls)

    def router(self, name, shard_ports, *flags):
        _, port = self.procs.router(name, SERVER, shard_ports, *flags)
        channel = grpc.insecure_channel("127.0.0.1:%d" % port)
        self.channels.append(channel)
        return self.stub(channel)

    def test_a_router_with_the_peers_ca_and_a_client_certificate_reads_every_shard(self):
        router = self.router("router-tls", self.shard_ports, "--peer_ca=" + self.ca,
                             "--peer_cert=" + self.router_cert[0],
                             "--peer_key=" + self.router_cert[1])
        for permit in self.stored:
            got = router.Get(self.service.GetPermitRequest(uuid=permit.uuid), timeout=10)
            self.assertEqual(got, permit)
        page = router.Filter(self.service.FilterPermitsRequest(filter='county = "NY"'),
                             timeout=10)
        self.assertEqual(sorted(p.uuid for p in page.permits),
                         sorted(p.uuid for p in self.stored))

    def refusal(self, router):
        with self.assertRaises(grpc.RpcError) as refused:
            router.Filter(self.service.FilterPermitsRequest(filter='county = "NY"'), timeout=10)
        return refused.exception

    def test_a_router_without_the_ca_or_a_certificate_or_the_right_host_is_refused(self):
        cases = {
            "router-plaintext": (self.shard_ports, []),
            "router-no-certificate": (self.shard_ports, ["--peer_ca=" + self.ca]),
            "router-other-ca": (self.shard_ports, [
                "--peer_ca=" + os.path.join(self.tmpdir.name, "other.crt"),
                "--peer_cert=" + self.router_cert[0], "--peer_key=" + self.router_cert[1]]),
            "router-wrong-host": ([self.elsewhere_port], [
                "--peer_ca=" + self.ca, "--peer_cert=" + self.router_cert[0],
                "--peer_key=" + self.router_cert[1]]),
        }
        for name, (ports, flags) in cases.items():
            error = self.refusal(self.router(name, ports, *flags))
            self.assertEqual(error.code(), grpc.StatusCode.UNAVAILABLE, name)
            self.assertIn("shard 127.0.0.1:", error.details(), name)

    def test_nginx_with_backend_tls_reaches_tls_shards_their_gateways_and_the_router(self):
        channel = grpc.insecure_channel("127.0.0.1:%d" % self.nginx_grpc)
        self.channels.append(channel)
        nginx = self.stub(channel)
        for permit in self.stored:
            request = self.service.GetPermitRequest(uuid=permit.uuid)
            self.assertEqual(nginx.Get(request, metadata=[("x-shard-key", "NY")], timeout=10),
                             permit)
            self.assertEqual(nginx.Get(request, timeout=10), permit)  # the fan-out router
            for key in ("NY", None):
                code, body = stack.rest(self.nginx_rest, "GET", "/api/permits/" + permit.uuid,
                                        key=key)
                self.assertEqual((code, body.get("uuid")), (200, permit.uuid), (key, body))
        with self.assertRaises(grpc.RpcError) as missing:  # the shard's answer, over TLS
            nginx.Get(self.service.GetPermitRequest(uuid="0" * 36),
                      metadata=[("x-shard-key", "CA")], timeout=10)
        self.assertEqual(missing.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_bad_peer_flags_stop_the_start_naming_the_flag(self):
        missing = os.path.join(self.tmpdir.name, "missing.pem")
        for flags, named in (
                (["--peer_ca=" + missing], "--peer_ca"),
                (["--peer_ca=" + self.ca, "--peer_cert=" + self.router_cert[0],
                  "--peer_key=" + self.client_cert[1]], "--peer_key"),
                (["--peer_cert=" + self.router_cert[0], "--peer_key=" + self.router_cert[1]],
                 "--peer_ca"),
                (["--peer_ca=" + self.ca, "--peer_cert=" + self.router_cert[0]], "--peer_key")):
            r = subprocess.run([SERVER, "--listen=127.0.0.1:0",
                                "--shards=127.0.0.1:%d" % self.shard_ports[0]] + flags,
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 2, (flags, r.stderr))
            self.assertIn(named, r.stderr, flags)


class RouterStopTest(unittest.TestCase):
    def test_a_router_stops_while_a_shard_never_answers(self):
        # The call waits on a stopped shard (SIGSTOP) with a minute left:
        # the router's drain gives it 10 s, then cancels its shard call and
        # exits 0 instead of waiting for the shard's deadline.
        with tempfile.TemporaryDirectory() as tmp:
            procs = stack.Processes(tmp)
            shard = None
            try:
                _, service, stubs = stack.load_stubs(BUILD, os.path.join(tmp, "stubs"))
                shard, shard_port = procs.server("shard", SERVER)
                router, router_port = procs.router("router", SERVER, [shard_port])
                channel = grpc.insecure_channel(f"127.0.0.1:{router_port}")
                stub = stubs.PermitsStub(channel)
                request = service.GetPermitRequest(uuid="0190b2a4-6a1e-7c3d-8f00-000000000000")
                with self.assertRaises(grpc.RpcError) as e:  # the router reaches the shard
                    stub.Get(request, timeout=10)
                self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
                shard.send_signal(signal.SIGSTOP)
                get = stub.Get.future(request, timeout=60)
                time.sleep(0.5)
                started = time.monotonic()
                self.assertEqual(procs.stop(router, timeout=30), 0)
                self.assertLess(time.monotonic() - started, 20)
                with self.assertRaises(grpc.RpcError):
                    get.result(timeout=5)
                channel.close()
            finally:
                if shard is not None:
                    shard.send_signal(signal.SIGCONT)
                procs.stop_all()

    def test_a_shard_back_after_an_absence_is_answered_and_the_router_stops(self):
        # Calls to a shard not yet started fail (UNAVAILABLE); once it
        # starts, the router reaches it within seconds (a peer channel tries
        # again every second at most, server/process/peer_channel.h). Then
        # the router, whose channel failed for a while, exits 0.
        with tempfile.TemporaryDirectory() as tmp:
            procs = stack.Processes(tmp)
            try:
                _, service, stubs = stack.load_stubs(BUILD, os.path.join(tmp, "stubs"))
                shard_port = stack.free_port()
                router, router_port = procs.router("router", SERVER, [shard_port])
                channel = grpc.insecure_channel(f"127.0.0.1:{router_port}")
                stub = stubs.PermitsStub(channel)
                request = service.GetPermitRequest(uuid="0190b2a4-6a1e-7c3d-8f00-000000000000")
                failed_until = time.monotonic() + 3
                while time.monotonic() < failed_until:
                    with self.assertRaises(grpc.RpcError) as e:
                        stub.Get(request, timeout=10)
                    self.assertEqual(e.exception.code(), grpc.StatusCode.UNAVAILABLE)
                    time.sleep(0.2)
                procs.start("shard", [SERVER, "--listen=127.0.0.1:%d" % shard_port,
                                      "--data_dir=" + os.path.join(tmp, "shard"),
                                      "--log_level=warning"], "--port_file")
                back = time.monotonic()
                codes = []
                while time.monotonic() - back < 5 and grpc.StatusCode.NOT_FOUND not in codes:
                    try:
                        stub.Get(request, timeout=10)
                    except grpc.RpcError as error:
                        codes.append(error.code())
                    time.sleep(0.05)
                self.assertIn(grpc.StatusCode.NOT_FOUND, codes)  # the shard's answer
                channel.close()
                self.assertEqual(procs.stop(router, timeout=30), 0)
            finally:
                procs.stop_all()


class ShardMapTest(unittest.TestCase):
    """gen-nginx-conf refuses a bad shard map, naming the field, and writes
    nothing."""

    GOOD = {"listen": {"grpc": "127.0.0.1:1", "rest": "127.0.0.1:2"},
            "shards": {"s0": {"grpc": "a.example:50051", "rest": "a.example:8080",
                              "keys": ["NY"]}},
            "fanout": {"grpc": "127.0.0.1:3", "rest": "127.0.0.1:4"}}

    def generate(self, shard_map):
        with tempfile.TemporaryDirectory() as tmp:
            map_file, conf = os.path.join(tmp, "map.json"), os.path.join(tmp, "nginx.conf")
            with open(map_file, "w") as f:
                json.dump(shard_map, f)
            r = subprocess.run([sys.executable, GEN, map_file, "--out", conf],
                               capture_output=True, text=True, timeout=30)
            return r.returncode, r.stderr, os.path.exists(conf)

    def test_bad_maps_are_refused_naming_the_field(self):
        def changed(**fields):
            shard_map = json.loads(json.dumps(self.GOOD))
            shard_map.update(fields)
            return shard_map
        shard = self.GOOD["shards"]["s0"]
        cases = [
            (changed(listen={"grpc": "nowhere", "rest": "127.0.0.1:2"}), "listen.grpc"),
            (changed(shards={"s0": dict(shard, keys=["NY"]), "s1": dict(shard, keys=["NY"])}),
             "shards.s1.keys"),
            (changed(default="s9"), "default"),
            (changed(shards={"s0": dict(shard, tls_name="a b")}), "shards.s0.tls_name"),
            (changed(backend_tls={"cert": "/c.crt", "key": "/c.key"}), "backend_tls.ca"),
            (changed(backend_tls={"ca": "/ca.crt", "cert": "/c.crt"}), "backend_tls.cert"),
            (changed(backend_tls={"ca": "ca.crt"}), "backend_tls.ca"),
        ]
        for shard_map, field in cases:
            code, err, written = self.generate(shard_map)
            self.assertEqual((code, written), (1, False), (field, err))
            self.assertIn(field + ":", err, field)
        self.assertEqual(self.generate(changed(backend_tls={"ca": "/ca.crt"}))[0], 0)

    def test_a_router_refuses_a_bad_map_naming_the_member(self):
        shard = self.GOOD["shards"]["s0"]
        shards = "--shards=a.example:50051,b.example:50051"
        cases = [  # (map or file text, flags, what the error names)
            (self.GOOD, ["--shard_key=county", "--shards=c.example:1"], "shards.s0.grpc"),
            (dict(self.GOOD, shards={"s0": dict(shard, keys=["NY"]),
                                     "s1": dict(shard, grpc="b.example:50051", keys=["NY"])}),
             ["--shard_key=county", shards], ".keys"),
            (dict(self.GOOD, default="s9"), ["--shard_key=county", shards], "default"),
            ("{not json", ["--shard_key=county", shards], "not JSON"),
            (self.GOOD, ["--shard_key=no_such_field", shards], "--shard_key"),
            (self.GOOD, [shards], "--shard_map goes on the router with --shards and --shard_key"),
        ]
        for shard_map, flags, named in cases:
            with tempfile.TemporaryDirectory() as tmp:
                map_file = os.path.join(tmp, "map.json")
                with open(map_file, "w") as f:
                    f.write(shard_map if isinstance(shard_map, str) else json.dumps(shard_map))
                r = subprocess.run([SERVER, "--listen=127.0.0.1:0", "--shard_map=" + map_file]
                                   + flags, capture_output=True, text=True, timeout=30)
            self.assertNotEqual(r.returncode, 0, (named, r.stderr))
            self.assertIn(named, r.stderr, named)


if __name__ == "__main__":
    stack.main(argv=sys.argv[:1], verbosity=2)
