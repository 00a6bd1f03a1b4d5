// SPDX-License-Identifier: MIT
// sdpctl: argument parsing, module lookup, stats and kmsg parsers, rendering.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sdpctl_lib.h"

namespace {

using sdpctl::Args;
using sdpctl::Command;

Args ok(std::vector<std::string> argv) {
  auto r = sdpctl::parse_args(argv);
  EXPECT_TRUE(std::holds_alternative<Args>(r)) << std::get<std::string>(r);
  return std::holds_alternative<Args>(r) ? std::get<Args>(r) : Args{};
}

std::string err(std::vector<std::string> argv) {
  auto r = sdpctl::parse_args(argv);
  EXPECT_TRUE(std::holds_alternative<std::string>(r));
  return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "";
}

TEST(SdpctlArgs, NoArgumentsIsHelp) { EXPECT_EQ(ok({}).command, Command::kHelp); }

TEST(SdpctlArgs, HelpForms) {
  EXPECT_EQ(ok({"--help"}).command, Command::kHelp);
  EXPECT_EQ(ok({"help", "load"}).help_topic, "load");
  Args a = ok({"status", "--help"});
  EXPECT_EQ(a.command, Command::kHelp);
  EXPECT_EQ(a.help_topic, "status");
  EXPECT_NE(err({"help", "frobnicate"}).find("frobnicate"), std::string::npos);
  EXPECT_FALSE(err({"help", "a", "b"}).empty());
  for (const char* t : {"", "load", "unload", "status"}) {
    auto h = sdpctl::help_text(t);
    ASSERT_TRUE(h) << t;
    EXPECT_NE(h->find("SYNOPSIS"), std::string::npos) << t;
  }
}

TEST(SdpctlArgs, Version) { EXPECT_EQ(ok({"--version"}).command, Command::kVersion); }

TEST(SdpctlArgs, LoadWithModuleAndParams) {
  Args a = ok({"load", "--module", "/x/sdp.ko", "ip_proto=254", "timeout_ms=1000"});
  EXPECT_EQ(a.command, Command::kLoad);
  EXPECT_EQ(a.module_path, "/x/sdp.ko");
  ASSERT_EQ(a.params.size(), 2u);
  EXPECT_EQ(a.params[0].first, "ip_proto");
  EXPECT_EQ(a.params[0].second, "254");
  EXPECT_EQ(ok({"load", "--module=/y.ko"}).module_path, "/y.ko");
  EXPECT_TRUE(ok({"load", "--dry-run"}).dry_run);
}

TEST(SdpctlArgs, LoadErrors) {
  EXPECT_NE(err({"load", "--module"}).find("--module needs a path"), std::string::npos);
  EXPECT_NE(err({"load", "--module="}).find("needs a path"), std::string::npos);
  EXPECT_NE(err({"load", "foo"}).find("NAME=VALUE"), std::string::npos);
  EXPECT_NE(err({"load", "bad-name=1"}).find("bad module parameter name"), std::string::npos);
  EXPECT_NE(err({"load", "=1"}).find("bad module parameter name"), std::string::npos);
  EXPECT_NE(err({"load", "x="}).find("bad value"), std::string::npos);
  EXPECT_NE(err({"load", "x=a b"}).find("bad value"), std::string::npos);
  EXPECT_NE(err({"load", "--json"}).find("unknown option '--json'"), std::string::npos);
}

TEST(SdpctlArgs, StatusAndUnload) {
  EXPECT_TRUE(ok({"status", "--json"}).json);
  EXPECT_FALSE(ok({"status"}).json);
  EXPECT_EQ(ok({"unload"}).command, Command::kUnload);
  EXPECT_NE(err({"unload", "--force"}).find("unknown option"), std::string::npos);
  EXPECT_NE(err({"status", "x=1"}).find("unknown option"), std::string::npos);
  EXPECT_NE(err({"bogus"}).find("unknown command 'bogus'"), std::string::npos);
}

TEST(SdpctlModule, CandidatesInOrder) {
  auto c = sdpctl::module_candidates("", "/env/sdp.ko", "/repo/build/userspace/sdpctl", "6.1.0-56-amd64");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0], "/env/sdp.ko");
  EXPECT_EQ(c[1], "/repo/kmod/sdp.ko");
  EXPECT_EQ(c[2], "/lib/modules/6.1.0-56-amd64/extra/sdp.ko");
  EXPECT_EQ(sdpctl::module_candidates("/a.ko", "/env", "/x", "r"), std::vector<std::string>{"/a.ko"});
  EXPECT_EQ(sdpctl::module_candidates("", nullptr, "", "r").size(), 1u);
  EXPECT_EQ(sdpctl::module_candidates("", "", "", "r").size(), 1u);
}

