#include "captures/tshark_reference.h"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <sstream>

namespace rpcfit::captures::testing {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

std::vector<unsigned long> numbers(const std::string& field) {
  std::vector<unsigned long> out;
  if (field.empty()) return out;
  for (const auto& part : split(field, ','))
    out.push_back(std::stoul(part, nullptr, 0));
  return out;
}

std::string describe(const FrameSummary& f) {
  std::ostringstream s;
  for (const auto& p : f.pdus) {
    s << "[v" << p.version << " ptype=" << p.ptype << " flags=0x" << std::hex << p.flags << std::dec
      << " id=" << p.id << " len=" << p.frag_length << "]";
  }
  auto list = [&](const char* name, const std::vector<unsigned long>& v) {
    if (v.empty()) return;
    s << ' ' << name << '=';
    for (auto x : v)
      s << "0x" << std::hex << x << std::dec << ',';
  };
  list("cancel_count", f.cancel_counts);
  list("status", f.statuses);
  list("cancel_id", f.cancel_ids);
  return s.str();
}

}  // namespace

std::string tshark_path() {
  for (const char* p : {"/usr/bin/tshark", "/usr/local/bin/tshark"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

std::optional<CaptureSummary> tshark_summary(const std::string& file, std::string& error) {
  const std::string tshark = tshark_path();
  if (tshark.empty()) {
    error = "tshark is not installed";
    return std::nullopt;
  }
  // CO fields first, then CL; -E occurrence=a aggregates repeated fields per frame. ANSI C12.22
  // is registered on TCP port 1153 and claims DCE/RPC streams whose client port happens to be
  // 1153 (zeek's mapi.pcap has one), so it is disabled.
  const std::string cmd =
      tshark + " -n --disable-protocol c1222 -r '" + file +
      "' -Y dcerpc -T fields -E separator=/t -E occurrence=a -E aggregator=, "
      "-e frame.number -e frame.protocols -e dcerpc.ver -e dcerpc.pkt_type -e dcerpc.cn_flags "
      "-e dcerpc.cn_call_id -e dcerpc.cn_frag_len -e dcerpc.cn_cancel_count -e dcerpc.cn_status "
      "-e dcerpc.dg_flags1 -e dcerpc.dg_seqnum -e dcerpc.dg_frag_len -e dcerpc.dg_status "
      "-e dcerpc.dg_cancel_id 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) {
    error = "cannot run " + cmd;
    return std::nullopt;
  }
  std::string text;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe))
    text.append(buf.data(), n);
  const int status = pclose(pipe);
  if (status != 0) {
    error = "tshark exited with status " + std::to_string(status) + " on " + file;
    return std::nullopt;
  }
  CaptureSummary out;
  for (const std::string& line : split(text, '\n')) {
    if (line.empty()) continue;
    const auto f = split(line, '\t');
    if (f.size() < 14) continue;
    const std::string& protocols = f[1];
    if (protocols.find(":smb") != std::string::npos ||
        protocols.find(":nbss") != std::string::npos) {
      continue;  // DCE/RPC inside SMB or NetBIOS: rpcfit reports these as not decoded
    }
    FrameSummary frame;
    const auto versions = numbers(f[2]);
    const auto ptypes = numbers(f[3]);
    const auto co_flags = numbers(f[4]);
    const auto call_ids = numbers(f[5]);
    const auto co_lens = numbers(f[6]);
    const auto cl_flags = numbers(f[9]);
    const auto seqnums = numbers(f[10]);
    const auto cl_lens = numbers(f[11]);
    std::size_t co = 0, cl = 0;
    for (std::size_t i = 0; i < ptypes.size() && i < versions.size(); ++i) {
      PduSummary p;
      p.version = static_cast<unsigned>(versions[i]);
      p.ptype = static_cast<unsigned>(ptypes[i]);
      if (p.version == 5 && co < co_flags.size() && co < call_ids.size() && co < co_lens.size()) {
        p.flags = static_cast<unsigned>(co_flags[co]);
        p.id = call_ids[co];
        p.frag_length = static_cast<unsigned>(co_lens[co]);
        ++co;
      } else if (p.version == 4 && cl < cl_flags.size() && cl < seqnums.size() &&
                 cl < cl_lens.size()) {
        p.flags = static_cast<unsigned>(cl_flags[cl]);
        p.id = seqnums[cl];
        p.frag_length = static_cast<unsigned>(cl_lens[cl]);
        ++cl;
      }
      frame.pdus.push_back(p);
    }
    frame.cancel_counts = numbers(f[7]);
    frame.statuses = numbers(f[8]);
    for (auto s : numbers(f[12]))
      frame.statuses.push_back(s);
    frame.cancel_ids = numbers(f[13]);
    out[std::stoull(f[0])] = std::move(frame);
  }
  return out;
}

CaptureSummary reader_summary(const CaptureContents& contents) {
  CaptureSummary out;
  for (const ReadPdu& r : contents.pdus) {
    if (!r.ok()) continue;
    FrameSummary& frame = out[r.frame];
    const auto& pdu = std::get<wire::Pdu>(r.decoded);
    PduSummary p;
    if (const auto* co = std::get_if<wire::CoPdu>(&pdu)) {
      p = {5, static_cast<unsigned>(co->type), co->flags, co->call_id, co->frag_length};
      if (const auto* resp = std::get_if<wire::CoResponse>(&co->body)) {
        frame.cancel_counts.push_back(resp->cancel_count);
      } else if (const auto* fault = std::get_if<wire::CoFault>(&co->body)) {
        frame.cancel_counts.push_back(fault->cancel_count);
        frame.statuses.push_back(fault->status);
      }
    } else {
      const auto& cl = std::get<wire::ClPdu>(pdu);
      p = {4, static_cast<unsigned>(cl.type), cl.flags1, cl.seqnum, cl.body_length};
      if (const auto* s = std::get_if<wire::ClStatus>(&cl.body); s && s->status) {
        frame.statuses.push_back(*s->status);
      } else if (const auto* c = std::get_if<wire::ClCancel>(&cl.body); c && c->has_body) {
        frame.cancel_ids.push_back(c->cancel_id);
      } else if (const auto* a = std::get_if<wire::ClCancelAck>(&cl.body)) {
        frame.cancel_ids.push_back(a->cancel_id);
      }
    }
    frame.pdus.push_back(p);
  }
  return out;
}

std::string diff(const CaptureSummary& expected, const CaptureSummary& actual) {
  std::ostringstream s;
  int shown = 0;
  auto e = expected.begin();
  auto a = actual.begin();
  while ((e != expected.end() || a != actual.end()) && shown < 20) {
    if (a == actual.end() || (e != expected.end() && e->first < a->first)) {
      s << "frame " << e->first << ": tshark " << describe(e->second) << ", rpcfit nothing\n";
      ++e;
      ++shown;
    } else if (e == expected.end() || a->first < e->first) {
      s << "frame " << a->first << ": tshark nothing, rpcfit " << describe(a->second) << "\n";
      ++a;
      ++shown;
    } else {
      if (!(e->second == a->second)) {
        s << "frame " << e->first << ": tshark " << describe(e->second) << ", rpcfit "
          << describe(a->second) << "\n";
        ++shown;
      }
      ++e;
      ++a;
    }
  }
  return s.str();
}

}  // namespace rpcfit::captures::testing
