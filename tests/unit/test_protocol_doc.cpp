// SPDX-License-Identifier: MIT
// docs/PROTOCOL.md against kmod/: every size and offset the document states
// (header sizes of sections 2-3, the record layout of sections 4 and 6, the
// worked examples) is read from the document's text and compared with the
// constants and helpers the module is built from, so the document cannot
// drift from the code again (it once said 37 where the code uses 45).
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "sdp_record.h"
#include "sdp_wire.h"

namespace {

std::string read_doc() {
  std::ifstream f(SDP_PROTOCOL_MD);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The text of section "## N." up to the next "## " heading ("" if absent).
std::string section(const std::string& doc, int n) {
  const std::string head = "\n## " + std::to_string(n) + ".";
  size_t a = doc.find(head);
  if (a == std::string::npos) return "";
  size_t b = doc.find("\n## ", a + head.size());
  return doc.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

struct Checker {
  std::vector<std::string> problems;

  // All numeric captures of `re` in `text`; a problem if it does not match.
  std::vector<long> grab(const std::string& text, const std::string& re, const std::string& what) {
    std::smatch m;
    if (!std::regex_search(text, m, std::regex(re))) {
      problems.push_back("PROTOCOL.md no longer states " + what + " (pattern: " + re + ")");
      return {};
    }
    std::vector<long> v;
    for (size_t i = 1; i < m.size(); i++) v.push_back(std::stol(m[i].str(), nullptr, 0));
    return v;
  }
  // The one number `re` captures in `text` must be `code`.
  void one(const std::string& text, const std::string& re, const std::string& what, long code) {
    for (long v : grab(text, re, "the " + what)) expect(what, v, code);
  }
  void expect(const std::string& what, long doc, long code) {
    if (doc != code)
      problems.push_back(what + ": PROTOCOL.md says " + std::to_string(doc) + ", kmod/ has " + std::to_string(code));
  }
};

struct TypeRow {
  const char* name;
  long value;
  size_t hdr;
};

// Every mismatch between the document's numbers and kmod/ (empty: none).
std::vector<std::string> check_protocol_doc(const std::string& doc) {
  Checker c;
  const std::string s2 = section(doc, 2), s3 = section(doc, 3), s4 = section(doc, 4), s6 = section(doc, 6);

  // Section 2: the common header and the type table.
  c.one(doc, R"(## 2\. Common header \((\d+) bytes)", "common header bytes", sizeof(struct sdp_common_hdr));
  const TypeRow rows[] = {
      {"DATA", SDP_PKT_DATA, sizeof(struct sdp_data_hdr)},
      {"GRANT", SDP_PKT_GRANT, sizeof(struct sdp_grant_hdr)},
      {"RESEND", SDP_PKT_RESEND, sizeof(struct sdp_resend_hdr)},
      {"UNKNOWN", SDP_PKT_UNKNOWN, sizeof(struct sdp_ctrl_hdr)},
      {"BUSY", SDP_PKT_BUSY, sizeof(struct sdp_ctrl_hdr)},
      {"NEED_ACK", SDP_PKT_NEED_ACK, sizeof(struct sdp_ctrl_hdr)},
      {"ACK", SDP_PKT_ACK, sizeof(struct sdp_ack_hdr)},
  };
  for (const auto& r : rows) {
    std::string n = r.name;
    auto v =
        c.grab(s2, "\\| " + n + " \\| (0x[0-9a-f]+) \\| (\\d+) \\| (0x[0-9a-f]+) \\|", "the type table row of " + n);
    if (v.size() == 3) {
      c.expect(n + " type value", v[0], r.value);
      c.expect(n + " header bytes", v[1], static_cast<long>(r.hdr));
      c.expect(n + " doff byte", v[2], static_cast<long>((r.hdr / 4) << 4));
    }
  }
  // Section 3: the headings "### DATA (40 bytes + payload)", "### UNKNOWN,
  // BUSY, NEED_ACK (28 bytes)".
  c.one(s3, R"(### DATA \((\d+) bytes)", "DATA header bytes (section 3)", sizeof(struct sdp_data_hdr));
  c.one(s3, R"(### GRANT \((\d+) bytes)", "GRANT header bytes (section 3)", sizeof(struct sdp_grant_hdr));
  c.one(s3, R"(### RESEND \((\d+) bytes)", "RESEND header bytes (section 3)", sizeof(struct sdp_resend_hdr));
  c.one(s3, R"(### UNKNOWN, BUSY, NEED_ACK \((\d+) bytes)", "UNKNOWN/BUSY/NEED_ACK bytes (section 3)",
        sizeof(struct sdp_ctrl_hdr));
  c.one(s3, R"(### ACK \((\d+) bytes)", "ACK header bytes (section 3)", sizeof(struct sdp_ack_hdr));
  c.one(s3, R"(exactly the (\d+)-byte authentication trailer)", "control trailer bytes (section 3)",
        SDP_CTRL_TRAILER_LEN);

  // Section 4: where records start, the wire length, and the worked example.
  c.one(s4, R"(starts at wire\s+offset `k \* \(rec_plain \+ (\d+)\)`)",
        "record overhead in record k's offset (section 4)", SDP_RECORD_OVERHEAD);
  c.one(s4, R"(wire length = `msg_len \+ nrec \* (\d+)`)", "record overhead in the wire length (section 4)",
        SDP_RECORD_OVERHEAD);
  auto ex = c.grab(s4,
                   R"(`msg_len` (\d+) with `rec_plain` (\d+): nrec = (\d+); the records start\s+)"
                   R"(at wire offsets (\d+), (\d+) and (\d+) and hold (\d+), (\d+) and (\d+)\s+)"
                   R"(application bytes; wire length = (\d+)\.)",
                   "the section 4 example");
  if (ex.size() == 10) {
    const auto msg_len = static_cast<u32>(ex[0]), rec_plain = static_cast<u32>(ex[1]);
    c.expect("example: records", ex[2], sdp_record_count(msg_len, rec_plain));
    u32 end = 0;
    for (u32 k = 0; k < 3; k++) {
      struct sdp_record_geom g {};
      if (!sdp_record_locate(msg_len, rec_plain, k, &g)) {
        c.problems.push_back("example: sdp_record_locate has no record " + std::to_string(k));
        continue;
      }
      c.expect("example: offset of record " + std::to_string(k), ex[3 + k], g.wire_off);
      c.expect("example: application bytes of record " + std::to_string(k), ex[6 + k], g.app_len);
      end = g.wire_off + g.wire_len;
    }
    c.expect("example: wire length", ex[9], end);
  }

  // Section 6: the record layout table and its sum.
  auto lenrow = c.grab(s6, R"(\| (\d+) \| `17 03 03` and length \(be16\) = (\d+) \+ (\d+) \+ app \+ (\d+) \|)",
                       "the TLS header row");
  if (lenrow.size() == 4) {
    c.expect("TLS header bytes", lenrow[0], SDP_TLS_HDR_LEN);
    c.expect("record length: explicit nonce", lenrow[1], SDP_TLS_NONCE_LEN);
    c.expect("record length: framing header", lenrow[2], SDP_FRAME_LEN);
    c.expect("record length: tag", lenrow[3], SDP_TLS_TAG_LEN);
  }
  c.one(s6, R"(\| (\d+) \| explicit nonce)", "explicit nonce bytes", SDP_TLS_NONCE_LEN);
  c.one(s6, R"(\| (\d+) \+ app \| ciphertext of the framing header)", "framing header bytes", SDP_FRAME_LEN);
  c.one(s6, R"(\| (\d+) \| GCM tag)", "tag bytes", SDP_TLS_TAG_LEN);
  c.one(s6, R"(So a record costs (\d+) bytes \(`SDP_RECORD_OVERHEAD`\))", "record overhead (section 6)",
        SDP_RECORD_OVERHEAD);
  c.one(s6, R"(`rec_plain` <= (\d+))", "largest rec_plain", SDP_RECORD_PLAIN_MAX);
  c.one(s6, R"(a (\d+)-byte trailer)", "control trailer bytes (section 6)", SDP_CTRL_TRAILER_LEN);
  // The worked example: one record of the 10-byte "hello, SDP".
  std::smatch m;
  if (std::regex_search(s6, m, std::regex(R"(record header\s+17 03 03 00 ([0-9a-f]{2}))")))
    c.expect("worked example: record length field", std::stol(m[1].str(), nullptr, 16),
             SDP_TLS_NONCE_LEN + SDP_FRAME_LEN + 10 + SDP_TLS_TAG_LEN);
  else
    c.problems.push_back("PROTOCOL.md no longer shows the worked example's record header");
  return c.problems;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += "  " + x + "\n";
  return s;
}

TEST(ProtocolDoc, NumbersMatchKmod) {
  const std::string doc = read_doc();
  ASSERT_FALSE(doc.empty()) << "cannot read " << SDP_PROTOCOL_MD;
  auto p = check_protocol_doc(doc);
  EXPECT_TRUE(p.empty()) << "docs/PROTOCOL.md disagrees with kmod/:\n" << join(p);
}

// The check catches the old mistake: 37 instead of 45 in section 4.
TEST(ProtocolDoc, CatchesTheOldRecordOverhead) {
  std::string doc = read_doc();
  ASSERT_FALSE(doc.empty());
  doc = std::regex_replace(doc, std::regex(R"(rec_plain \+ 45\))"), "rec_plain + 37)");
  doc = std::regex_replace(doc, std::regex(R"(nrec \* 45`)"), "nrec * 37`");
  auto p = check_protocol_doc(doc);
  ASSERT_EQ(p.size(), 2u) << join(p);
  EXPECT_NE(p[0].find("says 37, kmod/ has 45"), std::string::npos) << p[0];
}

// A changed example offset or header size is caught too.
TEST(ProtocolDoc, CatchesAWrongExampleAndHeaderSize) {
  std::string doc = read_doc();
  ASSERT_FALSE(doc.empty());
  auto p0 = check_protocol_doc(std::regex_replace(doc, std::regex("offsets 0, 16413"), "offsets 0, 16405"));
  EXPECT_EQ(p0.size(), 1u) << join(p0);
  auto p1 = check_protocol_doc(std::regex_replace(doc, std::regex(R"(### DATA \(40 bytes)"), "### DATA (32 bytes"));
  EXPECT_EQ(p1.size(), 1u) << join(p1);
  auto p2 = check_protocol_doc(std::regex_replace(doc, std::regex("So a record costs 45"), "So a record costs"));
  EXPECT_EQ(p2.size(), 1u) << join(p2);
}

}  // namespace
