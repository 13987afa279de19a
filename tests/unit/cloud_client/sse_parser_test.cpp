#include <gtest/gtest.h>

#include "sy/cloud_client/sse_parser.hpp"

namespace sy::cloud_client {
namespace {

TEST(SseParser, EventsSplitAcrossArbitraryChunkBoundaries) {
  const std::string stream =
      "data: {\"a\":1}\n\n: keep-alive comment\n\nevent: done\r\ndata: x\r\ndata: y\r\n\r\ndata: [DONE]\n\n";
  // Every split point must give the same events as one feed.
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser p;
    auto events = p.feed(stream.substr(0, cut));
    auto rest = p.feed(stream.substr(cut));
    events.insert(events.end(), rest.begin(), rest.end());
    ASSERT_EQ(events.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].event, "done");
    EXPECT_EQ(events[1].data, "x\ny");
    EXPECT_EQ(events[2].data, "[DONE]");
    EXPECT_EQ(p.pending_bytes(), 0u);
  }
}

TEST(SseParser, IncompleteEventStaysPending) {
  SseParser p;
  EXPECT_TRUE(p.feed("data: partial").empty());
  EXPECT_GT(p.pending_bytes(), 0u);
  auto e = p.feed("\n\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].data, "partial");
}

TEST(SseParser, FieldWithoutSpaceAndUnknownFields) {
  SseParser p;
  auto e = p.feed("id: 7\nretry: 10\ndata:nospace\n\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].data, "nospace");
}

}  // namespace
}  // namespace sy::cloud_client
