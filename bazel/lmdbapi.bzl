# lmdbapi_schema: the one rule that turns a user's schema .proto into a service (the Bazel twin
# of CMake's lmdbapi_schema() in cmake/LmdbapiSchema.cmake).
#
#   load("//bazel:lmdbapi.bzl", "lmdbapi_schema")            # in lmdbapi's own workspace
#   load("@lmdbapi//bazel:lmdbapi.bzl", "lmdbapi_schema")    # in yours (see bazel/deps.bzl)
#
#   lmdbapi_schema(
#       name = "permits",
#       src = "examples/permits.proto",  # a .proto of THIS package, with (lmdbapi.table) options
#       deps = [],                       # lmdbapi_cc_proto targets of other .protos it imports
#       visibility = None,               # for every target below
#   )
#
# The schema imports "proto/lmdbapi/options.proto" (and may import google/protobuf/*.proto);
# imports are rooted at the repository root (lmdbapi's own protos at lmdbapi's root, which is
# where "proto/lmdbapi/options.proto" resolves from another workspace too). For <pkg>/<file>.proto, protoc-gen-lmdbapi
# (//codegen:protoc-gen-lmdbapi) generates into bazel-bin:
#   <pkg>/<file>_service.proto        the gRPC service (+ google.api.http REST bindings) for clients
#   <pkg>/<file>.lmdbapi.h / .cc      the table bindings and service implementations
#   <pkg>/<file>.lmdbapi_main.cc      main() of the server
#   <pkg>/<file>.gateway_main.go      main() of the REST gateway
# and the macro defines (labels relative to the calling package):
#   :<name>-server                cc_binary, the schema's server (`<name>-server --help`)
#   :<name>-gateway               the schema's REST gateway (Go binary built by the genrule
#                                 :<name>_gateway with gateway/build-gateway; `-help`)
#   :<name>_lmdbapi               cc_library: messages, services and bindings; LmdbapiSchema() in
#                                 the schema's package namespace, for a custom main()
#   :<name>_service_proto_file    filegroup with the generated <file>_service.proto (also
#                                 addressable as :<file>_service.proto relative to the package)
#   :<name>_schema_proto          cc_library of the schema's messages    (<pkg>/<file>.pb.h)
#   :<name>_service_proto         cc_library of the service's messages and gRPC stubs
#                                 (<pkg>/<file>_service.pb.h, <pkg>/<file>_service.grpc.pb.h)
#   :<name>_codegen               the genrule running protoc-gen-lmdbapi
# Headers are included by root-relative path, e.g. `#include "proto/examples/permits.lmdbapi.h"`,
# `#include "proto/examples/permits_service.grpc.pb.h"`, `#include "proto/examples/permits.pb.h"`.
#
# Example: //proto:permits (proto/BUILD.bazel) -> `bazel build //proto:permits-server`.

load(
    "//bazel:proto.bzl",
    "lmdbapi_cc_grpc",
    "lmdbapi_cc_proto",
    "proto_srcs",
    "protoc_cmd",
    "protoc_out",
)

# Labels of lmdbapi's own targets, resolved in THIS file's repository (Label()), so that the
# macro works the same in lmdbapi's workspace and from another one (@lmdbapi//...).
_PLUGIN = str(Label("//codegen:protoc-gen-lmdbapi"))
_OPTIONS = str(Label("//proto:options_proto"))  # proto/lmdbapi/options.proto
_GOOGLEAPIS = "@googleapis//:api_proto"  # google/api/{http,annotations}.proto
_SERVER = str(Label("//server:server"))
_GATEWAY_BUILD = str(Label("//gateway:build-gateway"))
_GATEWAY_SRCS = str(Label("//gateway:go_srcs"))
_VERSION = str(Label("//:VERSION"))  # build-gateway stamps it into the gateway
_SWAGGER_UI = "@swagger_ui//:dist"

# Where lmdbapi's repository is in the execution root: "" in lmdbapi's own workspace,
# "external/lmdbapi" in another: protoc's -I for proto/lmdbapi/options.proto.
_LMDBAPI_ROOT = Label("//proto:options_proto").workspace_root or "."

