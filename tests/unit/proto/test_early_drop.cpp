// SPDX-License-Identifier: GPL-2.0 OR MIT
// The early replay drop's decision (kmod/sdp_early_drop.h): each drop
// reason, each near miss, and the soundness properties the XDP guard rests
// on (docs/SECURITY.md, "Early drop in XDP"): a drop only where the
// receive path drops without a reaction, never for an unkeyed packet.

#include <gtest/gtest.h>

#include <array>

extern "C" {
#include "sdp_early_drop.h"
}

namespace {

constexpr std::array<u8, 6> kCtrlTypes = {SDP_PKT_GRANT,   SDP_PKT_RESEND, SDP_PKT_UNKNOWN,
                                          SDP_PKT_BUSY,    SDP_PKT_NEED_ACK, SDP_PKT_ACK};

sdp_early_facts finished_request() {
  sdp_early_facts f{};
  f.type = SDP_PKT_DATA;
  f.keyed = true;
  f.id_window_keyed = true;
  f.rpc_id = SDP_WINDOW_SEEN;
  return f;
}

sdp_early_facts complete_message() {
  sdp_early_facts f{};
  f.type = SDP_PKT_DATA;
  f.keyed = true;
  f.rpc_live = true;
  f.reaction = SDP_REACT_DUPLICATE;
  f.in_authenticated = true;
  return f;
}

sdp_early_facts ctrl_replay(u8 type) {
  sdp_early_facts f{};
  f.type = type;
  f.keyed = true;
  f.ctrl_seq_valid = true;
  f.ctrl_seq = SDP_WINDOW_SEEN;
  return f;
}

TEST(EarlyDrop, FinishedRequest) {
  auto f = finished_request();
  EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_FINISHED_REQUEST);
  f.rpc_id = SDP_WINDOW_TOO_OLD;
  EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_FINISHED_REQUEST);
}

TEST(EarlyDrop, FinishedRequestNearMisses) {
  auto f = finished_request();
  f.rpc_id = SDP_WINDOW_NEW;  // the next RPC id
  EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_PASS);
  f = finished_request();
  f.id_window_keyed = false;  // the window also moved in the clear
  EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_PASS);
  f = finished_request();
  f.keyed = false;  // another epoch, or plaintext
  EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_PASS);
  f = finished_request();
  f.from_server = true;  // a response to an RPC the client no longer has
  EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_PASS);
  f = finished_request();
  f.rpc_live = true;  // a live RPC's retransmission
  f.reaction = SDP_REACT_TAKE_DATA;
  EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_PASS);
}

TEST(EarlyDrop, CompleteMessage) {
  auto f = complete_message();
  EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_COMPLETE_MESSAGE);
  f.from_server = true;
  EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_COMPLETE_MESSAGE);
}

TEST(EarlyDrop, CompleteMessageNearMisses) {
  auto f = complete_message();
  f.reaction = SDP_REACT_TAKE_DATA;  // still receiving
  EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_PASS);
  f = complete_message();
  f.in_authenticated = false;  // nothing of it authenticated
  EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_PASS);
  f = complete_message();
  f.keyed = false;
  EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_PASS);
}

TEST(EarlyDrop, ControlReplay) {
  for (u8 t : kCtrlTypes) {
    auto f = ctrl_replay(t);
    EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_CTRL_REPLAY) << int(t);
    f.ctrl_seq = SDP_WINDOW_TOO_OLD;
    EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_CTRL_REPLAY) << int(t);
  }
}

TEST(EarlyDrop, ControlNearMisses) {
  for (u8 t : kCtrlTypes) {
    auto f = ctrl_replay(t);
    f.ctrl_seq = SDP_WINDOW_NEW;  // a future ctrl_seq
    EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_PASS) << int(t);
    f = ctrl_replay(t);
    f.ctrl_seq_valid = false;  // the top bit missing: the module's drop
    EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_PASS) << int(t);
    f = ctrl_replay(t);
    f.keyed = false;
    EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_PASS) << int(t);
  }
  auto f = ctrl_replay(0x15);  // an unassigned type
  EXPECT_EQ(sdp_early_verdict(&f), SDP_XDP_VERDICT_PASS);
}

