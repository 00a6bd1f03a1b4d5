// SPDX-License-Identifier: MIT
// userspace/common: JSON writer, option parser, byte order, UniqueFd, pattern.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

#include "byteorder.h"
#include "json.h"
#include "options.h"
#include "pattern.h"
#include "unique_fd.h"

namespace {

TEST(Json, FieldsInOrderAndStringsEscaped) {
  sdp::JsonObject inner;
  inner.num("DATA", 3u);
  sdp::JsonObject j;
  j.num("n", -2)
      .str("s", "a\"b\\c\n\x01")
      .boolean("ok", true)
      .fixed("ms", 1.25, 1)
      .raw("by", inner.str());
  EXPECT_EQ(j.str(), R"({"n":-2,"s":"a\"b\\c\n\u0001","ok":true,"ms":1.2,"by":{"DATA":3}})");
  EXPECT_EQ(sdp::JsonObject().str(), "{}");
  EXPECT_EQ(sdp::json_quote("plain"), "\"plain\"");
}

TEST(Options, ParsesDeclaredOptionsAndLeavesTheRest) {
  bool six = false;
  uint16_t port = 5000;
  std::string file;
  std::vector<std::string> peers;
  sdp::OptionParser p("tool", "NAME\n    tool - test\n", "EXAMPLES\n    tool x\n");
  p.flag("-6", "IPv6", six)
      .number("--port", "N", "port", port, 1, 65535)
      .string("--file", "F", "a file\nsecond line", file)
      .strings("--peer", "A:P", "repeatable", peers);
  auto rest = p.parse({"server", "--port", "4K", "-6", "--peer", "a", "--peer", "b", "--", "--x"});
  EXPECT_EQ(rest, (std::vector<std::string>{"server", "--x"}));
  EXPECT_TRUE(six);
  EXPECT_EQ(port, 4096);
  EXPECT_EQ(peers, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(p.parse({"--port=80", "--file="}).empty());
  EXPECT_EQ(port, 80);
  EXPECT_EQ(file, "");
  EXPECT_THROW(p.parse({"-6=1"}), sdp::UsageError);
  EXPECT_THROW(p.parse({"--nope"}), sdp::UsageError);
  EXPECT_THROW(p.parse({"--port"}), sdp::UsageError);
  EXPECT_THROW(p.parse({"--port", "0"}), sdp::UsageError);
  EXPECT_THROW(p.parse({"--port", "70000"}), sdp::UsageError);
  EXPECT_THROW(p.parse({"--port", "-1"}), sdp::UsageError);
  EXPECT_THROW(p.parse({"--port", "12x"}), sdp::UsageError);
  std::string h = p.help();
  EXPECT_EQ(h.find("NAME\n"), 0u);
  EXPECT_NE(h.find("OPTIONS\n    -6                  IPv6\n"), std::string::npos) << h;
  EXPECT_NE(h.find("    --file F            a file\n                        "
                   "second line\n"),
            std::string::npos)
      << h;
  EXPECT_NE(h.find("-h, --help"), std::string::npos);
  EXPECT_GT(h.find("EXAMPLES"), h.find("OPTIONS"));
}

TEST(Options, HelpCanBeLeftToTheCaller) {
  bool help = false, six = false;
  sdp::OptionParser p("tool", "");
  p.flag("-6", "IPv6", six).on_help(help);
  EXPECT_EQ(p.parse({"x", "--help"}), std::vector<std::string>{"x"});
  EXPECT_TRUE(help);
}

TEST(Options, UsageErrorsHaveOneStyle) {
  sdp::OptionParser p("tool", "");
  EXPECT_EXIT(p.parse_or_exit({"--bad"}), ::testing::ExitedWithCode(2),
              "^tool: error: unknown option '--bad'; try 'tool --help'\n$");
}

TEST(ByteOrder, LoadsStoresAndWireFields) {
  uint8_t b[8];
  sdp::put_be64(b, 0x0102030405060708ULL);
  EXPECT_EQ(b[0], 1);
  EXPECT_EQ(b[7], 8);
  EXPECT_EQ(sdp::get_be64(b), 0x0102030405060708ULL);
  EXPECT_EQ(sdp::get_be32(b), 0x01020304u);
  EXPECT_EQ(sdp::get_be16(b + 6), 0x0708);
  uint32_t field;
  std::memcpy(&field, b, 4);
  EXPECT_EQ(sdp::be(field), 0x01020304u);
}

TEST(UniqueFd, ClosesOnceAndMoves) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    sdp::UniqueFd a(raw);
    sdp::UniqueFd b(std::move(a));
    EXPECT_FALSE(a);
    EXPECT_EQ(b.get(), raw);
    sdp::UniqueFd c;
    c = std::move(b);
    EXPECT_EQ(c.get(), raw);
    EXPECT_GE(::fcntl(raw, F_GETFD), 0);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed
  sdp::UniqueFd d(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int r = d.release();
  EXPECT_FALSE(d);
  EXPECT_EQ(::close(r), 0);
}

TEST(Pattern, DistinctPerSeedAndStable) {
  std::vector<std::byte> a(64), b(64);
  sdp::fill_pattern(a, 1);
  sdp::fill_pattern(b, 2);
  EXPECT_NE(a, b);
  std::vector<std::byte> c(16);
  sdp::fill_pattern(c, 1);
  EXPECT_TRUE(std::equal(c.begin(), c.end(), a.begin()));  // a prefix of the longer one
}

}  // namespace
