// Decode and reassembly throughput (Google Benchmark). Run: build/default/harness/wire_bench
#include <benchmark/benchmark.h>

#include "harness/wire/codec.h"
#include "harness/wire/fragment.h"
#include "harness/wire/stream.h"
#include "harness/wire/test_pdus.h"

namespace rpcfit::wire {
namespace {

std::int64_t total(const benchmark::State& state, std::size_t per_iteration) {
  return state.iterations() * static_cast<std::int64_t>(per_iteration);
}

CoPdu request_with_stub(std::size_t n) {
  CoPdu p;
  p.type = PType::request;
  p.flags = pfc::kFirstFrag | pfc::kLastFrag;
  p.call_id = 1;
  p.body = CoRequest{static_cast<std::uint32_t>(n), 0, 1, std::nullopt, Bytes(n, 0x5a)};
  return p;
}

// A mix of every CO type, as a connection carries them.
void BM_DecodeCoMixed(benchmark::State& state) {
  std::vector<Bytes> pdus;
  std::size_t bytes = 0;
  for (const CoPdu& p : testing::sample_co_pdus(ByteOrder::little)) {
    pdus.push_back(encode(p));
    bytes += pdus.back().size();
  }
  for (auto _ : state) {
    for (const Bytes& b : pdus)
      benchmark::DoNotOptimize(decode_co(b));
  }
  state.SetBytesProcessed(total(state, bytes));
  state.SetItemsProcessed(total(state, pdus.size()));
}
BENCHMARK(BM_DecodeCoMixed);

void BM_DecodeCoRequest(benchmark::State& state) {
  const Bytes b = encode(request_with_stub(static_cast<std::size_t>(state.range(0))));
  for (auto _ : state)
    benchmark::DoNotOptimize(decode_co(b));
  state.SetBytesProcessed(total(state, b.size()));
}
BENCHMARK(BM_DecodeCoRequest)->Arg(64)->Arg(1024)->Arg(4280);

void BM_DecodeClMixed(benchmark::State& state) {
  std::vector<Bytes> pdus;
  std::size_t bytes = 0;
  for (const ClPdu& p : testing::sample_cl_pdus(ByteOrder::big)) {
    pdus.push_back(encode(p));
    bytes += pdus.back().size();
  }
  for (auto _ : state) {
    for (const Bytes& b : pdus)
      benchmark::DoNotOptimize(decode_cl(b));
  }
  state.SetBytesProcessed(total(state, bytes));
}
BENCHMARK(BM_DecodeClMixed);

// A TCP stream of 1 KiB requests arriving in 1460-byte segments, split into PDUs and decoded.
void BM_StreamSplitAndDecode(benchmark::State& state) {
  Bytes stream;
  const Bytes one = encode(request_with_stub(1000));
  for (int i = 0; i < 256; ++i)
    stream.insert(stream.end(), one.begin(), one.end());
  for (auto _ : state) {
    StreamSplitter s;
    for (std::size_t pos = 0; pos < stream.size(); pos += 1460) {
      s.feed(ByteView(stream).subspan(pos, std::min<std::size_t>(1460, stream.size() - pos)));
      while (auto f = s.next())
        benchmark::DoNotOptimize(decode_co((*f)->bytes));
    }
  }
  state.SetBytesProcessed(total(state, stream.size()));
}
BENCHMARK(BM_StreamSplitAndDecode);

// Reassembly of a 1 MiB request sent in 4280-byte fragments.
void BM_CallReassembly(benchmark::State& state) {
  const CoPdu whole = request_with_stub(1 << 20);
  const auto frags = *fragment_co(whole, 4280);
  for (auto _ : state) {
    CoCallReassembler r;
    for (const CoPdu& f : frags)
      benchmark::DoNotOptimize(r.add(f));
  }
  state.SetBytesProcessed(total(state, (1 << 20)));
}
BENCHMARK(BM_CallReassembly);

}  // namespace
}  // namespace rpcfit::wire

BENCHMARK_MAIN();