# The allocator of lmdbapi's programs, as cmake/LmdbapiAllocator.cmake links
# it: tcmalloc (Debian's libtcmalloc-minimal4, found by its file name).
ALLOCATOR_LINKOPTS = ["-l:libtcmalloc_minimal.so.4"]

def lmdbapi_schema(name, src, deps = [], visibility = None):
    """Service, bindings and server binary for the schema `src` (see the top of this file)."""
    src = src.lstrip(":")
    if not src.endswith(".proto") or src.startswith("//") or src.startswith("@"):
        fail("lmdbapi_schema(%s): src must be a .proto file of this package, got %s" % (name, src))
    base = src[:-len(".proto")]
    service = base + "_service.proto"
    schema_proto = name + "_schema_proto"
    service_proto = name + "_service_proto"

    # The schema's messages (and the .proto set protoc needs to load it: options.proto, deps).
    lmdbapi_cc_proto(
        name = schema_proto,
        srcs = [src],
        deps = [_OPTIONS] + deps,
        visibility = visibility,
    )

    native.genrule(
        name = name + "_codegen",
        srcs = [src, proto_srcs(":" + schema_proto)],
        outs = [
            service,
            base + ".lmdbapi.h",
            base + ".lmdbapi.cc",
            base + ".lmdbapi_main.cc",
            base + ".gateway_main.go",
        ],
        tools = [_PLUGIN],
        cmd = protoc_cmd(proto_srcs(":" + schema_proto), [src], [
            "--plugin=protoc-gen-lmdbapi=$(location %s)" % _PLUGIN,
            "--lmdbapi_out=" + protoc_out(),
        ]),
        message = "protoc-gen-lmdbapi " + src,
    )

    native.filegroup(
        name = name + "_service_proto_file",
        srcs = [service],
        visibility = visibility,
    )

    # The generated service .proto: it imports the schema and google/api/annotations.proto.
    # protoc_cmd puts $(GENDIR) before "." so it maps to <pkg>/<file>_service.proto.
    lmdbapi_cc_grpc(
        name = service_proto,
        srcs = [service],
        deps = [":" + schema_proto, _GOOGLEAPIS],
        visibility = visibility,
    )

    native.cc_library(
        name = name + "_lmdbapi",
        srcs = [base + ".lmdbapi.cc"],
        hdrs = [base + ".lmdbapi.h"],
        deps = [
            ":" + schema_proto,
            ":" + service_proto,
            _SERVER,
        ],
        visibility = visibility,
    )

    native.cc_binary(
        name = name + "-server",
        srcs = [base + ".lmdbapi_main.cc"],
        deps = [":" + name + "_lmdbapi"],
        linkopts = ALLOCATOR_LINKOPTS,
        visibility = visibility,
    )

    # The REST gateway: Go in GOPATH mode, outside the sandbox so that Go's build cache
    # (shared with the CMake build through $HOME/.cache/go-build) survives between builds.
    pkg = native.package_name()
    schema_path = (pkg + "/" + src) if pkg else src
    native.genrule(
        name = name + "_gateway",
        srcs = [
            service,
            base + ".gateway_main.go",
            src,
            proto_srcs(":" + schema_proto),
            _GATEWAY_SRCS,
            _VERSION,
            _SWAGGER_UI,
        ],
        outs = [name + "-gateway"],
        tools = [_GATEWAY_BUILD],
        cmd = " ".join([
            "$(execpath %s)" % _GATEWAY_BUILD,
            "--out $@",
            "--work $(@D)/%s_gateway.work" % name,
            "--schema " + schema_path,
            "--gen_root $(GENDIR)",
            "--swagger_ui $$(dirname $$(echo $(execpaths %s) | cut -d' ' -f1))" % _SWAGGER_UI,
            "--source_root .",
            "--proto_root " + _LMDBAPI_ROOT,
        ]),
        tags = ["no-sandbox"],
        message = "go build %s-gateway" % name,
        visibility = visibility,
    )
