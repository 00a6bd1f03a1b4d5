// SPDX-License-Identifier: GPL-2.0 OR MIT
// The RPC reaction table (kmod/sdp_react.h): what an RPC in each state does
// on each packet type and on the timer's tick, checked cell by cell against
// the state machine written out here, and for the properties the security
// argument (docs/SECURITY.md) rests on.

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

extern "C" {
#include "sdp_react.h"
}

namespace {

constexpr std::array<u8, 8> kEvents = {SDP_EVENT_TICK,   SDP_PKT_DATA,    SDP_PKT_GRANT,
                                       SDP_PKT_RESEND,   SDP_PKT_UNKNOWN, SDP_PKT_BUSY,
                                       SDP_PKT_NEED_ACK, SDP_PKT_ACK};

bool is_client_state(sdp_rpc_state s) { return s == SDP_RPC_CLIENT_OUTGOING; }
bool is_server_state(sdp_rpc_state s) {
  return s == SDP_RPC_SERVER_INCOMING || s == SDP_RPC_SERVER_IN_SERVICE ||
         s == SDP_RPC_SERVER_PREPARING || s == SDP_RPC_SERVER_RESPONDING;
}

// Every combination of state, side and facts an RPC can be in.
struct Case {
  sdp_rpc_state state;
  sdp_rpc_facts facts;
};

std::vector<Case> all_cases() {
  std::vector<Case> out;
  for (int s = 0; s < SDP_RPC_STATE_COUNT; s++) {
    auto st = static_cast<sdp_rpc_state>(s);
    for (unsigned bits = 0; bits < 64; bits++) {
      sdp_rpc_facts f{};
      f.client = bits & 1;
      f.sending = bits & 2;
      f.incoming_vouched = bits & 4;
      f.all_sent = bits & 8;
      f.timed_out = bits & 16;
      f.probe_due = bits & 32;
      // A client RPC is never in a server state and the reverse.
      if (f.client && is_server_state(st)) continue;
      if (!f.client && is_client_state(st)) continue;
      out.push_back({st, f});
    }
  }
  return out;
}

sdp_reaction react(const Case& c, u8 ev) { return sdp_rpc_react(c.state, ev, &c.facts); }

// The state machine written out plainly, one rule per line, for the
// differential test. Mirrors the comments of kmod/sdp_react.h and
// docs/PROTOCOL.md section 5.
sdp_reaction expected(const Case& c, u8 ev) {
  const auto s = c.state;
  const auto& f = c.facts;
  const bool waits = s == SDP_RPC_CLIENT_OUTGOING || s == SDP_RPC_SERVER_INCOMING ||
                     s == SDP_RPC_SERVER_RESPONDING;
  switch (ev) {
    case SDP_EVENT_TICK:
      if (!waits) return SDP_REACT_NONE;
      if (f.timed_out) return f.client ? SDP_REACT_FAIL : SDP_REACT_ABORT;
      if (!f.probe_due) return SDP_REACT_NONE;
      if (s == SDP_RPC_SERVER_RESPONDING) return f.all_sent ? SDP_REACT_ASK_ACK : SDP_REACT_BACKOFF;
      return SDP_REACT_ASK_DATA;
    case SDP_PKT_DATA:
      if (f.client && s == SDP_RPC_CLIENT_OUTGOING) return SDP_REACT_TAKE_DATA;
      if (!f.client && s == SDP_RPC_SERVER_INCOMING) return SDP_REACT_TAKE_DATA;
      return SDP_REACT_DUPLICATE;
    case SDP_PKT_GRANT:
      return f.sending ? SDP_REACT_SEND_GRANTED : SDP_REACT_NOT_OURS;
    case SDP_PKT_RESEND:
      if (f.client) return SDP_REACT_RETRANSMIT;
      if (s == SDP_RPC_SERVER_RESPONDING) return SDP_REACT_RETRANSMIT_OR_BUSY;
      return SDP_REACT_SEND_BUSY;
    case SDP_PKT_UNKNOWN:
      if (f.client) return s == SDP_RPC_CLIENT_OUTGOING && !f.incoming_vouched ? SDP_REACT_RESTART : SDP_REACT_NONE;
      if (s == SDP_RPC_SERVER_INCOMING || s == SDP_RPC_SERVER_RESPONDING) return SDP_REACT_ABORT;
      return SDP_REACT_NONE;
    case SDP_PKT_BUSY:
      return SDP_REACT_NONE;
    case SDP_PKT_NEED_ACK:
      return f.client && s != SDP_RPC_CLIENT_OUTGOING ? SDP_REACT_SEND_ACK : SDP_REACT_NONE;
    case SDP_PKT_ACK:
      return !f.client && s == SDP_RPC_SERVER_RESPONDING ? SDP_REACT_COMPLETE : SDP_REACT_NONE;
  }
  return SDP_REACT_NOT_OURS;
}

std::string describe(const Case& c, u8 ev) {
  return "state " + std::to_string(c.state) + " event 0x" + std::to_string(ev) +
         " client " + std::to_string(c.facts.client) + " sending " + std::to_string(c.facts.sending) +
         " vouched " + std::to_string(c.facts.incoming_vouched) + " all_sent " +
         std::to_string(c.facts.all_sent) + " timed_out " + std::to_string(c.facts.timed_out) +
         " probe_due " + std::to_string(c.facts.probe_due);
}

TEST(React, EveryCellMatchesTheStateMachine) {
  const auto cases = all_cases();
  // 7 states x 64 fact combinations, less those of the wrong side: the five
  // one-sided states take 32 each, READY and DELIVERING 64 each.
  ASSERT_EQ(cases.size(), 5u * 32 + 2u * 64);
  for (const auto& c : cases)
    for (u8 ev : kEvents) EXPECT_EQ(react(c, ev), expected(c, ev)) << describe(c, ev);
}

TEST(React, UnknownEventIsNotOurs) {
  for (const auto& c : all_cases()) {
    EXPECT_EQ(react(c, 0x15), SDP_REACT_NOT_OURS);
    EXPECT_EQ(react(c, 0xff), SDP_REACT_NOT_OURS);
  }
}

// Only the timer ends a client RPC in an error: no packet can make an RPC
// fail, and no packet but ACK (from the client) frees a server RPC that is
// answering, or UNKNOWN one that is waiting on its client.
TEST(React, OnlyTheTimerFailsAnRpc) {
  for (const auto& c : all_cases())
    for (u8 ev : kEvents) {
      if (ev == SDP_EVENT_TICK) continue;
      EXPECT_NE(react(c, ev), SDP_REACT_FAIL) << describe(c, ev);
    }
}

TEST(React, DataNeverEndsAnRpc) {
  for (const auto& c : all_cases()) {
    auto r = react(c, SDP_PKT_DATA);
    EXPECT_TRUE(r == SDP_REACT_TAKE_DATA || r == SDP_REACT_DUPLICATE) << describe(c, SDP_PKT_DATA);
  }
}

// A response a record of which authenticated is proof that the server has
// the request: UNKNOWN (possibly reordered, possibly forged under a shared
// plaintext socket) must not restart the request then.
TEST(React, UnknownNeverRestartsAVouchedResponse) {
  for (auto c : all_cases()) {
    if (!c.facts.client) continue;
    c.facts.incoming_vouched = true;
    EXPECT_NE(react(c, SDP_PKT_UNKNOWN), SDP_REACT_RESTART) << describe(c, SDP_PKT_UNKNOWN);
    c.facts.incoming_vouched = false;
    EXPECT_EQ(react(c, SDP_PKT_UNKNOWN) == SDP_REACT_RESTART, c.state == SDP_RPC_CLIENT_OUTGOING);
  }
}

// While the application holds an RPC (delivering, in service, preparing its
// response) the timer leaves it alone: it can neither time out nor probe.
TEST(React, TheApplicationsRpcsDoNotTick) {
  for (const auto& c : all_cases()) {
    if (c.state == SDP_RPC_CLIENT_OUTGOING || c.state == SDP_RPC_SERVER_INCOMING ||
        c.state == SDP_RPC_SERVER_RESPONDING)
      continue;
    EXPECT_EQ(react(c, SDP_EVENT_TICK), SDP_REACT_NONE) << describe(c, SDP_EVENT_TICK);
  }
}

// A packet acts only on the side it is meant for: ACK completes server RPCs
// only, NEED_ACK is answered by clients only, UNKNOWN restarts client RPCs
// and aborts server RPCs, never the other way round.
TEST(React, ClientsAndServersReactToTheirOwnPacketsOnly) {
  for (const auto& c : all_cases()) {
    if (c.facts.client) {
      EXPECT_NE(react(c, SDP_PKT_ACK), SDP_REACT_COMPLETE);
      EXPECT_NE(react(c, SDP_PKT_UNKNOWN), SDP_REACT_ABORT);
    } else {
      EXPECT_NE(react(c, SDP_PKT_NEED_ACK), SDP_REACT_SEND_ACK);
      EXPECT_NE(react(c, SDP_PKT_UNKNOWN), SDP_REACT_RESTART);
    }
  }
}

TEST(React, ReactionsAreInRange) {
  for (const auto& c : all_cases())
    for (u8 ev : kEvents) {
      auto r = react(c, ev);
      EXPECT_GE(r, SDP_REACT_NONE);
      EXPECT_LT(r, SDP_REACT_COUNT);
    }
}

}  // namespace
