#!/usr/bin/python3
"""A user's built schema, served as a user would run it: the example
consumer's shop-server and shop-gateway (examples/*-consumer/shop.proto),
built outside lmdbapi's tree against an installed lmdbapi (CMake package,
.deb) or lmdbapi as an external Bazel repository.

- `--version` of the server and the gateway names lmdbapi's VERSION;
- over gRPC (stubs generated from the emitted shop_service.proto, as a
  client service would): a customer inserted and read back, an order
  inserted under it;
- over REST (the gateway): an order inserted under the customer, read back,
  listed by parent; an order under a customer that does not exist refused;
- /metrics carries lmdbapi_build_info with that version.

Usage: consumer_check.py SERVER GATEWAY SERVICE_PROTO_DIR LMDBAPI_PROTO_ROOT
SERVICE_PROTO_DIR holds shop_service.proto (and shop.proto is next to this
repository's examples); LMDBAPI_PROTO_ROOT holds proto/lmdbapi/options.proto.
"""
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import stack  # noqa: E402

SERVER, GATEWAY, SERVICE_DIR, PROTO_ROOT = sys.argv[1:5]
del sys.argv[1:5]
SCHEMA_DIR = os.path.join(ROOT, "examples", "cmake-consumer")
GOOGLEAPIS = ("/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/"
              "third_party/googleapis")
with open(os.path.join(ROOT, "VERSION")) as f:
    VERSION = f.read().strip()


def load_stubs(out_dir):
    """Python messages and stubs from shop.proto and the emitted service."""
    from grpc_tools import protoc
    args = ["-I" + SERVICE_DIR, "-I" + SCHEMA_DIR, "-I" + PROTO_ROOT, "-I" + GOOGLEAPIS,
            "-I/usr/include", "--python_out=" + out_dir, "--grpc_python_out=" + out_dir]
    for proto in ["shop.proto", "proto/lmdbapi/options.proto", "google/api/annotations.proto",
                  "google/api/http.proto", "shop_service.proto"]:
        if protoc.main(["protoc"] + args + [proto]) != 0:
            raise RuntimeError("protoc failed on " + proto)
    sys.path.insert(0, out_dir)
    import shop_pb2  # noqa: E402
    import shop_service_pb2  # noqa: E402
    import shop_service_pb2_grpc  # noqa: E402
    return shop_pb2, shop_service_pb2, shop_service_pb2_grpc


class ConsumerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.messages, cls.service, cls.stubs = load_stubs(cls.tmp.name)
        cls.procs = stack.Processes(cls.tmp.name)
        cls.grpc_port, cls.rest_port = cls.procs.server_and_gateway("shop", SERVER, GATEWAY)
        stack.wait_http(cls.rest_port)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.procs.stop_all_cleanly()
        finally:
            cls.tmp.cleanup()

    def test_binaries_print_lmdbapis_version(self):
        for binary in (SERVER, GATEWAY):
            flag = "--version" if binary == SERVER else "-version"
            out = subprocess.run([binary, flag], capture_output=True, text=True, check=True)
            self.assertIn(VERSION, out.stdout, binary)

    def test_grpc_insert_and_get_a_customer_and_an_order(self):
        import grpc
        with grpc.insecure_channel(f"127.0.0.1:{self.grpc_port}") as channel:
            customers = self.stubs.CustomersStub(channel)
            orders = self.stubs.OrdersStub(channel)
            stored = customers.Insert(self.service.InsertCustomerRequest(
                customer=self.messages.Customer(name="Ada", email="ada@example.com",
                                                city="Oslo")))
            self.assertTrue(stored.id)
            got = customers.Get(self.service.GetCustomerRequest(id=stored.id))
            self.assertEqual((got.name, got.email, got.city), ("Ada", "ada@example.com", "Oslo"))
            order = orders.Insert(self.service.InsertOrderRequest(
                order=self.messages.Order(customer_id=stored.id, total_cents=1250)))
            got = orders.Get(self.service.GetOrderRequest(id=order.id))
            self.assertEqual((got.customer_id, got.total_cents), (stored.id, 1250))

    def test_rest_insert_and_read_back_under_a_parent(self):
        port = self.rest_port
        status, customer = stack.rest(port, "POST", "/api/customers",
                                      {"name": "Bo", "email": "bo@example.com", "city": "Bergen"})
        self.assertEqual(status, 200, customer)
        cid = customer["id"]
        status, order = stack.rest(port, "POST", f"/api/customers/{cid}/orders",
                                   {"total_cents": "990", "placed": "2026-11-28T10:00:00Z"})
        self.assertEqual(status, 200, order)
        status, got = stack.rest(port, "GET", "/api/orders/" + order["id"])
        self.assertEqual(status, 200, got)
        self.assertEqual((got["customer_id"], got["total_cents"]), (cid, "990"))
        self.assertEqual(got["placed"], "2026-11-28T10:00:00Z")
        status, page = stack.rest(port, "GET", f"/api/customers/{cid}/orders")
        self.assertEqual(status, 200, page)
        self.assertEqual([o["id"] for o in page["orders"]], [order["id"]])

    def test_rest_order_of_a_missing_customer_is_refused(self):
        status, body = stack.rest(self.rest_port, "POST", "/api/customers/nobody/orders",
                                  {"total_cents": "1"})
        self.assertEqual(status, 412, body)
        self.assertIn("customer_id", body.get("message", ""))

    def test_metrics_carry_the_build_info(self):
        import urllib.request
        with urllib.request.urlopen(f"http://127.0.0.1:{self.rest_port}/metrics") as r:
            text = r.read().decode()
        self.assertIn(f'lmdbapi_build_info{{version="{VERSION}"}} 1', text)
        self.assertIn(f'lmdbapi_gateway_build_info{{version="{VERSION}"}} 1', text)


if __name__ == "__main__":
    stack.main()
