#include "sy/router/classify_bench.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>

namespace sy::router {
namespace {

constexpr const char* kParagraphs[] = {
    "Please review the following design notes and summarise the trade-offs for the team. The service handles "
    "about 1200 requests per second at peak and we want to keep p99 latency under 250 ms after the migration.\n",
    "```python\ndef retry(fn, attempts=3, backoff=0.5):\n    for i in range(attempts):\n        try:\n"
    "            return fn()\n        except TimeoutError:\n            time.sleep(backoff * 2 ** i)\n    raise\n```\n",
    "2024-06-12T08:00:00.705Z INFO  [payments-gw] published event OrderCreated order_id=6712959 partition=4 "
    "offset=443721 latency_ms=17\n",
    "我们计划在下个季度完成数据库迁移，并在迁移完成后对报表模块进行性能优化。请给出一份分阶段的实施计划。\n",
    "Upgrade notes: nginx 1.25.3 -> 1.27.0, Python 3.11.9, numpy 1.26.4. See https://docs.python.org/3/ for details "
    "and section 4.2.1 of the runbook.\n",
    "The quarterly report shows revenue grew 12% year over year; churn fell to 3.1% and the team hired 14 people. "
    "Draft a short, friendly newsletter paragraph about it.\n",
};

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

struct Stats {
  double p50 = 0, p99 = 0, mean = 0;
};

Stats stats(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) { return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))]; };
  s.p50 = pct(0.50);
  s.p99 = pct(0.99);
  return s;
}

}  // namespace

std::string make_bench_prompt(size_t bytes) {
  std::string out;
  out.reserve(bytes + 512);
  size_t i = 0;
  while (out.size() < bytes) out += kParagraphs[i++ % std::size(kParagraphs)];
  // Cut on a UTF-8 boundary, then pad with ASCII to the exact size.
  size_t cut = bytes;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  out.append(bytes - cut, ' ');
  return out;
}

ClassifyBenchResult bench_classify(const Router& router, size_t bytes, const std::string& label, double seconds) {
  ChatRequest req;
  req.model = "auto";
  Message m;
  m.role = "user";
  m.content = make_bench_prompt(bytes);
  req.messages.push_back(std::move(m));
  RequestContext ctx;
  // Warm-up: scratch space, ICU and libphonenumber singletons, caches.
  for (int i = 0; i < 3; ++i) (void)router.classify(req, ctx);
  std::vector<double> us, cpu;
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const auto budget = std::chrono::duration<double>(seconds);
  while ((us.size() < 10 || clock::now() - start < budget) && us.size() < 200000) {
    const double c0 = thread_cpu_us();
    auto t0 = clock::now();
    Classification c = router.classify(req, ctx);
    auto t1 = clock::now();
    const double c1 = thread_cpu_us();
    if (c.fail_closed) break;
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    cpu.push_back(c1 - c0);
  }
  ClassifyBenchResult r;
  r.label = label;
  r.bytes = bytes;
  r.iterations = us.size();
  if (us.empty()) return r;
  Stats w = stats(std::move(us)), c = stats(std::move(cpu));
  r.mean_us = w.mean;
  r.p50_us = w.p50;
  r.p99_us = w.p99;
  r.mb_s = static_cast<double>(bytes) / w.mean;  // bytes per microsecond == MB/s
  r.cpu_p50_us = c.p50;
  r.cpu_p99_us = c.p99;
  r.cpu_mb_s = c.mean > 0 ? static_cast<double>(bytes) / c.mean : 0.0;
  return r;
}

std::vector<ClassifyBenchResult> bench_classify_standard(const Router& router, double seconds_per_size) {
  return {bench_classify(router, 1024, "1KB", seconds_per_size), bench_classify(router, 4096, "4KB", seconds_per_size),
          bench_classify(router, 65536, "64KB", seconds_per_size),
          bench_classify(router, 1 << 20, "1MB", seconds_per_size)};
}

}  // namespace sy::router
