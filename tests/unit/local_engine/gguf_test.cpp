#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "sy/local_engine/gguf.hpp"
#include <random>

namespace sy::local_engine::gguf {
namespace {

const std::string kTinyPath = std::string(SY_TEST_DATA_DIR) + "/tiny-gpt-oss/tiny-gpt-oss.gguf";

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const std::vector<uint8_t>& tiny_bytes() {
  static const std::vector<uint8_t> bytes = read_all(kTinyPath);
  return bytes;
}

// Minimal GGUF writer for crafted files.
class Writer {
 public:
  explicit Writer(uint32_t version = 3) { put<uint32_t>(0x46554747); put(version); }
  template <class T>
  void put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out.insert(out.end(), p, p + sizeof(T));
  }
  void str(std::string_view s) {
    put<uint64_t>(s.size());
    out.insert(out.end(), s.begin(), s.end());
  }
  void counts(uint64_t tensors, uint64_t kvs) { put(tensors); put(kvs); }
  void kv_u32(std::string_view key, uint32_t v) { str(key); put<uint32_t>(4); put(v); }
  void kv_str(std::string_view key, std::string_view v) { str(key); put<uint32_t>(8); str(v); }
  void tensor(std::string_view name, std::vector<uint64_t> dims, uint32_t type, uint64_t offset) {
    str(name);
    put<uint32_t>(static_cast<uint32_t>(dims.size()));
    for (auto d : dims) put(d);
    put(type);
    put(offset);
  }
  void pad_and_data(uint64_t data_bytes, uint32_t align = 32) {
    while (out.size() % align) out.push_back(0);
    out.resize(out.size() + data_bytes, 0x11);
  }
  std::vector<uint8_t> out;
};

std::vector<uint8_t> good_small() {
  Writer w;
  w.counts(2, 2);
  w.kv_str("general.architecture", "test");
  w.kv_u32("test.count", 7);
  w.tensor("a", {32, 2}, 8, 0);   // Q8_0 2 rows: 68 bytes -> next aligned offset 96
  w.tensor("b", {4}, 0, 96);      // F32: 16 bytes
  w.pad_and_data(112);
  return w.out;
}

TEST(GgufFile, LoadsTinyFixture) {
  auto f = File::open(kTinyPath);
  ASSERT_TRUE(f) << f.error();
  const File& file = **f;
  EXPECT_EQ(file.version(), 3u);
  EXPECT_EQ(file.alignment(), 32u);
  EXPECT_EQ(file.tensors().size(), 3u + 19u * 4u);
  EXPECT_EQ(file.keys().size(), 31u);
  EXPECT_EQ(file.get_string("general.architecture"), "gpt-oss");
  EXPECT_EQ(file.get_int("gpt-oss.block_count"), 4);
  EXPECT_NEAR(*file.get_float("gpt-oss.rope.freq_base"), 150000.0, 1e-6);
  EXPECT_NEAR(*file.get_float("gpt-oss.attention.layer_norm_rms_epsilon"), 1e-5, 1e-10);
  EXPECT_EQ(file.get_float("gpt-oss.block_count"), 4.0);  // ints convert to float
  EXPECT_FALSE(file.get_int("general.architecture"));     // wrong type -> nullopt
  EXPECT_FALSE(file.get_string("no.such.key"));
  auto tokens = file.get_string_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens);
  EXPECT_EQ(tokens->size(), 201088u);
  EXPECT_EQ((*tokens)[200002], "<|return|>");
  auto types = file.get_int_array("tokenizer.ggml.token_type");
  ASSERT_TRUE(types);
  EXPECT_EQ(types->size(), 201088u);
  EXPECT_EQ(file.array_size("tokenizer.ggml.merges"), 446189u);
  EXPECT_NE(file.get_string("tokenizer.chat_template")->find("<|start|>"), std::string_view::npos);

  const TensorInfo* emb = file.tensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->type, TensorType::kQ8_0);
  EXPECT_EQ(emb->n_dims, 2u);
  EXPECT_EQ(emb->ne[0], 64);
  EXPECT_EQ(emb->ne[1], 201088);
  EXPECT_EQ(emb->nbytes, 13673984u);
  EXPECT_EQ(emb->row_bytes(), 68u);
  const TensorInfo* gate = file.tensor("blk.3.ffn_gate_exps.weight");
  ASSERT_NE(gate, nullptr);
  EXPECT_EQ(gate->type, TensorType::kMXFP4);
  EXPECT_EQ(gate->nbytes, 17408u);
  EXPECT_EQ(gate->ne[2], 8);
  uint64_t total = 0;
  for (const auto& t : file.tensors()) total += t.nbytes;
  EXPECT_EQ(total, 27647424u);
  // The last tensor ends at most at the end of the file, and data lie inside it.
  const TensorInfo* out = file.tensor("output.weight");
  ASSERT_NE(out, nullptr);
  const uint8_t* base = emb->data;
  EXPECT_LE(static_cast<uint64_t>(out->data - base) + out->nbytes + 0, file.total_bytes());
}

