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

#include "sdp_args.h"
#include "sdp_socket.h"

namespace {

constexpr const char* kUsage = R"(NAME
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

[[noreturn]] void usage_error(const std::string& msg) {
  std::cerr << "sdp-send-file: " << msg << "\nTry 'sdp-send-file --help'.\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string server, key_file, file;
  uint64_t port = 0, local_port = 0, fillers = 0;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) usage_error(a + " needs a value");
      return args[++i];
    };
    try {
      if (a == "--help" || a == "-h") {
        std::cout << kUsage;
        return 0;
      } else if (a == "--server") {
        server = value();
      } else if (a == "--port") {
        port = sdp::parse_size(value(), "port");
      } else if (a == "--local-port") {
        local_port = sdp::parse_size(value(), "local port");
      } else if (a == "--key-file") {
        key_file = value();
      } else if (a == "--fillers") {
        fillers = sdp::parse_size(value(), "fillers");
      } else if (a.starts_with("-") || !file.empty()) {
        usage_error("unexpected argument '" + a + "'");
      } else {
        file = a;
      }
    } catch (const std::invalid_argument& e) {
      usage_error(e.what());
    }
  }
  if (server.empty() || key_file.empty() || file.empty() || !port || port > 65535 || !local_port ||
      local_port > 65535)
    usage_error("needs --server, --port, --local-port, --key-file and FILE");
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
    std::printf("{\"rpc_id\":%llu,\"msg_id\":%llu,\"length\":%zu}\n",
                static_cast<unsigned long long>(rpc), static_cast<unsigned long long>(fillers),
                msg.size());
  } catch (const std::exception& e) {
    std::cerr << "sdp-send-file: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
