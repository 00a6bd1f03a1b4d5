// SPDX-License-Identifier: MIT
// Socket API contract tests for sdp.ko (docs/API.md). They need the
// module loaded, so they run inside the test VM (tests/vm/t-api.sh), over
// loopback, IPv4 and IPv6.
#include <gtest/gtest.h>
#include <liburing.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "sdp_socket.h"

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

struct Family {
  int af;
  const char* loopback;
  const char* any;  // what Address::any(af, port) must give
};

class SdpApi : public ::testing::TestWithParam<Family> {
 protected:
  sdp::Address server_addr(uint16_t port) { return sdp::Address::parse(GetParam().loopback, port); }
  sdp::Socket bound_server(uint16_t& port) {
    sdp::Socket s(GetParam().af);
    s.bind(sdp::Address::any(GetParam().af, 0));
    port = s.local_port();
    return s;
  }
};

std::vector<std::byte> pattern(size_t n, int seed) {
  std::vector<std::byte> v(n);
  for (size_t i = 0; i < n; i++) v[i] = std::byte(static_cast<uint8_t>(i * 31 + seed));
  return v;
}

// Serve `n` requests by echoing them.
std::thread echo_server(sdp::Socket& s, int n) {
  return std::thread([&s, n] {
    std::vector<std::byte> buf(SDP_MAX_MESSAGE_LEN);
    for (int i = 0; i < n; i++) {
      auto m = s.receive(buf);
      if (m.shut_down()) return;
      if (!m) {  // EINTR, or EAGAIN under a receive timeout
        i--;
        continue;
      }
      s.send_response(m->peer, m->rpc_id, std::span(buf.data(), m->length));
    }
  });
}

TEST_P(SdpApi, CreateAndClose1000Sockets) {
  for (int i = 0; i < 1000; i++) {
    sdp::Socket s(GetParam().af);
    ASSERT_GE(s.fd(), 0);
  }
}

TEST_P(SdpApi, BindEphemeralAndConflict) {
  uint16_t port = 0;
  sdp::Socket a = bound_server(port);
  EXPECT_GE(port, 32768);
  sdp::Socket b(GetParam().af);
  try {
    b.bind(sdp::Address::any(GetParam().af, port));
    FAIL() << "second bind to port " << port << " succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EADDRINUSE);
  }
}

TEST_P(SdpApi, RequestResponseRoundTrip) {
  uint16_t port;
  sdp::Socket server = bound_server(port);
  std::thread t = echo_server(server, 1);
  sdp::Socket client(GetParam().af);
  auto req = pattern(3000, 7);
  uint64_t id = client.send_request(server_addr(port), req, 42);
  EXPECT_NE(id, 0u);
  std::vector<std::byte> buf(4000);
  auto m = client.receive(buf);
  t.join();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->rpc_id, id);
  EXPECT_EQ(m->cookie, 42u);
  EXPECT_FALSE(m->is_request);
  EXPECT_EQ(m->error, 0);
  ASSERT_EQ(m->length, req.size());
  EXPECT_EQ(0, std::memcmp(buf.data(), req.data(), req.size()));
  EXPECT_EQ(m->peer, server_addr(port));
}

TEST_P(SdpApi, ServerSeesRequestIdAndPeer) {
  uint16_t port;
  sdp::Socket server = bound_server(port);
  sdp::Socket client(GetParam().af);
  auto req = pattern(10, 1);
  uint64_t id = client.send_request(server_addr(port), req, 5);
  std::vector<std::byte> buf(100);
  auto m = server.receive(buf);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->is_request);
  EXPECT_EQ(m->rpc_id, id);
  EXPECT_EQ(m->cookie, 0u);
  EXPECT_EQ(m->peer.port(), client.local_port());
  server.send_response(m->peer, m->rpc_id, std::span(buf.data(), 0));
  auto r = client.receive(buf);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->length, 0u);
  EXPECT_EQ(r->error, 0);
}