TEST(GgufFile, FromBytesMatchesOpen) {
  auto f = File::from_bytes(good_small());
  ASSERT_TRUE(f) << f.error();
  EXPECT_EQ((*f)->get_int("test.count"), 7);
  ASSERT_NE((*f)->tensor("b"), nullptr);
  EXPECT_EQ((*f)->tensor("b")->nbytes, 16u);
  EXPECT_EQ((*f)->tensor("a")->nbytes, 68u);
}

TEST(GgufFile, MissingFileIsAnError) {
  auto f = File::open("/nonexistent/dir/model.gguf");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().find("cannot open"), std::string::npos);
}

void expect_error(std::vector<uint8_t> bytes, std::string_view needle) {
  auto f = File::from_bytes(std::move(bytes));
  ASSERT_FALSE(f) << "expected error containing '" << needle << "'";
  EXPECT_NE(f.error().find(needle), std::string::npos) << f.error();
}

TEST(GgufBroken, TruncatedFixtureAlwaysFails) {
  const auto& all = tiny_bytes();
  ASSERT_GT(all.size(), 1000u);
  auto f = File::from_bytes(all);
  ASSERT_TRUE(f) << f.error();
  // Dense near the start, then spread over the whole file (metadata ~13 MB, then data).
  std::vector<size_t> cuts;
  for (size_t i = 0; i < 200; ++i) cuts.push_back(i);
  for (size_t i = 200; i < all.size(); i = i * 13 / 10 + 7) cuts.push_back(i);
  cuts.push_back(all.size() - 1);
  int failures = 0;
  for (size_t cut : cuts) {
    auto r = File::from_bytes(std::vector<uint8_t>(all.begin(), all.begin() + cut));
    EXPECT_FALSE(r) << "cut at " << cut;
    if (!r) ++failures;
    EXPECT_FALSE(!r && r.error().empty());
  }
  EXPECT_EQ(failures, static_cast<int>(cuts.size()));
}

TEST(GgufBroken, HeaderCorruption) {
  auto base = good_small();
  {
    auto b = base; b[0] = 'X';
    expect_error(b, "bad magic");
  }
  {
    auto b = base; uint32_t v = 1; std::memcpy(&b[4], &v, 4);
    expect_error(b, "v1");
  }
  {
    auto b = base; uint32_t v = 4; std::memcpy(&b[4], &v, 4);
    expect_error(b, "unsupported GGUF version");
  }
  {
    auto b = base; uint32_t v = 0x03000000; std::memcpy(&b[4], &v, 4);
    expect_error(b, "big-endian");
  }
  {
    auto b = base; uint64_t n = ~0ull; std::memcpy(&b[8], &n, 8);
    expect_error(b, "tensor_count");
  }
  {
    auto b = base; uint64_t n = uint64_t{1} << 40; std::memcpy(&b[16], &n, 8);
    expect_error(b, "kv_count");
  }
  {
    auto b = base; uint64_t n = ~0ull - 3; std::memcpy(&b[24], &n, 8);  // first key length
    expect_error(b, "key");
  }
}

