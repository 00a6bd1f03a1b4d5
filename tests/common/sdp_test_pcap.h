// SPDX-License-Identifier: MIT
// Writes test frames (sdp_test_frames.h) to pcap files.
#pragma once

#include <pcap/pcap.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "sdp_test_frames.h"

namespace sdp::test {

static_assert(kEthernet == DLT_EN10MB && kRawIp == DLT_RAW && kCooked == DLT_LINUX_SLL &&
              kCooked2 == DLT_LINUX_SLL2);

// Writes frames to a fresh pcap file (link type dlt, snap length snaplen:
// longer frames are cut, their length as sent kept); returns its path.
inline std::string write_pcap(int dlt, const std::vector<Bytes>& frames, int snaplen = 262144) {
  char path[] = "/tmp/sdp-test-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  pcap_t* dead = pcap_open_dead(dlt, snaplen);
  pcap_dumper_t* d = pcap_dump_open(dead, path);
  if (!d) throw std::runtime_error("pcap_dump_open failed");
  for (const auto& fr : frames) {
    pcap_pkthdr h{};
    h.len = static_cast<bpf_u_int32>(fr.size());
    h.caplen = std::min<bpf_u_int32>(h.len, static_cast<bpf_u_int32>(snaplen));
    pcap_dump(reinterpret_cast<u_char*>(d), &h, fr.data());
  }
  pcap_dump_close(d);
  pcap_close(dead);
  return path;
}

}  // namespace sdp::test
