// SPDX-License-Identifier: MIT
// sdp-kv's RESP codec and command execution: every command, malformed and
// oversized input, pipelined input as a TCP stream delivers it.
#include <gtest/gtest.h>

#include <string>

#include "commands.h"
#include "resp.h"
#include "store.h"

namespace {

using kv::resp::Command;
using kv::resp::Limits;
using kv::resp::Status;

std::string run(kv::Store& store, std::string_view input) {
  Command cmd;
  auto r = kv::resp::parse_command(input, Limits{}, cmd);
  EXPECT_EQ(r.status, Status::kOk) << (r.error ? r.error : "");
  EXPECT_EQ(r.consumed, input.size());
  std::string out;
  kv::CommandStats st;
  kv::execute(cmd, store, out, st);
  return out;
}

std::string cmd(std::initializer_list<std::string_view> argv) {
  std::string s;
  kv::resp::append_command(s, std::span(argv.begin(), argv.size()));
  return s;
}

TEST(Resp, ParsesArrayOfBulkStrings) {
  Command c;
  std::string in = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\r\nx!\r\n";
  auto r = kv::resp::parse_command(in, Limits{}, c);
  ASSERT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.consumed, in.size());
  ASSERT_EQ(c.argc, 3u);
  EXPECT_EQ(c.argv[0], "SET");
  EXPECT_EQ(c.argv[2], "v\r\nx!");  // binary safe
}

TEST(Resp, InlineCommands) {
  Command c;
  auto r = kv::resp::parse_command("PING  hello\r\nGET", Limits{}, c);
  ASSERT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.consumed, 13u);
  ASSERT_EQ(c.argc, 2u);
  EXPECT_EQ(c.argv[1], "hello");
  EXPECT_EQ(kv::resp::parse_command("PING", Limits{}, c).status, Status::kIncomplete);
}

TEST(Resp, EveryPrefixIsIncompleteAndPipelinedCommandsSplitAnywhere) {
  std::string stream = cmd({"SET", "key", std::string(300, 'v')}) + cmd({"GET", "key"}) + "PING\r\n" +
                       cmd({"DEL", "key", "other"}) + cmd({"EXISTS", "key"});
  // Whole stream: five commands back to back.
  size_t pos = 0, n = 0;
  while (pos < stream.size()) {
    Command c;
    auto r = kv::resp::parse_command(std::string_view(stream).substr(pos), Limits{}, c);
    ASSERT_EQ(r.status, Status::kOk) << "at " << pos;
    pos += r.consumed;
    n++;
  }
  EXPECT_EQ(n, 5u);
  // Every strict prefix of the first command is incomplete, never an error.
  std::string first = cmd({"SET", "key", std::string(300, 'v')});
  for (size_t i = 0; i < first.size(); i++) {
    Command c;
    EXPECT_EQ(kv::resp::parse_command(first.substr(0, i), Limits{}, c).status, Status::kIncomplete) << i;
  }
}

TEST(Resp, MalformedInputIsAnError) {
  for (std::string bad : {"*x\r\n", "*-1\r\n", "*0\r\n", "*1\r\n+OK\r\n", "*1\r\n$-1\r\n", "*1\r\n$3\r\nabcd\r\n",
                          "*1\r\n$3\r\nab", "*1\r\n$03x\r\n", "*1\n", "\x01garbage\r\n", "$3\r\nGET\r\n",
                          "*99999999999999999999\r\n", "*1\r\n$1\rx", "PI\"NG\r\n"}) {
    Command c;
    auto r = kv::resp::parse_command(bad, Limits{}, c);
    if (bad == "*1\r\n$3\r\nab") {
      EXPECT_EQ(r.status, Status::kIncomplete);
      continue;
    }
    EXPECT_EQ(r.status, Status::kError) << bad;
    EXPECT_NE(r.error, nullptr);
  }
}

TEST(Resp, LimitsAreEnforcedBeforeTheData) {
  Limits l;
  l.max_bulk = 100;
  l.max_request = 200;
  l.max_inline = 50;
  Command c;
  // The length alone is over the limit: an error at once, not "read more".
  auto r = kv::resp::parse_command("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$101\r\n", l, c);
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_STREQ(r.error, "Protocol error: invalid bulk length");
  r = kv::resp::parse_command("*3\r\n$3\r\nSET\r\n$100\r\n" + std::string(100, 'k') + "\r\n$100\r\n", l, c);
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_STREQ(r.error, "Protocol error: request too large");
  EXPECT_EQ(kv::resp::parse_command("*65\r\n", l, c).status, Status::kError);  // > kMaxArgs
  EXPECT_EQ(kv::resp::parse_command(std::string(51, 'a'), l, c).status, Status::kError);
}