TEST(GgufBroken, CraftedValuesAndTensors) {
  {  // unknown value type
    Writer w; w.counts(0, 1); w.str("k"); w.put<uint32_t>(13); w.put<uint32_t>(0);
    expect_error(w.out, "unknown value type");
  }
  {  // nested arrays
    Writer w; w.counts(0, 1); w.str("k"); w.put<uint32_t>(9); w.put<uint32_t>(9); w.put<uint64_t>(1);
    expect_error(w.out, "nested");
  }
  {  // absurd array length
    Writer w; w.counts(0, 1); w.str("k"); w.put<uint32_t>(9); w.put<uint32_t>(4); w.put<uint64_t>(uint64_t{1} << 62);
    expect_error(w.out, "exceeds file");
  }
  {  // string array length larger than file
    Writer w; w.counts(0, 1); w.str("k"); w.put<uint32_t>(9); w.put<uint32_t>(8); w.put<uint64_t>(1000);
    expect_error(w.out, "exceeds file");
  }
  {  // absurd string length inside array
    Writer w; w.counts(0, 1); w.str("k"); w.put<uint32_t>(9); w.put<uint32_t>(8); w.put<uint64_t>(1);
    w.put<uint64_t>(~0ull);
    expect_error(w.out, "truncated");
  }
  {  // duplicate key
    Writer w; w.counts(0, 2); w.kv_u32("a.b", 1); w.kv_u32("a.b", 2);
    expect_error(w.out, "duplicate key");
  }
  {  // empty key
    Writer w; w.counts(0, 1); w.kv_u32("", 1);
    expect_error(w.out, "empty key");
  }
  {  // bad alignment
    Writer w; w.counts(0, 1); w.kv_u32("general.alignment", 24);
    expect_error(w.out, "power of two");
  }
  {  // too many dims
    Writer w; w.counts(1, 0); w.tensor("t", {1, 1, 1, 1, 1}, 0, 0); w.pad_and_data(32);
    expect_error(w.out, "n_dims");
  }
  {  // zero dim
    Writer w; w.counts(1, 0); w.tensor("t", {0}, 0, 0); w.pad_and_data(32);
    expect_error(w.out, "invalid");
  }
  {  // element count overflow
    Writer w; w.counts(1, 0); w.tensor("t", {uint64_t{1} << 40, uint64_t{1} << 40}, 0, 0); w.pad_and_data(32);
    expect_error(w.out, "overflow");
  }
  {  // unknown type id
    Writer w; w.counts(1, 0); w.tensor("t", {32}, 2, 0); w.pad_and_data(64);
    expect_error(w.out, "unsupported ggml type");
  }
  {  // row not multiple of block
    Writer w; w.counts(1, 0); w.tensor("t", {33}, 8, 0); w.pad_and_data(64);
    expect_error(w.out, "block size");
  }
  {  // offset past end
    Writer w; w.counts(1, 0); w.tensor("t", {4}, 0, 1 << 20); w.pad_and_data(16);
    expect_error(w.out, "outside the file");
  }
  {  // data extends past end (wrong type size: Q8_0 needs 34 bytes, file has 32)
    Writer w; w.counts(1, 0); w.tensor("t", {32}, 8, 0); w.pad_and_data(32);
    expect_error(w.out, "outside the file");
  }
  {  // misaligned offset
    Writer w; w.counts(1, 0); w.tensor("t", {4}, 0, 8); w.pad_and_data(64);
    expect_error(w.out, "not aligned");
  }
  {  // overlapping tensors
    Writer w; w.counts(2, 0); w.tensor("a", {32}, 0, 0); w.tensor("b", {8}, 0, 96); w.pad_and_data(256);
    expect_error(w.out, "overlaps");
  }
  {  // duplicate tensor name
    Writer w; w.counts(2, 0); w.tensor("a", {8}, 0, 0); w.tensor("a", {8}, 0, 32); w.pad_and_data(64);
    expect_error(w.out, "duplicate tensor");
  }
  {  // overlong name
    Writer w; w.counts(1, 0); w.tensor(std::string(64, 'n'), {8}, 0, 0); w.pad_and_data(64);
    expect_error(w.out, "name length");
  }
  {  // bool not 0/1
    Writer w; w.counts(0, 1); w.str("k"); w.put<uint32_t>(7); w.put<uint8_t>(5);
    expect_error(w.out, "bool");
  }
}

TEST(GgufBroken, MutatedFixtureTensorInfo) {
  // Locate the first tensor info ("token_embd.weight") in the real file and corrupt it.
  const auto& all = tiny_bytes();
  const std::string name = "token_embd.weight";
  std::vector<uint8_t> needle(8);
  uint64_t len = name.size();
  std::memcpy(needle.data(), &len, 8);
  needle.insert(needle.end(), name.begin(), name.end());
  needle.push_back(2);  // n_dims = 2 (u32 LE, first byte)
  auto it = std::search(all.begin(), all.end(), needle.begin(), needle.end());
  ASSERT_NE(it, all.end());
  size_t info = static_cast<size_t>(it - all.begin()) + 8 + name.size();
  size_t dims = info + 4, type = dims + 16, offset = type + 4;
  {
    auto b = all; uint64_t d = 201089; std::memcpy(&b[dims + 8], &d, 8);  // one row more -> overlap
    expect_error(b, "overlaps");
  }
  {
    auto b = all; uint32_t t = 1; std::memcpy(&b[type], &t, 4);  // F16 rows are larger: runs into the next tensor
    expect_error(b, "overlaps");
  }
  {
    auto b = all; uint32_t t = 39; std::memcpy(&b[type], &t, 4);  // MXFP4: valid size, smaller
    EXPECT_TRUE(File::from_bytes(b));
  }
  {
    auto b = all; uint32_t t = 999; std::memcpy(&b[type], &t, 4);
    expect_error(b, "unsupported ggml type");
  }
  {
    auto b = all; uint64_t o = uint64_t{1} << 62; std::memcpy(&b[offset], &o, 8);
    expect_error(b, "outside the file");
  }
  {
    auto b = all; uint64_t o = ~0ull & ~uint64_t{31}; std::memcpy(&b[offset], &o, 8);
    expect_error(b, "outside the file");
  }
  {
    auto b = all; uint32_t n = 9; std::memcpy(&b[info], &n, 4);
    expect_error(b, "n_dims");
  }
}