TEST_P(SdpApi, TruncationSetsMsgTrunc) {
  uint16_t port;
  sdp::Socket server = bound_server(port);
  sdp::Socket client(GetParam().af);
  auto req = pattern(5000, 3);
  client.send_request(server_addr(port), req, 1);
  std::vector<std::byte> small(100);
  auto m = server.receive(small);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->truncated);
  EXPECT_EQ(m->length, 100u);
  EXPECT_EQ(m->msg_length, 5000u);
  EXPECT_EQ(0, std::memcmp(small.data(), req.data(), 100));
}

TEST_P(SdpApi, RecvWithoutControlBufferIsEinval) {
  sdp::Socket s(GetParam().af);
  char buf[10];
  EXPECT_EQ(::recv(s.fd(), buf, sizeof(buf), MSG_DONTWAIT), -1);
  EXPECT_EQ(errno, EINVAL);
}

TEST_P(SdpApi, NonBlockingAndTimeout) {
  uint16_t port;
  sdp::Socket s = bound_server(port);
  std::vector<std::byte> buf(10);
  auto r = s.receive(buf, MSG_DONTWAIT);
  EXPECT_FALSE(r);
  EXPECT_TRUE(r.would_block()) << r.error().message();
  s.set_receive_timeout_ms(300);
  auto t0 = Clock::now();
  r = s.receive(buf);
  EXPECT_FALSE(r);
  EXPECT_TRUE(r.would_block()) << r.error().message();
  auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count();
  EXPECT_GE(waited, 250);
  EXPECT_EQ(sdp::Address::any(GetParam().af, 7), sdp::Address::parse(GetParam().any, 7));
  EXPECT_LT(waited, 5000);
}

TEST_P(SdpApi, SendErrors) {
  sdp::Socket s(GetParam().af);
  std::vector<std::byte> data(10);
  try {
    s.send_response(server_addr(1), 12345, data);
    FAIL() << "response to an unknown RPC succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EINVAL);
  }
  std::vector<std::byte> huge(SDP_MAX_MESSAGE_LEN + 1);
  try {
    s.send_request(server_addr(1), huge, 1);
    FAIL() << "oversized request succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EMSGSIZE);
  }
  // No destination for a request.
  char c = 0;
  EXPECT_EQ(::send(s.fd(), &c, 1, 0), -1);
  EXPECT_EQ(errno, EDESTADDRREQ);
}

TEST_P(SdpApi, EpollReportsOnlyCompleteMessages) {
  uint16_t port;
  sdp::Socket server = bound_server(port);
  sdp::Socket client(GetParam().af);
  int ep = epoll_create1(0);
  ASSERT_GE(ep, 0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, server.fd(), &ev));
  std::vector<std::byte> buf(1 << 20);
  for (size_t size : {size_t{1}, size_t{70000}, size_t{1} << 20}) {
    auto req = pattern(size, 9);
    client.send_request(server_addr(port), req, size);
    epoll_event out{};
    ASSERT_EQ(1, epoll_wait(ep, &out, 1, 10000)) << "size " << size;
    // Readable must mean a whole message is there right now.
    auto m = server.receive(buf, MSG_DONTWAIT);
    ASSERT_TRUE(m) << "EPOLLIN without a complete message, size " << size;
    EXPECT_EQ(m->length, size);
    EXPECT_EQ(0, std::memcmp(buf.data(), req.data(), size));
    server.send_response(m->peer, m->rpc_id, std::span(buf.data(), 1));
    ASSERT_TRUE(client.receive(buf));
  }
  close(ep);
}

