#include "cli/remote_commands.h"

#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/dynamic_call.h"
#include "cli/reflection_client.h"

namespace lmdbapi::cli {
namespace {

using google::protobuf::Message;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

int Fail(const char* command, const absl::Status& status) {
  std::cerr << "lmdbapi " << command << ": "
            << absl::StatusCodeToString(status.code()) << ": "
            << status.message() << "\n";
  return absl::IsInvalidArgument(status) ? 2 : 1;
}

int Usage(const char* command, const std::string& usage) {
  std::cerr << "lmdbapi " << command << ": usage: lmdbapi " << command
            << " --server ADDR " << usage << "\n";
  return 2;
}

// A connection and its reflection, for one subcommand.
struct Session {
  std::unique_ptr<Connection> connection;
  std::unique_ptr<ReflectionClient> reflection;
};

absl::StatusOr<Session> Connect(const RemoteOptions& options) {
  auto connection = Connection::Open(options);
  if (!connection.ok()) return connection.status();
  Session session{*std::move(connection), nullptr};
  session.reflection =
      std::make_unique<ReflectionClient>(session.connection.get());
  return session;
}

// `name` as the full name of a service the server serves: itself, or the
// one service whose last part it is ("Permits").
absl::StatusOr<std::string> ResolveService(ReflectionClient& reflection,
                                           const std::string& name) {
  auto services = reflection.ListServices();
  if (!services.ok()) return services.status();
  std::vector<std::string> matches;
  for (const std::string& s : *services) {
    if (s == name) return s;
    if (absl::EndsWith(s, absl::StrCat(".", name))) matches.push_back(s);
  }
  if (matches.size() == 1) return matches[0];
  return absl::NotFoundError(absl::StrCat(
      "service '", name, "' is ", matches.empty() ? "not served" : "ambiguous",
      "; the server serves: ", absl::StrJoin(*services, ", ")));
}

absl::StatusOr<const MethodDescriptor*> ResolveMethod(
    ReflectionClient& reflection, const std::string& path) {
  size_t cut = path.rfind('/');
  if (cut == std::string::npos) cut = path.rfind('.');
  if (cut == std::string::npos || cut == 0 || cut + 1 == path.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is not SERVICE/METHOD (e.g. ",
                     "lmdbapi.examples.permits.Permits/Get)"));
  }
  auto service = ResolveService(reflection, path.substr(0, cut));
  if (!service.ok()) return service.status();
  absl::Status loaded = reflection.LoadSymbol(*service);
  if (!loaded.ok()) return loaded;
  const ServiceDescriptor* s = reflection.pool()->FindServiceByName(*service);
  const MethodDescriptor* m = s->FindMethodByName(path.substr(cut + 1));
  if (m != nullptr) return m;
  std::vector<std::string> names;
  for (int i = 0; i < s->method_count(); ++i)
    names.push_back(s->method(i)->name());
  return absl::NotFoundError(absl::StrCat(
      "service ", *service, " has no method '", path.substr(cut + 1),
      "'; its methods: ", absl::StrJoin(names, ", ")));
}

// The requests: `json` ("-": stdin); for a client-streaming method, one
// request per non-empty line.
std::vector<std::string> Requests(const MethodDescriptor& method,
                                  const std::string& json) {
  std::string text = json;
  if (json == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin),
                std::istreambuf_iterator<char>());
  }
  std::vector<std::string> requests;
  if (!method.client_streaming()) {
    std::string one(absl::StripAsciiWhitespace(text));
    requests.push_back(one.empty() ? "{}" : one);
    return requests;
  }
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) requests.emplace_back(line);
  }
  return requests;
}

absl::Status Call(ReflectionClient& reflection, const Connection& connection,
                  const MethodDescriptor& method,
                  const std::vector<std::string>& requests) {
  auto* factory = reflection.factory();
  const Message* in = factory->GetPrototype(method.input_type());
  const Message* out = factory->GetPrototype(method.output_type());
  size_t next = 0;
  return CallMethod(
      connection, method, *in, *out,
      [&](Message* request) -> absl::StatusOr<bool> {
        if (next == requests.size()) return false;
        absl::Status parsed = FromJson(requests[next], request);
        if (!parsed.ok() && requests.size() > 1) {
          return absl::InvalidArgumentError(
              absl::StrCat("request ", next + 1, ": ", parsed.message()));
        }
        if (!parsed.ok()) return parsed;
        ++next;
        return true;
      },
      [](const Message& response) -> absl::Status {
        auto json = ToJson(response);
        if (!json.ok()) return json.status();
        std::cout << *json << std::endl;
        return absl::OkStatus();
      });
}