// Touches everything a loaded file exposes, so ASan sees any out-of-bounds view.
size_t walk(const File& f) {
  size_t sum = 0;
  for (auto k : f.keys()) {
    sum += k.size();
    if (auto s = f.get_string(k)) sum += s->size();
    if (auto a = f.get_string_array(k))
      for (auto x : *a) sum += x.empty() ? 0 : static_cast<uint8_t>(x.back());
    if (auto a = f.get_int_array(k)) sum += a->size();
    if (auto a = f.get_float_array(k)) sum += a->size();
  }
  for (const auto& t : f.tensors())
    if (t.nbytes) sum += t.data[0] + t.data[t.nbytes - 1];
  return sum;
}

TEST(GgufBroken, RandomMutationsNeverCrash) {
  Writer w;
  w.counts(3, 4);
  w.kv_str("general.architecture", "test");
  w.kv_u32("general.alignment", 32);
  w.str("arr"); w.put<uint32_t>(9); w.put<uint32_t>(8); w.put<uint64_t>(3); w.str("a"); w.str("bc"); w.str("def");
  w.str("ints"); w.put<uint32_t>(9); w.put<uint32_t>(5); w.put<uint64_t>(2); w.put<int32_t>(1); w.put<int32_t>(2);
  w.tensor("q", {32, 2}, 8, 0);
  w.tensor("m", {64}, 39, 96);
  w.tensor("f", {3}, 0, 160);
  w.pad_and_data(192);
  ASSERT_TRUE(File::from_bytes(w.out)) << File::from_bytes(w.out).error();
  std::mt19937 rng(1234);
  int parsed = 0, rejected = 0;
  for (int i = 0; i < 4000; ++i) {
    auto b = w.out;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      const size_t at = rng() % b.size();
      switch (rng() % 3) {
        case 0: b[at] = static_cast<uint8_t>(rng()); break;
        case 1: b[at] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        default: b[at] = (rng() & 1) ? 0xFF : 0x00; break;
      }
    }
    if (rng() % 5 == 0) b.resize(rng() % b.size());
    auto f = File::from_bytes(std::move(b));
    if (f) {
      ++parsed;
      walk(**f);
    } else {
      ++rejected;
      EXPECT_FALSE(f.error().empty());
    }
  }
  EXPECT_GT(rejected, 1000);
  EXPECT_GT(parsed, 100);  // mutations of tensor data bytes keep the file valid
}

TEST(GgufSplit, TwoShardsLoadAsOne) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("sy_gguf_split_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto write = [](const fs::path& p, const std::vector<uint8_t>& b) {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  };
  Writer a;
  a.counts(1, 4);
  a.kv_str("general.architecture", "test");
  a.str("split.no"); a.put<uint32_t>(2); a.put<uint16_t>(0);
  a.str("split.count"); a.put<uint32_t>(2); a.put<uint16_t>(2);
  a.str("split.tensors.count"); a.put<uint32_t>(5); a.put<int32_t>(2);
  a.tensor("x", {8}, 0, 0);
  a.pad_and_data(32);
  Writer b;
  b.counts(1, 2);
  b.str("split.no"); b.put<uint32_t>(2); b.put<uint16_t>(1);
  b.str("split.count"); b.put<uint32_t>(2); b.put<uint16_t>(2);
  b.tensor("y", {4}, 0, 0);
  b.pad_and_data(16);
  write(dir / "m-00001-of-00002.gguf", a.out);
  write(dir / "m-00002-of-00002.gguf", b.out);
  auto f = File::open((dir / "m-00001-of-00002.gguf").string());
  ASSERT_TRUE(f) << f.error();
  EXPECT_EQ((*f)->shard_count(), 2);
  ASSERT_NE((*f)->tensor("y"), nullptr);
  EXPECT_EQ((*f)->tensor("y")->shard, 1);
  EXPECT_EQ((*f)->tensor("y")->data[0], 0x11);
  fs::remove(dir / "m-00002-of-00002.gguf");
  auto missing = File::open((dir / "m-00001-of-00002.gguf").string());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("00002-of-00002"), std::string::npos) << missing.error();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sy::local_engine::gguf