TEST_P(SdpApi, IoUringSendmsgRecvmsg) {
  uint16_t port;
  sdp::Socket server = bound_server(port);
  std::thread t = echo_server(server, 3);
  sdp::Socket client(GetParam().af);
  io_uring ring;
  ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
  sdp::Address dst = server_addr(port);
  for (int i = 0; i < 3; i++) {
    auto req = pattern(1000 + 20000 * static_cast<size_t>(i), i);
    uint64_t id = 0;
    sdp_send_info info{};
    info.cookie = 100 + static_cast<uint64_t>(i);
    info.id_out = reinterpret_cast<uintptr_t>(&id);
    alignas(cmsghdr) char sctl[CMSG_SPACE(sizeof(info))] = {};
    iovec siov{req.data(), req.size()};
    msghdr smsg{};
    smsg.msg_name = const_cast<sockaddr*>(dst.sa());
    smsg.msg_namelen = dst.length;
    smsg.msg_iov = &siov;
    smsg.msg_iovlen = 1;
    smsg.msg_control = sctl;
    smsg.msg_controllen = sizeof(sctl);
    cmsghdr* c = CMSG_FIRSTHDR(&smsg);
    c->cmsg_level = SOL_SDP;
    c->cmsg_type = SDP_CMSG_SEND;
    c->cmsg_len = CMSG_LEN(sizeof(info));
    std::memcpy(CMSG_DATA(c), &info, sizeof(info));
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_sendmsg(sqe, client.fd(), &smsg, 0);
    ASSERT_EQ(1, io_uring_submit(&ring));
    io_uring_cqe* cqe;
    ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
    EXPECT_EQ(cqe->res, static_cast<int>(req.size()));
    io_uring_cqe_seen(&ring, cqe);
    EXPECT_NE(id, 0u);

    std::vector<std::byte> rbuf(req.size() + 10);
    alignas(cmsghdr) char rctl[CMSG_SPACE(sizeof(sdp_recv_info))] = {};
    iovec riov{rbuf.data(), rbuf.size()};
    sockaddr_storage from{};
    msghdr rmsg{};
    rmsg.msg_name = &from;
    rmsg.msg_namelen = sizeof(from);
    rmsg.msg_iov = &riov;
    rmsg.msg_iovlen = 1;
    rmsg.msg_control = rctl;
    rmsg.msg_controllen = sizeof(rctl);
    sqe = io_uring_get_sqe(&ring);
    io_uring_prep_recvmsg(sqe, client.fd(), &rmsg, 0);
    ASSERT_EQ(1, io_uring_submit(&ring));
    ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
    ASSERT_EQ(cqe->res, static_cast<int>(req.size()));
    io_uring_cqe_seen(&ring, cqe);
    EXPECT_EQ(0, std::memcmp(rbuf.data(), req.data(), req.size()));
    cmsghdr* rc = CMSG_FIRSTHDR(&rmsg);
    ASSERT_NE(rc, nullptr);
    sdp_recv_info ri{};
    std::memcpy(&ri, CMSG_DATA(rc), sizeof(ri));
    EXPECT_EQ(ri.rpc_id, id);
    EXPECT_EQ(ri.cookie, info.cookie);
    EXPECT_EQ(ri.flags, static_cast<uint32_t>(SDP_RECV_RESPONSE));
  }
  io_uring_queue_exit(&ring);
  t.join();
}

TEST_P(SdpApi, ThousandConcurrentRpcsOneSocket) {
  uint16_t port;
  sdp::Socket server = bound_server(port);
  constexpr int kRpcs = 1000;
  std::thread t = echo_server(server, kRpcs);
  sdp::Socket client(GetParam().af);
  std::vector<std::vector<std::byte>> reqs;
  for (int i = 0; i < kRpcs; i++) {
    reqs.push_back(pattern(1 + static_cast<size_t>(i % 5) * 700, i));
    client.send_request(server_addr(port), reqs.back(), static_cast<uint64_t>(i));
  }
  EXPECT_LE(client.stats().client_rpcs, static_cast<uint32_t>(kRpcs));
  std::vector<int> seen(kRpcs, 0);
  std::vector<std::byte> buf(4000);
  for (int i = 0; i < kRpcs; i++) {
    auto m = client.receive(buf);
    ASSERT_TRUE(m);
    ASSERT_LT(m->cookie, static_cast<uint64_t>(kRpcs));
    seen[m->cookie]++;
    ASSERT_EQ(m->length, reqs[m->cookie].size());
    EXPECT_EQ(0, std::memcmp(buf.data(), reqs[m->cookie].data(), m->length));
  }
  t.join();
  for (int i = 0; i < kRpcs; i++) EXPECT_EQ(seen[i], 1) << "cookie " << i;
  EXPECT_EQ(client.stats().client_rpcs, 0u);
}

