// SPDX-License-Identifier: MIT
// sdp-send-file: a keyed client that sends a file's bytes as one request,
// after a chosen number of one-byte filler requests, so that the file goes
// out as a chosen message ID under a fresh key (message IDs count from 0
// per transmit key). tests/vm/t-decrypt.sh uses it to make the module send
// the worked example of docs/PROTOCOL.md.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "json.h"
#include "options.h"
#include "sdp_socket.h"

namespace {

constexpr const char* kHeader = R"(NAME
    sdp-send-file - send a file as one encrypted SDP request with a chosen message ID

SYNOPSIS
    sdp-send-file --server ADDR --port N --local-port N --key-file F
                  [--fillers N] FILE

DESCRIPTION
    Opens one socket bound to --local-port, installs the key file's keys for
    the server (as the client), sends --fillers one-byte requests (default
    0) one at a time, each waiting for its response, then sends FILE's
    bytes as a request and waits for the response, which must equal them.
    With a key installed on this socket just before, FILE is message ID
    --fillers. Prints {"rpc_id":N,"msg_id":N,"length":N} and exits 0, or
    exits 1 with a message on any failure.
)";

[[noreturn]] void usage_error(const std::string& msg) { sdp::usage_error("sdp-send-file", msg); }

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string server, key_file;
  uint16_t port = 0, local_port = 0;
  uint64_t fillers = 0;
  sdp::OptionParser p("sdp-send-file", kHeader);
  p.string("--server", "ADDR", "the server's address", server)
      .number("--port", "N", "the server's port", port, 1, 65535)
      .number("--local-port", "N", "the port to bind", local_port, 1, 65535)
      .string("--key-file", "F", "the key file (sdpctl genkey)", key_file)
      .number("--fillers", "N", "one-byte requests before FILE (default 0)", fillers, 0, 1u << 30);
  std::vector<std::string> rest = p.parse_or_exit(args);
  if (server.empty() || key_file.empty() || rest.size() != 1 || !port || !local_port)
    usage_error("needs --server, --port, --local-port, --key-file and FILE");
  const std::string& file = rest[0];
  std::ifstream in(file, std::ios::binary);
  if (!in) usage_error("cannot read " + file);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> msg(bytes.size());
  for (size_t i = 0; i < bytes.size(); i++) msg[i] = static_cast<std::byte>(bytes[i]);
  try {
    sdp::Address dst = sdp::Address::parse(server, static_cast<uint16_t>(port));
    sdp::Socket sock(dst.family());
    sock.bind(sdp::Address::any(dst.family(), static_cast<uint16_t>(local_port)));
    sock.install_keys(dst, sdp::KeyMaterial::load(key_file), sdp::Role::client);
    sock.set_receive_timeout_ms(20000);
    std::vector<std::byte> filler{std::byte{'.'}}, buf(msg.size() + 1);
    uint64_t rpc = 0;
    for (uint64_t i = 0; i <= fillers; i++) {
      const auto& req = i < fillers ? filler : msg;
      rpc = sock.send_request(dst, req, i);
      auto m = sock.receive(buf);
      if (!m || m->error || m->rpc_id != rpc || m->length != req.size() ||
          !std::equal(req.begin(), req.end(), buf.begin())) {
        std::cerr << "sdp-send-file: request " << i << " (rpc " << rpc
                  << ") got no correct response\n";
        return 1;
      }
    }
    sdp::JsonObject j;
    j.num("rpc_id", rpc).num("msg_id", fillers).num("length", msg.size());
    std::puts(j.str().c_str());
  } catch (const std::exception& e) {
    std::cerr << "sdp-send-file: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