// What `name` names in the pool, as .proto text; NOT_FOUND if nothing.
absl::StatusOr<std::string> DescribeSymbol(const ReflectionClient& reflection,
                                           const std::string& name) {
  const auto* pool = reflection.pool();
  if (const auto* s = pool->FindServiceByName(name)) return s->DebugString();
  if (const auto* m = pool->FindMethodByName(name)) return m->DebugString();
  if (const auto* m = pool->FindMessageTypeByName(name)) {
    return m->DebugString();
  }
  if (const auto* e = pool->FindEnumTypeByName(name)) return e->DebugString();
  return absl::NotFoundError(
      absl::StrCat("'", name,
                   "' is no service, method, message or enum "
                   "of this server"));
}

absl::StatusOr<std::string> Describe(ReflectionClient& reflection,
                                     const std::string& name) {
  if (name.find('/') != std::string::npos) {
    auto method = ResolveMethod(reflection, name);
    if (!method.ok()) return method.status();
    return (*method)->DebugString();
  }
  absl::Status loaded = reflection.LoadSymbol(name);
  if (loaded.ok()) return DescribeSymbol(reflection, name);
  if (!absl::IsNotFound(loaded)) return loaded;
  auto service = ResolveService(reflection, name);  // a short name
  if (service.ok() && reflection.LoadSymbol(*service).ok()) {
    return DescribeSymbol(reflection, *service);
  }
  auto method = ResolveMethod(reflection, name);  // SERVICE.METHOD
  if (method.ok()) return (*method)->DebugString();
  return DescribeSymbol(reflection, name);
}

absl::StatusOr<std::string> DescribeAll(ReflectionClient& reflection) {
  auto services = reflection.ListServices();
  if (!services.ok()) return services.status();
  std::string text;
  for (const std::string& name : *services) {
    auto one = Describe(reflection, name);
    if (absl::IsNotFound(one.status())) {  // grpc.health.v1.Health
      one = absl::StrCat("// ", name, ": the server has no descriptor of it\n");
    }
    if (!one.ok()) return one.status();
    absl::StrAppend(&text, text.empty() ? "" : "\n", *one);
  }
  return text;
}

}  // namespace

int RunCall(const RemoteOptions& options,
            const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) {
    return Usage("call", "SERVICE/METHOD [JSON|-]");
  }
  auto session = Connect(options);
  if (!session.ok()) return Fail("call", session.status());
  auto method = ResolveMethod(*session->reflection, args[0]);
  if (!method.ok()) return Fail("call", method.status());
  absl::Status called =
      Call(*session->reflection, *session->connection, **method,
           Requests(**method, args.size() > 1 ? args[1] : "-"));
  return called.ok() ? 0 : Fail("call", called);
}

int RunListServices(const RemoteOptions& options,
                    const std::vector<std::string>& args) {
  if (!args.empty()) return Usage("list-services", "");
  auto session = Connect(options);
  if (!session.ok()) return Fail("list-services", session.status());
  auto services = session->reflection->ListServices();
  if (!services.ok()) return Fail("list-services", services.status());
  for (const std::string& name : *services) std::cout << name << "\n";
  return 0;
}

int RunDescribe(const RemoteOptions& options,
                const std::vector<std::string>& args) {
  if (args.size() > 1) return Usage("describe", "[NAME]");
  auto session = Connect(options);
  if (!session.ok()) return Fail("describe", session.status());
  auto text = args.empty() ? DescribeAll(*session->reflection)
                           : Describe(*session->reflection, args[0]);
  if (!text.ok()) return Fail("describe", text.status());
  std::cout << *text;
  return 0;
}

}  // namespace lmdbapi::cli