sdp::KeyMaterial random_keys(uint8_t epoch, uint16_t cipher = SDP_CIPHER_AES_GCM_128) {
  return sdp::KeyMaterial::random(cipher, epoch);
}

sdp_key_info key_info(const sdp::Socket& s, const sdp::Address& peer) {
  sdp_key_info ki{};
  std::memcpy(&ki.peer, &peer.storage, sizeof(ki.peer));
  socklen_t len = sizeof(ki);
  EXPECT_EQ(0, ::getsockopt(s.fd(), SOL_SDP, SDP_KEY_INFO, &ki, &len)) << std::strerror(errno);
  return ki;
}

int set_key(const sdp::Socket& s, int opt, const sdp::Address& peer, uint8_t epoch,
            const std::vector<uint8_t>& key, const std::vector<uint8_t>& salt) {
  sdp_key k{};
  std::memcpy(&k.peer, &peer.storage, sizeof(k.peer));
  k.cipher = SDP_CIPHER_AES_GCM_128;
  k.epoch = epoch;
  std::memcpy(k.key, key.data(), key.size());
  std::memcpy(k.salt, salt.data(), salt.size());
  return ::setsockopt(s.fd(), SOL_SDP, opt, &k, sizeof(k)) ? errno : 0;
}

// Every key (and salt) installed on a socket must be distinct: one key for
// both directions of a peer, for two peers, or for a new epoch would repeat
// nonces. The same key with another salt is a different nonce space.
TEST_P(SdpApi, ReusedKeysAreRefused) {
  sdp::Socket s(GetParam().af);
  auto peer = server_addr(7000);
  std::vector<uint8_t> key(16, 0x5a), salt{1, 2, 3, 4}, salt2{1, 2, 3, 5};
  ASSERT_EQ(0, set_key(s, SDP_TX_KEY, peer, 1, key, salt));
  EXPECT_EQ(EINVAL, set_key(s, SDP_RX_KEY, peer, 1, key, salt));
  EXPECT_EQ(0, set_key(s, SDP_RX_KEY, peer, 1, key, salt2));
  // And the other way round, for a new transmit epoch.
  EXPECT_EQ(EINVAL, set_key(s, SDP_TX_KEY, peer, 2, key, salt2));
  EXPECT_EQ(EEXIST, set_key(s, SDP_TX_KEY, peer, 1, std::vector<uint8_t>(16, 0x5c), salt2));
  EXPECT_EQ(0, set_key(s, SDP_TX_KEY, peer, 2, std::vector<uint8_t>(16, 0x5b), salt));
  // A new epoch with the key it replaces would restart message ids at 0.
  EXPECT_EQ(EINVAL, set_key(s, SDP_TX_KEY, peer, 3, std::vector<uint8_t>(16, 0x5b), salt));
  // No key is shared across peers either (no wildcard transmit key).
  auto other = server_addr(7001);
  EXPECT_EQ(EINVAL, set_key(s, SDP_TX_KEY, other, 1, std::vector<uint8_t>(16, 0x5b), salt));
  EXPECT_EQ(EINVAL, set_key(s, SDP_RX_KEY, other, 1, key, salt2));
  EXPECT_EQ(0, set_key(s, SDP_TX_KEY, other, 1, std::vector<uint8_t>(16, 0x5d), salt));
}

