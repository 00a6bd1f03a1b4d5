// SPDX-License-Identifier: MIT
// The tools' command-line parser: options are declared once, with their
// help text, and the OPTIONS section of --help is generated from them.
//
//   sdp::OptionParser p("sdp-echo", kHeader, kExamples);
//   p.number("--port", "N", "server port (default 5000)", o.port, 1, 65535)
//    .flag("-6", "server: use an IPv6 socket", o.ipv6);
//   std::vector<std::string> rest = p.parse_or_exit(args);
//
// Usage errors all read "TOOL: error: WHAT; try 'TOOL --help'" and exit 2
// (parse_or_exit, fail); parse() throws sdp::UsageError instead.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sdp {

struct UsageError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

class OptionParser {
 public:
  // header: the text before OPTIONS (NAME, SYNOPSIS, DESCRIPTION); footer:
  // the text after it (EXAMPLES, exit status).
  OptionParser(std::string tool, std::string header, std::string footer = "");

  // An option without a value.
  OptionParser& flag(const std::string& name, const std::string& help, bool& out);
  // An option with a value, handed to `set` (which throws UsageError or
  // std::invalid_argument for a bad one).
  OptionParser& value(const std::string& name, const std::string& metavar, const std::string& help,
                      std::function<void(const std::string&)> set);
  OptionParser& string(const std::string& name, const std::string& metavar, const std::string& help,
                       std::string& out);
  // Repeatable: every value in order.
  OptionParser& strings(const std::string& name, const std::string& metavar,
                        const std::string& help, std::vector<std::string>& out);
  // A number lo..hi (suffixes K and M, see parse_size).
  template <typename T>
  OptionParser& number(const std::string& name, const std::string& metavar, const std::string& help,
                       T& out, uint64_t lo, uint64_t hi) {
    return value(name, metavar, help, [&out, name, lo, hi](const std::string& v) {
      out = static_cast<T>(number_in(name, v, lo, hi));
    });
  }

  // --help and -h set `out` instead of printing help() and exiting (for
  // callers that show help themselves).
  OptionParser& on_help(bool& out) {
    help_out_ = &out;
    return *this;
  }

  // Parses args (without argv[0]); returns the words that are not options,
  // in order. "--" ends the options; "--name=value" is "--name value". --help
  // and -h print help() to stdout and exit 0 (see on_help).
  std::vector<std::string> parse(const std::vector<std::string>& args) const;
  std::vector<std::string> parse_or_exit(const std::vector<std::string>& args) const;
  // parse_or_exit for a tool with modes: no arguments print help() to
  // stderr and exit 2; a first word "help" prints it to stdout, exit 0.
  std::vector<std::string> parse_modes_or_exit(const std::vector<std::string>& args) const;
  std::string help() const;
  const std::string& tool() const { return tool_; }
  [[noreturn]] void fail(const std::string& what) const;

  static uint64_t number_in(const std::string& name, const std::string& v, uint64_t lo,
                            uint64_t hi);

 private:
  struct Opt {
    std::string name, metavar, help;
    std::function<void(const std::string&)> set;  // null: a flag
    bool* flag = nullptr;
  };
  const Opt* find(const std::string& name) const;
  std::string tool_, header_, footer_;
  std::vector<Opt> opts_;
  bool* help_out_ = nullptr;
};

// "TOOL: error: WHAT; try 'TOOL --help'" on stderr, exit status 2.
[[noreturn]] void usage_error(const std::string& tool, const std::string& what);

}  // namespace sdp
