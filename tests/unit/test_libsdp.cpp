// SPDX-License-Identifier: MIT
// libsdp's host-side parts (no module needed): key files (KeyMaterial
// load / format, move-only, wiped), Address::any, Received.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

#include "sdp_socket.h"

namespace {

sdp::KeyMaterial sample(uint16_t cipher) {
  sdp::KeyMaterial km;
  km.cipher = cipher;
  km.epoch = 7;
  size_t n = cipher == SDP_CIPHER_AES_GCM_256 ? 32 : 16;
  for (size_t i = 0; i < n; i++) {
    km.c2s_key.push_back(static_cast<uint8_t>(i));
    km.s2c_key.push_back(static_cast<uint8_t>(0x80 + i));
  }
  km.c2s_salt = {1, 2, 3, 4};
  km.s2c_salt = {5, 6, 7, 8};
  return km;
}

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/sdp-libsdp-test-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  return path;
}

TEST(KeyMaterial, FormatIsWhatLoadReads) {
  for (uint16_t c : {SDP_CIPHER_AES_GCM_128, SDP_CIPHER_AES_GCM_256}) {
    auto km = sample(c);
    std::string text = sdp::KeyMaterial::format(km);
    EXPECT_EQ(
        text.find(c == SDP_CIPHER_AES_GCM_256 ? "cipher aes-gcm-256\n" : "cipher aes-gcm-128\n"),
        0u);
    std::string path = write_temp(text);
    auto back = sdp::KeyMaterial::load(path);
    unlink(path.c_str());
    EXPECT_EQ(back.cipher, km.cipher);
    EXPECT_EQ(back.epoch, km.epoch);
    EXPECT_EQ(back.c2s_key, km.c2s_key);
    EXPECT_EQ(back.s2c_key, km.s2c_key);
    EXPECT_EQ(back.c2s_salt, km.c2s_salt);
    EXPECT_EQ(back.s2c_salt, km.s2c_salt);
  }
}

TEST(KeyMaterial, MoveOnlyAndWiped) {
  static_assert(!std::is_copy_constructible_v<sdp::KeyMaterial>);
  static_assert(!std::is_copy_assignable_v<sdp::KeyMaterial>);
  static_assert(std::is_nothrow_move_constructible_v<sdp::KeyMaterial>);
  auto a = sample(SDP_CIPHER_AES_GCM_128);
  sdp::KeyMaterial b(std::move(a));
  EXPECT_TRUE(a.c2s_key.empty() && a.s2c_key.empty() && a.c2s_salt.empty());  // NOLINT: moved from
  EXPECT_EQ(b.c2s_key.size(), 16u);
  auto c = b.clone();
  EXPECT_EQ(c.c2s_key, b.c2s_key);
  c = sample(SDP_CIPHER_AES_GCM_256);
  EXPECT_EQ(c.c2s_key.size(), 32u);
  // wipe() zeroes the bytes in place before releasing them.
  const uint8_t* p = b.c2s_key.data();
  size_t n = b.c2s_key.size();
  std::vector<uint8_t>* v = &b.c2s_key;
  b.wipe();
  EXPECT_TRUE(v->empty());
  EXPECT_EQ(v->data(), p);  // clear() keeps the buffer: it must be zeros now
  for (size_t i = 0; i < n; i++) EXPECT_EQ(p[i], 0) << i;
}

TEST(KeyMaterial, LoadErrorsNameTheLineButNotTheKey) {
  std::string path = write_temp("cipher aes-gcm-128\nepoch 1\nclient-to-server 0011zz 01020304\n");
  try {
    sdp::KeyMaterial::load(path);
    ADD_FAILURE() << "loaded a bad key file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":3"), std::string::npos) << e.what();
  }
  unlink(path.c_str());
  path = write_temp("cipher aes-gcm-128\nepoch 1\nbogus 00112233445566778899aabbccddeeff\n");
  try {
    sdp::KeyMaterial::load(path);
    ADD_FAILURE() << "loaded a bad key file";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).find("00112233"), std::string::npos) << e.what();
  }
  unlink(path.c_str());
}

TEST(Address, Any) {
  EXPECT_EQ(sdp::Address::any(AF_INET, 5000).to_string(), "0.0.0.0:5000");
  EXPECT_EQ(sdp::Address::any(AF_INET6, 5000).to_string(), "[::]:5000");
  EXPECT_THROW(sdp::Address::any(AF_UNIX, 1), std::invalid_argument);
}

TEST(Received, ErrorsAreResultsAndTheOptionalBridgeKeepsShutdownAnError) {
  sdp::Received again(std::error_code(EAGAIN, std::generic_category()));
  EXPECT_FALSE(again);
  EXPECT_TRUE(again.would_block());
  EXPECT_FALSE(std::optional<sdp::Message>(std::move(again)).has_value());
  sdp::Received intr(std::error_code(EINTR, std::generic_category()));
  EXPECT_TRUE(intr.interrupted());
  sdp::Received down(std::error_code(ESHUTDOWN, std::generic_category()));
  EXPECT_TRUE(down.shut_down());
  EXPECT_THROW(down.value(), std::system_error);
  std::optional<sdp::Message> m;
  EXPECT_THROW(m = std::move(down), std::system_error);
  sdp::Message msg;
  msg.rpc_id = 9;
  sdp::Received got(msg);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->rpc_id, 9u);
  m = std::move(got);
  EXPECT_EQ(m->rpc_id, 9u);
}

}  // namespace
