#!/usr/bin/python3
"""A Python client (Debian's python3-grpcio, stubs generated from the emitted
service .proto) inserts, gets, filters and pages against the real server.

Usage: python_client_test.py SERVER_BINARY GENERATED_ROOT
GENERATED_ROOT holds proto/examples/permits_service.proto.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import example_client  # noqa: E402
import grpc  # noqa: E402

SERVER, GENERATED = sys.argv[1], sys.argv[2]
del sys.argv[1:3]


class PythonClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        stubs_dir = os.path.join(cls.tmp.name, "stubs")
        os.makedirs(stubs_dir)
        cls.messages, cls.service, cls.stubs = example_client.load_stubs(
            os.path.abspath(GENERATED), stubs_dir)
        port_file = os.path.join(cls.tmp.name, "port")
        cls.server = subprocess.Popen(
            [SERVER, "--listen=127.0.0.1:0", "--port_file=" + port_file,
             "--data_dir=" + os.path.join(cls.tmp.name, "data")])
        deadline = time.time() + 20
        while not os.path.exists(port_file) and time.time() < deadline:
            time.sleep(0.02)
        with open(port_file) as f:
            cls.channel = grpc.insecure_channel("127.0.0.1:" + f.read().strip())
        cls.permits = cls.stubs.PermitsStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.send_signal(signal.SIGTERM)
        assert cls.server.wait(timeout=20) == 0
        cls.tmp.cleanup()

    def permit(self, client, county):
        return self.messages.Permit(client=client, county=county,
                                    county_status="Active",
                                    status=self.messages.PENDING)

    def test_insert_get_filter_and_page(self):
        stored = [self.permits.Insert(self.service.InsertPermitRequest(
            permit=self.permit("Py", "NY" if i % 2 else "CA"))) for i in range(12)]
        self.assertTrue(all(len(p.uuid) == 36 for p in stored))
        got = self.permits.Get(self.service.GetPermitRequest(uuid=stored[0].uuid))
        self.assertEqual(got, stored[0])

        request = self.service.FilterPermitsRequest(page_size=4)
        request.client.value = "Py"
        request.county.value = "NY"
        seen = []
        while True:
            page = self.permits.Filter(request)
            self.assertTrue(page.plan.startswith("index main_composite"), page.plan)
            seen += [p.uuid for p in page.permits]
            if not page.next_page_token:
                break
            request.page_token = page.next_page_token
        self.assertEqual(sorted(seen), sorted(p.uuid for p in stored if p.county == "NY"))

    def test_errors_have_codes_and_name_the_field(self):
        with self.assertRaises(grpc.RpcError) as error:
            self.permits.Get(self.service.GetPermitRequest(uuid="missing"))
        self.assertEqual(error.exception.code(), grpc.StatusCode.NOT_FOUND)
        with self.assertRaises(grpc.RpcError) as error:
            self.permits.Filter(self.service.FilterPermitsRequest(page_token="x"))
        self.assertEqual(error.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("page_token", error.exception.details())


if __name__ == "__main__":
    unittest.main()