// Over every combination of facts: a drop needs a key, a DATA drop of a
// live RPC needs the DUPLICATE reaction (the receive path's silent drop),
// and a live RPC's DATA drop never depends on the id window.
TEST(EarlyDrop, SoundOverAllFacts) {
  const sdp_window_result wins[] = {SDP_WINDOW_NEW, SDP_WINDOW_SEEN, SDP_WINDOW_TOO_OLD};
  std::array<u8, 8> types = {SDP_PKT_DATA, SDP_PKT_GRANT, SDP_PKT_RESEND, SDP_PKT_UNKNOWN,
                             SDP_PKT_BUSY, SDP_PKT_NEED_ACK, SDP_PKT_ACK, 0x15};
  int drops = 0, cases = 0;
  for (u8 t : types)
    for (unsigned bits = 0; bits < 64; bits++)
      for (auto cs : wins)
        for (auto rw : wins)
          for (int r = 0; r < SDP_REACT_COUNT; r++) {
            sdp_early_facts f{};
            f.type = t;
            f.from_server = bits & 1;
            f.keyed = bits & 2;
            f.ctrl_seq_valid = bits & 4;
            f.rpc_live = bits & 8;
            f.in_authenticated = bits & 16;
            f.id_window_keyed = bits & 32;
            f.ctrl_seq = cs;
            f.rpc_id = rw;
            f.reaction = static_cast<sdp_reaction>(r);
            auto v = sdp_early_verdict(&f);
            cases++;
            if (v == SDP_XDP_VERDICT_PASS) continue;
            drops++;
            ASSERT_TRUE(f.keyed);
            if (t == SDP_PKT_DATA) {
              if (f.rpc_live) {
                ASSERT_EQ(v, SDP_XDP_VERDICT_COMPLETE_MESSAGE);
                ASSERT_EQ(f.reaction, SDP_REACT_DUPLICATE);
                ASSERT_TRUE(f.in_authenticated);
              } else {
                ASSERT_EQ(v, SDP_XDP_VERDICT_FINISHED_REQUEST);
                ASSERT_FALSE(f.from_server);
                ASSERT_TRUE(f.id_window_keyed);
                ASSERT_NE(f.rpc_id, SDP_WINDOW_NEW);
              }
            } else {
              ASSERT_EQ(v, SDP_XDP_VERDICT_CTRL_REPLAY);
              ASSERT_TRUE(f.ctrl_seq_valid);
              ASSERT_NE(f.ctrl_seq, SDP_WINDOW_NEW);
              ASSERT_NE(t, 0x15);
            }
          }
  EXPECT_GT(drops, 0);
  EXPECT_GT(cases, drops);
}

// The live-RPC reason agrees with the reaction table: an RPC in any state
// that still receives its message (TAKE_DATA) is never dropped early.
TEST(EarlyDrop, ReceivingRpcNeverDropped) {
  for (int s = 0; s < SDP_RPC_STATE_COUNT; s++)
    for (int client = 0; client < 2; client++) {
      sdp_rpc_facts rf{};
      rf.client = client;
      auto st = static_cast<sdp_rpc_state>(s);
      sdp_early_facts f = complete_message();
      f.reaction = sdp_rpc_react(st, SDP_PKT_DATA, &rf);
      bool receiving = st == (client ? SDP_RPC_CLIENT_OUTGOING : SDP_RPC_SERVER_INCOMING);
      EXPECT_EQ(sdp_early_verdict(&f) == SDP_XDP_VERDICT_PASS, receiving) << s << " " << client;
    }
}

}  // namespace
