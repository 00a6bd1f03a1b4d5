// SPDX-License-Identifier: MIT
// A small JSON writer for the tools' one-line outputs: an object built field
// by field, strings escaped (RFC 8259), in the order the fields are added.
//   sdp::JsonObject j;
//   j.num("sent", n).str("src", addr).boolean("ok", ok).raw("by_type",
//   inner.str()); std::puts(j.str().c_str());   //
//   {"sent":3,"src":"10.0.0.1","ok":true,"by_type":{...}}
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

namespace sdp {

// s as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

class JsonObject {
 public:
  JsonObject& str(std::string_view key, std::string_view value);
  template <std::integral T>
  requires(!std::same_as<T, bool>) JsonObject& num(std::string_view key, T value) {
    return raw(key, std::to_string(value));
  }
  // A number with `digits` digits after the point.
  JsonObject& fixed(std::string_view key, double value, int digits);
  JsonObject& boolean(std::string_view key, bool value);
  // A value that is JSON already (a nested object or array).
  JsonObject& raw(std::string_view key, std::string_view json);
  bool empty() const { return body_.empty(); }
  std::string str() const { return "{" + body_ + "}"; }

 private:
  std::string body_;
};

}  // namespace sdp
