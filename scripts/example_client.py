#!/usr/bin/python3
"""Calls a running permits server: insert, get, filter, page.

Usage: /usr/bin/python3 scripts/example_client.py [HOST:PORT]
Generates Python stubs from the emitted service .proto into a temporary
directory (needs the CMake build and Debian's python3-grpc-tools).
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOOGLEAPIS = ("/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/"
              "third_party/googleapis")


def load_stubs(build_dir, out_dir):
    """Generates and imports the permits messages and service stubs."""
    protos = ["proto/examples/permits.proto", "proto/lmdbapi/options.proto"]
    args = ["-I" + ROOT, "-I" + build_dir, "-I" + GOOGLEAPIS, "-I/usr/include",
            "--python_out=" + out_dir, "--grpc_python_out=" + out_dir]
    from grpc_tools import protoc
    for proto in protos + ["google/api/annotations.proto", "google/api/http.proto"]:
        if protoc.main(["protoc"] + args + [proto]) != 0:
            raise RuntimeError("protoc failed on " + proto)
    if protoc.main(["protoc"] + args + ["proto/examples/permits_service.proto"]) != 0:
        raise RuntimeError("protoc failed on the service proto")
    sys.path.insert(0, out_dir)
    import proto.examples.permits_pb2 as messages  # noqa: E402
    import proto.examples.permits_service_pb2 as service  # noqa: E402
    import proto.examples.permits_service_pb2_grpc as stubs  # noqa: E402
    return messages, service, stubs


def main():
    address = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051"
    import grpc
    with tempfile.TemporaryDirectory() as out:
        messages, service, stubs = load_stubs(os.path.join(ROOT, "build"), out)
        with grpc.insecure_channel(address) as channel:
            permits = stubs.PermitsStub(channel)
            stored = permits.Insert(service.InsertPermitRequest(
                permit=messages.Permit(client="Acme", county="NY",
                                       county_status="Active",
                                       status=messages.PENDING)))
            print("inserted", stored.uuid)
            print("got", permits.Get(service.GetPermitRequest(uuid=stored.uuid)).client)
            request = service.FilterPermitsRequest(page_size=5)
            request.county.value = "NY"
            request.client.value = "Acme"
            page = permits.Filter(request)
            print("filter: %d records, plan: %s" % (len(page.permits), page.plan))


if __name__ == "__main__":
    main()
