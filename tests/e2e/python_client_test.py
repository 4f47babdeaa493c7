#!/usr/bin/python3
"""A Python client (Debian's python3-grpcio, stubs generated from the emitted
service .proto) inserts, gets, filters and pages against the real server;
and server reflection answers as grpcurl asks it, with no .proto at hand.

Usage: python_client_test.py SERVER_BINARY GENERATED_ROOT
GENERATED_ROOT holds proto/examples/permits_service.proto.
"""
import os
import signal
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import stack  # noqa: E402
import grpc  # noqa: E402

REFLECTION_DIR = "/usr/share/gocode/src/google.golang.org/grpc/reflection"
# The standard grpc.health.v1 API. The server is built from Debian's copy
# (grpc/health/v1/health.proto), whose Python modules would land in the
# `grpc` package's own namespace: the test compiles this one as grpc_health_v1.
HEALTH_PROTO = """
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}
"""

SERVER, GENERATED = sys.argv[1], sys.argv[2]
del sys.argv[1:3]


class PythonClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        stubs_dir = os.path.join(cls.tmp.name, "stubs")
        os.makedirs(stubs_dir)
        cls.messages, cls.service, cls.stubs = stack.load_stubs(GENERATED, stubs_dir)
        cls.procs = stack.Processes(cls.tmp.name)
        cls.server, port = cls.procs.server("server", SERVER,
                                            data_dir=os.path.join(cls.tmp.name, "data"))
        cls.channel = grpc.insecure_channel("127.0.0.1:%d" % port)
        cls.permits = cls.stubs.PermitsStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        assert cls.procs.stop(cls.server) == 0
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

    def reflection(self, channel, metadata=()):
        """ask(**request) -> the first ServerReflectionResponse, over `channel`."""
        from grpc_tools import protoc
        out = os.path.join(self.tmp.name, "reflection")
        os.makedirs(out, exist_ok=True)
        self.assertEqual(protoc.main([
            "protoc", "-I" + REFLECTION_DIR, "--python_out=" + out,
            "--grpc_python_out=" + out,
            "grpc_reflection_v1alpha/reflection.proto"]), 0)
        sys.path.insert(0, out)
        from grpc_reflection_v1alpha import reflection_pb2, reflection_pb2_grpc
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)

        def ask(**request):
            responses = stub.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(**request)]), metadata=metadata)
            return next(iter(responses))
        return ask

    def test_reflection_lists_services_and_resolves_a_request_type(self):
        from google.protobuf import descriptor_pb2
        ask = self.reflection(self.channel)
        services = {s.name for s in ask(list_services="").list_services_response.service}
        for name in ("Permits", "ProcessingStatuses", "InspectionReports"):
            self.assertIn("lmdbapi.examples.permits." + name, services)
        for name in ("grpc.health.v1.Health", "lmdbapi.admin.v1.Admin",
                     "grpc.reflection.v1alpha.ServerReflection"):
            self.assertIn(name, services)
        missing = ask(file_containing_symbol="no.such.Symbol").error_response
        self.assertEqual(missing.error_code, grpc.StatusCode.NOT_FOUND.value[0])
        self.assertIn("no.such.Symbol", missing.error_message)

        # grpcurl describe: the file holding the method, then its input type.
        files = ask(file_containing_symbol="lmdbapi.examples.permits.Permits.Filter")
        protos = [descriptor_pb2.FileDescriptorProto.FromString(raw)
                  for raw in files.file_descriptor_response.file_descriptor_proto]
        methods = {m.name: m.input_type for f in protos for s in f.service
                   if s.name == "Permits" for m in s.method}
        self.assertEqual(methods["Filter"], ".lmdbapi.examples.permits.FilterPermitsRequest")
        request = next(m for f in protos for m in f.message_type
                       if m.name == "FilterPermitsRequest")
        self.assertIn("issued_min", [field.name for field in request.field])

    def test_with_a_token_reflection_needs_it_unless_opened(self):
        for opened in (False, True):
            with self.subTest(open_reflection=opened):
                server, port = self.procs.server(
                    "server-token", SERVER, "--auth_token=tok",
                    "--open_reflection=%s" % str(opened).lower(),
                    data_dir=os.path.join(self.tmp.name, "data-token"))
                try:
                    channel = grpc.insecure_channel("127.0.0.1:%d" % port)
                    with_token = self.reflection(channel, [("authorization", "Bearer tok")])
                    self.assertTrue(with_token(list_services="").list_services_response.service)
                    anonymous = self.reflection(channel)
                    if opened:
                        self.assertTrue(anonymous(list_services="").list_services_response.service)
                    else:
                        with self.assertRaises(grpc.RpcError) as e:
                            anonymous(list_services="")
                        self.assertEqual(e.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
                        self.assertIn("bearer token", e.exception.details())
                    channel.close()
                finally:
                    self.assertEqual(self.procs.stop(server), 0)

    def health(self):
        """The grpc.health.v1 messages and stub, generated from HEALTH_PROTO."""
        health_dir = os.path.join(self.tmp.name, "health")
        if not os.path.isdir(os.path.join(health_dir, "grpc_health_v1")):
            os.makedirs(os.path.join(health_dir, "grpc_health_v1"))
            with open(os.path.join(health_dir, "grpc_health_v1", "health.proto"), "w") as f:
                f.write(HEALTH_PROTO)
            from grpc_tools import protoc
            self.assertEqual(protoc.main([
                "protoc", "-I" + health_dir, "--python_out=" + health_dir,
                "--grpc_python_out=" + health_dir, "grpc_health_v1/health.proto"]), 0)
            sys.path.insert(0, health_dir)
        from grpc_health_v1 import health_pb2, health_pb2_grpc
        return health_pb2, health_pb2_grpc.HealthStub

    def test_health_reports_serving_per_service(self):
        health_pb2, Stub = self.health()
        stub = Stub(self.channel)
        for service in ("", "lmdbapi.examples.permits.Permits"):
            answer = stub.Check(health_pb2.HealthCheckRequest(service=service))
            self.assertEqual(answer.status, health_pb2.HealthCheckResponse.SERVING)
        with self.assertRaises(grpc.RpcError) as e:
            stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"))
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_health_watch_sends_the_status_then_ends_when_the_server_stops(self):
        health_pb2, Stub = self.health()
        status = health_pb2.HealthCheckResponse
        server, port = self.procs.server("server-watch", SERVER,
                                         data_dir=os.path.join(self.tmp.name, "data-watch"))
        channel = grpc.insecure_channel("127.0.0.1:%d" % port)
        try:
            stub = Stub(channel)
            unknown = stub.Watch(health_pb2.HealthCheckRequest(service="no.such.Service"))
            self.assertEqual(next(unknown).status, status.SERVICE_UNKNOWN)
            unknown.cancel()
            watch = stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=30)
            self.assertEqual(next(watch).status, status.SERVING)
            server.send_signal(signal.SIGTERM)  # the drain: NOT_SERVING, then the end
            self.assertEqual(next(watch).status, status.NOT_SERVING)
            with self.assertRaises(grpc.RpcError) as e:
                next(watch)
            self.assertEqual(e.exception.code(), grpc.StatusCode.UNAVAILABLE)
        finally:
            channel.close()
            self.assertEqual(self.procs.stop(server), 0)

    def test_errors_have_codes_and_name_the_field(self):
        with self.assertRaises(grpc.RpcError) as error:
            self.permits.Get(self.service.GetPermitRequest(uuid="missing"))
        self.assertEqual(error.exception.code(), grpc.StatusCode.NOT_FOUND)
        with self.assertRaises(grpc.RpcError) as error:
            self.permits.Filter(self.service.FilterPermitsRequest(page_token="x"))
        self.assertEqual(error.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("page_token", error.exception.details())


if __name__ == "__main__":
    stack.main()
