// A small text printer for emitters: "$var$" substitution and indentation.
#ifndef LMDBAPI_CODEGEN_PRINTER_H_
#define LMDBAPI_CODEGEN_PRINTER_H_

#include <map>
#include <string>

#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace lmdbapi::codegen {

class Printer {
 public:
  using Vars = std::map<std::string, std::string>;

  // Appends `text` with each $name$ replaced by vars[name]; every line is
  // prefixed with the current indentation.
  void Print(const Vars& vars, absl::string_view text) {
    std::vector<std::pair<std::string, std::string>> replacements;
    for (const auto& [k, v] : vars) replacements.emplace_back("$" + k + "$", v);
    std::string expanded = absl::StrReplaceAll(text, replacements);
    for (char c : expanded) {
      if (at_line_start_ && c != '\n') out_.append(indent_, ' ');
      out_.push_back(c);
      at_line_start_ = c == '\n';
    }
  }
  void Print(absl::string_view text) { Print({}, text); }
  void Indent() { indent_ += 2; }
  void Outdent() { indent_ -= 2; }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
  int indent_ = 0;
  bool at_line_start_ = true;
};

}  // namespace lmdbapi::codegen

#endif  // LMDBAPI_CODEGEN_PRINTER_H_
