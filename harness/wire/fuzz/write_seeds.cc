// Writes the sample PDUs as seed corpora for the wire fuzzers:
//   write_seeds DIR  ->  DIR/fuzz_co_decode/*, DIR/fuzz_cl_decode/*, DIR/fuzz_stream/*
#include <filesystem>
#include <fstream>
#include <iostream>

#include "harness/wire/codec.h"
#include "harness/wire/test_pdus.h"

namespace {

void write(const std::filesystem::path& file, const rpcfit::Bytes& bytes) {
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace rpcfit;
  if (argc != 2) {
    std::cerr << "usage: write_seeds DIR\n";
    return 2;
  }
  const std::filesystem::path dir(argv[1]);
  for (const char* sub : {"fuzz_co_decode", "fuzz_cl_decode", "fuzz_stream"}) {
    std::filesystem::create_directories(dir / sub);
  }
  int n = 0;
  Bytes stream{0x0f};  // first byte: chunk size for fuzz_stream
  for (ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
    for (const wire::CoPdu& p : wire::testing::sample_co_pdus(order)) {
      const Bytes b = wire::encode(p);
      write(dir / "fuzz_co_decode" / ("seed-" + std::to_string(n++)), b);
      stream.insert(stream.end(), b.begin(), b.end());
    }
    for (const wire::ClPdu& p : wire::testing::sample_cl_pdus(order)) {
      write(dir / "fuzz_cl_decode" / ("seed-" + std::to_string(n++)), wire::encode(p));
    }
  }
  write(dir / "fuzz_stream" / "seed-all", stream);
  return 0;
}