TEST(Resp, Replies) {
  kv::resp::Reply r;
  std::string s;
  kv::resp::append_simple(s, "OK");
  kv::resp::append_error(s, "ERR x\r\ny");
  kv::resp::append_integer(s, -42);
  kv::resp::append_bulk(s, std::string("a\0b", 3));
  kv::resp::append_nil(s);
  EXPECT_EQ(s, std::string("+OK\r\n-ERR x  y\r\n:-42\r\n$3\r\na\0b\r\n$-1\r\n", 36));
  std::string_view in = s;
  kv::resp::ReplyType want[] = {kv::resp::ReplyType::kSimple, kv::resp::ReplyType::kError, kv::resp::ReplyType::kInteger,
                                kv::resp::ReplyType::kBulk, kv::resp::ReplyType::kNil};
  for (auto t : want) {
    auto p = kv::resp::parse_reply(in, 1 << 20, r);
    ASSERT_EQ(p.status, Status::kOk);
    EXPECT_EQ(r.type, t);
    in.remove_prefix(p.consumed);
  }
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(kv::resp::parse_reply("$5\r\nab", 1 << 20, r).status, Status::kIncomplete);
  EXPECT_EQ(kv::resp::parse_reply("$5\r\nabcdefg", 1 << 20, r).status, Status::kError);
  EXPECT_EQ(kv::resp::parse_reply("$50\r\n", 10, r).status, Status::kError);
  EXPECT_EQ(kv::resp::parse_reply("*1\r\n", 10, r).status, Status::kError);
}

TEST(Commands, EveryCommand) {
  kv::Store store(kv::Store::Limits{});
  EXPECT_EQ(run(store, cmd({"PING"})), "+PONG\r\n");
  EXPECT_EQ(run(store, cmd({"ping", "hi"})), "$2\r\nhi\r\n");
  EXPECT_EQ(run(store, cmd({"GET", "k"})), "$-1\r\n");
  EXPECT_EQ(run(store, cmd({"SET", "k", "v1"})), "+OK\r\n");
  EXPECT_EQ(run(store, cmd({"get", "k"})), "$2\r\nv1\r\n");
  EXPECT_EQ(run(store, cmd({"SET", "k", "longer value"})), "+OK\r\n");
  EXPECT_EQ(run(store, cmd({"GET", "k"})), "$12\r\nlonger value\r\n");
  EXPECT_EQ(run(store, cmd({"EXISTS", "k", "nope", "k"})), ":2\r\n");
  EXPECT_EQ(run(store, cmd({"DEL", "k", "nope"})), ":1\r\n");
  EXPECT_EQ(run(store, cmd({"EXISTS", "k"})), ":0\r\n");
  EXPECT_EQ(run(store, cmd({"GET"})), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(run(store, cmd({"SET", "k"})), "-ERR wrong number of arguments for 'set' command\r\n");
  EXPECT_EQ(run(store, cmd({"DEL"})), "-ERR wrong number of arguments for 'del' command\r\n");
  EXPECT_EQ(run(store, cmd({"SET", "k", "v", "EX", "10"})).substr(0, 16), "-ERR syntax erro");
  EXPECT_EQ(run(store, cmd({"FLUSHALL"})), "-ERR unknown command 'FLUSHALL'\r\n");
}

TEST(Store, MemoryIsBoundedAndReturned) {
  kv::Store::Limits l;
  l.max_memory = 10000;
  l.max_value = 4000;
  l.max_key = 16;
  kv::Store store(l);
  std::string v(3000, 'x');
  EXPECT_EQ(store.set("a", v), kv::Store::SetResult::kOk);
  EXPECT_EQ(store.set("b", v), kv::Store::SetResult::kOk);
  EXPECT_EQ(store.set("c", v), kv::Store::SetResult::kOk);
  EXPECT_EQ(store.set("d", v), kv::Store::SetResult::kOutOfMemory);
  EXPECT_LE(store.memory_used(), l.max_memory);
  EXPECT_EQ(store.set("a", "short"), kv::Store::SetResult::kOk);  // reuses the buffer
  EXPECT_EQ(store.set("e", std::string(4001, 'x')), kv::Store::SetResult::kValueTooLarge);
  EXPECT_EQ(store.set(std::string(17, 'k'), "v"), kv::Store::SetResult::kKeyTooLarge);
  EXPECT_TRUE(store.del("b"));
  EXPECT_EQ(store.set("d", v), kv::Store::SetResult::kOk);
  EXPECT_EQ(store.keys(), 3u);
  for (auto k : {"a", "c", "d"}) EXPECT_TRUE(store.del(k));
  EXPECT_EQ(store.memory_used(), 0u);
  EXPECT_EQ(store.keys(), 0u);
}

}  // namespace
