// SPDX-License-Identifier: MIT
#include "options.h"

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "sdp_args.h"

namespace sdp {

void usage_error(const std::string& tool, const std::string& what) {
  std::cerr << tool << ": error: " << what << "; try '" << tool << " --help'\n";
  std::exit(2);
}

OptionParser::OptionParser(std::string tool, std::string header, std::string footer)
    : tool_(std::move(tool)), header_(std::move(header)), footer_(std::move(footer)) {}

OptionParser& OptionParser::flag(const std::string& name, const std::string& help, bool& out) {
  opts_.push_back({name, "", help, nullptr, &out});
  return *this;
}

OptionParser& OptionParser::value(const std::string& name, const std::string& metavar,
                                  const std::string& help,
                                  std::function<void(const std::string&)> set) {
  opts_.push_back({name, metavar, help, std::move(set), nullptr});
  return *this;
}

OptionParser& OptionParser::string(const std::string& name, const std::string& metavar,
                                   const std::string& help, std::string& out) {
  return value(name, metavar, help, [&out](const std::string& v) { out = v; });
}

OptionParser& OptionParser::strings(const std::string& name, const std::string& metavar,
                                    const std::string& help, std::vector<std::string>& out) {
  return value(name, metavar, help, [&out](const std::string& v) { out.push_back(v); });
}

uint64_t OptionParser::number_in(const std::string& name, const std::string& v, uint64_t lo,
                                 uint64_t hi) {
  uint64_t n = 0;
  try {
    if (v.empty() || v[0] == '-' || v[0] == '+') throw std::invalid_argument("sign");
    n = parse_size(v, name.c_str());
  } catch (const std::exception&) {
    throw UsageError("bad value '" + v + "' for " + name);
  }
  if (n < lo || n > hi)
    throw UsageError(name + " must be " + std::to_string(lo) + ".." + std::to_string(hi));
  return n;
}

const OptionParser::Opt* OptionParser::find(const std::string& name) const {
  for (const auto& o : opts_)
    if (o.name == name) return &o;
  return nullptr;
}

std::vector<std::string> OptionParser::parse(const std::vector<std::string>& args) const {
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& a = args[i];
    if (a == "--") {
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    if (a == "--help" || a == "-h") {
      if (help_out_) {
        *help_out_ = true;
        continue;
      }
      std::cout << help();
      std::exit(0);
    }
    if (a.size() < 2 || a[0] != '-') {
      rest.push_back(a);
      continue;
    }
    size_t eq = a.rfind("--", 0) == 0 ? a.find('=') : std::string::npos;
    std::string name = a.substr(0, eq);
    const Opt* o = find(name);
    if (!o) throw UsageError("unknown option '" + a + "'");
    if (o->flag) {
      if (eq != std::string::npos) throw UsageError(name + " takes no value");
      *o->flag = true;
      continue;
    }
    if (eq == std::string::npos && i + 1 >= args.size())
      throw UsageError(name + " needs a value (" + o->metavar + ")");
    try {
      o->set(eq == std::string::npos ? args[++i] : a.substr(eq + 1));
    } catch (const UsageError&) {
      throw;
    } catch (const std::exception& e) {
      throw UsageError(name + ": " + e.what());
    }
  }
  return rest;
}

std::vector<std::string> OptionParser::parse_or_exit(const std::vector<std::string>& args) const {
  try {
    return parse(args);
  } catch (const UsageError& e) {
    fail(e.what());
  }
}

std::vector<std::string> OptionParser::parse_modes_or_exit(
    const std::vector<std::string>& args) const {
  if (args.empty() || args[0] == "help") {
    (args.empty() ? std::cerr : std::cout) << help();
    std::exit(args.empty() ? 2 : 0);
  }
  return parse_or_exit(args);
}

void OptionParser::fail(const std::string& what) const { usage_error(tool_, what); }

std::string OptionParser::help() const {
  std::ostringstream s;
  s << header_;
  if (!header_.empty() && header_.back() != '\n') s << '\n';
  s << "\nOPTIONS\n";
  for (const auto& o : opts_) {
    std::string lhs = "    " + o.name + (o.metavar.empty() ? "" : " " + o.metavar);
    s << lhs;
    // The help text from column 24, wrapped lines indented alike.
    bool first = true;
    std::istringstream lines(o.help);
    for (std::string line; std::getline(lines, line); first = false) {
      if (first && lhs.size() < 23)
        s << std::string(24 - lhs.size(), ' ');
      else
        s << '\n' << std::string(24, ' ');
      s << line;
    }
    s << '\n';
  }
  s << "    -h, --help          this text\n";
  if (!footer_.empty()) s << '\n' << footer_;
  if (!footer_.empty() && footer_.back() != '\n') s << '\n';
  return s.str();
}

}  // namespace sdp