// Rekey while a 1 MiB request is still being transferred (it was sealed
// under epoch 1 and needs grants to finish): it completes under its epoch,
// the next request uses epoch 2 with message ids from 0 again, and the
// responses (sealed under the server's epoch 2) arrive intact.
TEST_P(SdpApi, RekeyLetsInFlightMessagesFinish) {
  uint16_t port;
  sdp::Socket server = bound_server(port);
  sdp::Socket client(GetParam().af);
  client.bind(sdp::Address::any(GetParam().af, 0));
  auto client_addr = sdp::Address::parse(GetParam().loopback, client.local_port());
  auto km1 = random_keys(1), km2 = random_keys(2);
  client.install_keys(server_addr(port), km1, sdp::Role::client);
  server.install_keys(client_addr, km1, sdp::Role::server);

  auto small = pattern(100, 3);
  std::thread t = echo_server(server, 3);
  client.send_request(server_addr(port), small, 0);
  std::vector<std::byte> buf(2 << 20);
  auto m = client.receive(buf);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->error, 0);
  EXPECT_EQ(key_info(client, server_addr(port)).tx_next_msg_id, 1u);

  auto big = pattern(1 << 20, 4);
  client.send_request(server_addr(port), big, 1);
  // Receive keys first on both ends, then transmit keys.
  client.install_keys(server_addr(port), km2, sdp::Role::client);
  server.install_keys(client_addr, km2, sdp::Role::server);
  auto next = pattern(64 << 10, 5);
  client.send_request(server_addr(port), next, 2);
  bool got[3] = {true, false, false};
  for (int i = 0; i < 2; i++) {
    m = client.receive(buf);
    ASSERT_TRUE(m);
    ASSERT_EQ(m->error, 0) << std::strerror(m->error);
    ASSERT_TRUE(m->cookie == 1 || m->cookie == 2);
    const auto& want = m->cookie == 1 ? big : next;
    ASSERT_EQ(m->length, want.size());
    EXPECT_EQ(0, std::memcmp(buf.data(), want.data(), want.size()));
    got[m->cookie] = true;
  }
  t.join();
  EXPECT_TRUE(got[1] && got[2]);
  auto ki = key_info(client, server_addr(port));
  EXPECT_EQ(ki.tx_epoch, 2);
  EXPECT_EQ(ki.rx_epoch, 2);
  EXPECT_EQ(ki.tx_next_msg_id, 1u) << "message ids restart at 0 under a new epoch";
  ki = key_info(server, client_addr);
  EXPECT_EQ(ki.tx_epoch, 2);
  // The response to the 1 MiB request went out under epoch 1 or 2,
  // depending on when the server's rekey ran; the last one under 2.
  EXPECT_GE(ki.tx_next_msg_id, 1u);
  EXPECT_LE(ki.tx_next_msg_id, 2u);
}

// receive() tells the three expected conditions apart: EAGAIN (nothing
// ready), EINTR and ESHUTDOWN (shut down, nothing left) are results, not
// exceptions and not one "nothing" for all.
TEST_P(SdpApi, ReceiveReportsShutdown) {
  uint16_t port;
  sdp::Socket s = bound_server(port);
  std::vector<std::byte> buf(10);
  EXPECT_TRUE(s.receive(buf, MSG_DONTWAIT).would_block());
  ASSERT_EQ(::shutdown(s.fd(), SHUT_RDWR), 0) << std::strerror(errno);
  auto r = s.receive(buf);
  EXPECT_FALSE(r);
  EXPECT_TRUE(r.shut_down()) << r.error().message();
  EXPECT_FALSE(r.would_block());
  EXPECT_THROW(r.value(), std::system_error);
}

INSTANTIATE_TEST_SUITE_P(Families, SdpApi,
                         ::testing::Values(Family{AF_INET, "127.0.0.1", "0.0.0.0"},
                                           Family{AF_INET6, "::1", "::"}),
                         [](const auto& info) {
                           return info.param.af == AF_INET ? "IPv4" : "IPv6";
                         });

}  // namespace
