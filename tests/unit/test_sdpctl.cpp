// SPDX-License-Identifier: MIT
// sdpctl: argument parsing, module lookup, stats and kmsg parsers, rendering.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sdp_socket.h"
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
  EXPECT_NE(err({"load", "--module"}).find("--module needs a value (PATH)"), std::string::npos);
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
  auto c = sdpctl::module_candidates("", "/env/sdp.ko", "/repo/build/userspace/sdpctl",
                                     "6.1.0-56-amd64");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0], "/env/sdp.ko");
  EXPECT_EQ(c[1], "/repo/kmod/sdp.ko");
  EXPECT_EQ(c[2], "/lib/modules/6.1.0-56-amd64/extra/sdp.ko");
  EXPECT_EQ(sdpctl::module_candidates("/a.ko", "/env", "/x", "r"),
            std::vector<std::string>{"/a.ko"});
  EXPECT_EQ(sdpctl::module_candidates("", nullptr, "", "r").size(), 1u);
  EXPECT_EQ(sdpctl::module_candidates("", "", "", "r").size(), 1u);
}

TEST(SdpctlStats, ParsesCountersAndReportsMalformedLines) {
  auto st = sdpctl::parse_stats(
      "tx_packets 10\nrx_packets 18446744073709551615\n\nbad\nx y\nz 99999999999999999999\n");
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
  // render_json writes through the shared JSON writer (userspace/common/json.h).
  sdpctl::Status st;
  st.loaded = true;
  st.version = "a\"b\\c\n\t\x01";
  EXPECT_NE(sdpctl::render_json(st).find("\"version\":\"a\\\"b\\\\c\\n\\t\\u0001\""),
            std::string::npos)
      << sdpctl::render_json(st);
}

TEST(SdpctlArgs, Genkey) {
  Args a = ok({"genkey", "/tmp/k"});
  EXPECT_EQ(a.command, Command::kGenkey);
  EXPECT_EQ(a.key_file, "/tmp/k");
  EXPECT_EQ(a.cipher, SDP_CIPHER_AES_GCM_128);
  EXPECT_EQ(a.epoch, 1);
  a = ok({"genkey", "--cipher", "aes256", "--epoch", "9", "/tmp/k"});
  EXPECT_EQ(a.cipher, SDP_CIPHER_AES_GCM_256);
  EXPECT_EQ(a.epoch, 9);
  EXPECT_EQ(ok({"genkey", "--cipher", "aes-gcm-128", "f"}).cipher, SDP_CIPHER_AES_GCM_128);
  EXPECT_NE(err({"genkey"}).find("FILE"), std::string::npos);
  EXPECT_NE(err({"genkey", "a", "b"}).find("one file"), std::string::npos);
  EXPECT_NE(err({"genkey", "--cipher", "des", "f"}).find("unknown cipher 'des'"),
            std::string::npos);
  EXPECT_NE(err({"genkey", "--cipher"}).find("--cipher needs a value (aes128|aes256)"),
            std::string::npos);
  EXPECT_EQ(ok({"genkey", "--cipher=aes256", "--epoch=2", "f"}).epoch, 2);
  EXPECT_NE(err({"genkey", "--epoch", "0", "f"}).find("1..255"), std::string::npos);
  EXPECT_NE(err({"genkey", "--epoch", "256", "f"}).find("1..255"), std::string::npos);
  EXPECT_NE(err({"genkey", "--json", "f"}).find("unknown option"), std::string::npos);
  EXPECT_EQ(ok({"genkey", "--help"}).help_topic, "genkey");
  EXPECT_NE(sdpctl::help_text("genkey")->find("0600"), std::string::npos);
  // The OPTIONS section is generated from the parser's options.
  EXPECT_NE(sdpctl::help_text("genkey")->find("\nOPTIONS\n    --cipher aes128|aes256"),
            std::string::npos)
      << *sdpctl::help_text("genkey");
  EXPECT_NE(sdpctl::help_text("load")->find("    --module PATH"), std::string::npos);
  EXPECT_NE(sdpctl::help_text("status")->find("    --json"), std::string::npos);
}

TEST(SdpctlGenkey, WritesA0600FileOnceThatLibsdpReads) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("sdpctl-genkey-" + std::to_string(getpid()));
  fs::create_directories(dir);
  mode_t old = umask(0);  // a permissive umask must not widen the mode
  for (uint16_t cipher : {SDP_CIPHER_AES_GCM_128, SDP_CIPHER_AES_GCM_256}) {
    std::string path = (dir / ("k" + std::to_string(cipher))).string();
    ASSERT_EQ(sdpctl::write_key_file(path, sdpctl::new_key_file_text(cipher, 3)), "");
    EXPECT_EQ(fs::status(path).permissions(), fs::perms::owner_read | fs::perms::owner_write);
    auto km = sdp::KeyMaterial::load(path);
    EXPECT_EQ(km.cipher, cipher);
    EXPECT_EQ(km.epoch, 3);
    EXPECT_EQ(km.c2s_key.size(), cipher == SDP_CIPHER_AES_GCM_256 ? 32u : 16u);
    EXPECT_NE(km.c2s_key, km.s2c_key);
    // Never overwritten: the file keeps its keys.
    std::string again = sdpctl::write_key_file(path, sdpctl::new_key_file_text(cipher, 3));
    EXPECT_NE(again.find("already exists"), std::string::npos) << again;
    EXPECT_EQ(sdp::KeyMaterial::load(path).c2s_key, km.c2s_key);
  }
  umask(old);
  // Two runs give other keys.
  EXPECT_NE(sdpctl::new_key_file_text(SDP_CIPHER_AES_GCM_128, 1),
            sdpctl::new_key_file_text(SDP_CIPHER_AES_GCM_128, 1));
  EXPECT_NE(sdpctl::write_key_file((dir / "no/such/dir").string(), "x").find("cannot create"),
            std::string::npos);
  fs::remove_all(dir);
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
