# C++ code generation from .proto files with the system protoc / grpc_cpp_plugin (no rules_proto).
# Import paths are rooted at the repository root (`import "tests/storage/test_records.proto";`);
# google/protobuf/*.proto resolve from /usr/include. Generated headers are included by the
# same root-relative path: `#include "tests/storage/test_records.pb.h"`.
#
#   lmdbapi_cc_proto(name, srcs, deps = [], includes = [], **kwargs)
#   lmdbapi_cc_grpc(name, srcs, deps = [], includes = [], mock = False, **kwargs)
#
# srcs: .proto files of THIS package. deps: other lmdbapi_cc_proto/lmdbapi_cc_grpc targets whose
# protos are imported. includes: extra absolute protoc -I dirs (import lookup only, no code is
# generated for them). kwargs (visibility, testonly, tags, ...) go to the cc_library `name`.
# lmdbapi_cc_grpc generates messages AND services, so do not also put the same .proto in an
# lmdbapi_cc_proto (duplicate descriptors abort at startup). mock = True adds `<name>_mock`
# (testonly cc_library with <file>_mock.grpc.pb.h, gMock stubs).

_PROTOC = "/usr/bin/protoc"
_GRPC_PLUGIN = "/usr/bin/grpc_cpp_plugin"
_SRCS = "_proto_srcs"  # suffix of the filegroup carrying a target's .proto files (transitively)

def _srcs_of(dep):
    # "//a/b:c" -> "//a/b:c_proto_srcs", "//a/b" -> "//a/b:b_proto_srcs", ":c" -> ":c_proto_srcs"
    if ":" in dep:
        return dep + _SRCS
    return dep + ":" + dep.split("/")[-1] + _SRCS

def _gen(name, srcs, deps, includes, grpc, mock, kwargs):
    srcs = [s.lstrip(":") for s in srcs]
    for s in srcs:
        if not s.endswith(".proto") or s.startswith("//") or s.startswith("@"):
            fail("%s: srcs must be .proto files of this package, got %s" % (name, s))
    bases = [s[:-len(".proto")] for s in srcs]
    common = {k: kwargs[k] for k in ("testonly", "tags", "compatible_with") if k in kwargs}

    # Main repo: root "."; inside an external repo: "external/<repo>".
    repo = native.repository_name().lstrip("@")
    root = "external/" + repo if repo else "."

    native.filegroup(
        name = name + _SRCS,
        srcs = srcs + [_srcs_of(d) for d in deps],
        visibility = ["//visibility:public"],
        **common
    )

    hdrs = [b + ".pb.h" for b in bases]
    ccs = [b + ".pb.cc" for b in bases]
    mocks = []
    args = ["-I" + root, "-I/usr/include"] + ["-I" + i for i in includes]
    args.append("--cpp_out=$(GENDIR)/" + root)
    if grpc:
        hdrs += [b + ".grpc.pb.h" for b in bases]
        ccs += [b + ".grpc.pb.cc" for b in bases]
        if mock:
            mocks = [b + "_mock.grpc.pb.h" for b in bases]
        args.append("--plugin=protoc-gen-grpc=" + _GRPC_PLUGIN)
        args.append("--grpc_out=%s$(GENDIR)/%s" % ("generate_mock_code=true:" if mock else "", root))

    native.genrule(
        name = name + "_gen",
        srcs = srcs + [":" + name + _SRCS],
        outs = hdrs + ccs + mocks,
        cmd = " ".join([_PROTOC] + args + ["$(execpath %s)" % s for s in srcs]),
        message = "protoc " + " ".join(srcs),
        **common
    )

    native.cc_library(
        name = name,
        srcs = ccs,
        hdrs = hdrs,
        deps = deps + ["@protobuf"] + (["@grpc"] if grpc else []),
        **kwargs
    )
    if mocks:
        native.cc_library(
            name = name + "_mock",
            hdrs = mocks,
            deps = [":" + name, "@gtest"],
            testonly = True,
            visibility = kwargs.get("visibility"),
        )

def lmdbapi_cc_proto(name, srcs, deps = [], includes = [], **kwargs):
    """Messages only: <file>.pb.{h,cc} in cc_library `name` (depends on @protobuf)."""
    _gen(name, srcs, deps, includes, False, False, kwargs)

def lmdbapi_cc_grpc(name, srcs, deps = [], includes = [], mock = False, **kwargs):
    """Messages + services: also <file>.grpc.pb.{h,cc} (depends on @protobuf and @grpc)."""
    _gen(name, srcs, deps, includes, True, mock, kwargs)