TEST(SdpctlStats, ParsesCountersAndReportsMalformedLines) {
  auto st = sdpctl::parse_stats("tx_packets 10\nrx_packets 18446744073709551615\n\nbad\nx y\nz 99999999999999999999\n");
  ASSERT_EQ(st.counters.size(), 2u);
  EXPECT_EQ(st.counters[0].first, "tx_packets");
  EXPECT_EQ(st.counters[0].second, 10u);
  EXPECT_EQ(st.counters[1].second, UINT64_MAX);
  ASSERT_EQ(st.warnings.size(), 3u);
  EXPECT_NE(st.warnings[0].find("line 4"), std::string::npos);
}

TEST(SdpctlKmsg, StripsPrefixAndContinuation) {
  EXPECT_EQ(sdpctl::kmsg_message("3,1234,5678,-;sdp: ip_proto=300 is bad\n SUBSYSTEM=x\n"),
            "sdp: ip_proto=300 is bad");
  EXPECT_EQ(sdpctl::kmsg_message("no prefix"), "no prefix");
}

TEST(SdpctlJson, Escapes) {
  EXPECT_EQ(sdpctl::json_escape("a\"b\\c\n\t\x01"), "a\\\"b\\\\c\\n\\t\\u0001");
}

TEST(SdpctlStatus, ReadsFakeSysfsAndRenders) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("sdpctl-test-" + std::to_string(getpid()));
  fs::create_directories(root / "sys/module/sdp/parameters");
  fs::create_directories(root / "sys/kernel/btf");
  fs::create_directories(root / "proc/net");
  std::ofstream(root / "sys/module/sdp/initstate") << "live\n";
  std::ofstream(root / "sys/module/sdp/version") << "0.1.0\n";
  std::ofstream(root / "sys/module/sdp/refcnt") << "2\n";
  std::ofstream(root / "sys/module/sdp/parameters/ip_proto") << "253\n";
  std::ofstream(root / "sys/kernel/btf/sdp") << "x";
  std::ofstream(root / "proc/net/sdp_stats") << "rx_packets 7\n";
  fs::create_directories(root / "proc/sys/kernel");
  std::ofstream(root / "proc/sys/kernel/osrelease") << "6.1.0-56-amd64\n";
  auto st = sdpctl::read_status((root / "sys").string(), (root / "proc").string());
  EXPECT_TRUE(st.loaded);
  EXPECT_TRUE(st.btf);
  EXPECT_EQ(st.version, "0.1.0");
  EXPECT_EQ(st.params.at("ip_proto"), "253");
  ASSERT_TRUE(st.stats);
  std::string pretty = sdpctl::render_pretty(st), json = sdpctl::render_json(st);
  EXPECT_NE(pretty.find("ip_proto"), std::string::npos);
  EXPECT_NE(pretty.find("rx_packets"), std::string::npos);
  EXPECT_NE(json.find("\"ip_proto\":\"253\""), std::string::npos);
  EXPECT_NE(json.find("\"rx_packets\":7"), std::string::npos);
  EXPECT_NE(pretty.find("kernel:     6.1.0-56-amd64"), std::string::npos);
  EXPECT_NE(json.find("\"kernel\":\"6.1.0-56-amd64\""), std::string::npos);
  fs::remove_all(root);
  auto none = sdpctl::read_status((root / "sys").string(), (root / "proc").string());
  EXPECT_FALSE(none.loaded);
  EXPECT_EQ(sdpctl::render_json(none), "{\"loaded\":false}\n");
}

}  // namespace
