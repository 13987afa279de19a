// OutputParser: generated harmony tokens back into content, reasoning and
// tool calls, fed one token at a time as the engine does.
#include <gtest/gtest.h>

#include <random>

#include "sy/local_engine/harmony.hpp"
#include "tokenizer_support.hpp"

namespace sy::local_engine::harmony {
namespace {

using test::gpt_oss_tokenizer;

struct ParseRun {
  std::vector<ChatDelta> deltas;
  ChatCompletionResult result;
  bool done = false;
  int tokens_after_done_emitting = 0;
};

// Model output as harmony text; it continues a prompt that ended with "<|start|>assistant".
ParseRun parse(const std::string& output, const std::string& prefix = "call_") {
  const Tokenizer& tok = gpt_oss_tokenizer();
  OutputParser p(tok, prefix);
  ParseRun run;
  for (int32_t id : tok.encode(output, true)) {
    const bool was_done = p.done();
    auto d = p.feed(id);
    if (was_done && !d.empty()) ++run.tokens_after_done_emitting;
    run.deltas.insert(run.deltas.end(), d.begin(), d.end());
  }
  auto tail = p.flush();
  run.deltas.insert(run.deltas.end(), tail.begin(), tail.end());
  run.done = p.done();
  run.result = p.result();
  EXPECT_EQ(run.result.finish_reason, p.finish_reason());
  return run;
}

std::string joined(const ParseRun& run, DeltaKind kind) {
  std::string s;
  for (const auto& d : run.deltas) {
    if (d.kind == kind && kind != DeltaKind::kToolCall) s += d.text;
  }
  return s;
}

// Streaming invariant: the deltas add up to the final result.
void expect_deltas_add_up(const ParseRun& run) {
  EXPECT_EQ(joined(run, DeltaKind::kContent), run.result.content);
  EXPECT_EQ(joined(run, DeltaKind::kReasoning), run.result.reasoning_content);
  std::vector<ChatToolCall> calls;
  for (const auto& d : run.deltas) {
    if (d.kind != DeltaKind::kToolCall) continue;
    ASSERT_GE(d.tool_index, 0);
    if (!d.tool_call_id.empty()) {
      ASSERT_EQ(static_cast<size_t>(d.tool_index), calls.size()) << "a call starts once, in order";
      calls.push_back({d.tool_call_id, d.tool_name, ""});
    }
    ASSERT_LT(static_cast<size_t>(d.tool_index), calls.size()) << "arguments before the call started";
    calls[d.tool_index].arguments += d.text;
  }
  ASSERT_EQ(calls.size(), run.result.tool_calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].id, run.result.tool_calls[i].id);
    EXPECT_EQ(calls[i].name, run.result.tool_calls[i].name);
    EXPECT_EQ(calls[i].arguments, run.result.tool_calls[i].arguments);
  }
}

TEST(HarmonyParser, AnalysisThenFinal) {
  const auto run = parse("<|channel|>analysis<|message|>User asks 2+2. Simple.<|end|>"
                         "<|start|>assistant<|channel|>final<|message|>2 + 2 = 4.<|return|>");
  EXPECT_TRUE(run.done);
  EXPECT_EQ(run.result.reasoning_content, "User asks 2+2. Simple.");
  EXPECT_EQ(run.result.content, "2 + 2 = 4.");
  EXPECT_TRUE(run.result.tool_calls.empty());
  EXPECT_EQ(run.result.finish_reason, "stop");
  EXPECT_GT(run.deltas.size(), 2u);  // streamed token by token, not in one piece
  expect_deltas_add_up(run);
}

TEST(HarmonyParser, ToolCallWithRecipientAfterChannel) {
  const auto run = parse("<|channel|>analysis<|message|>Need the weather.<|end|>"
                         "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json"
                         "<|message|>{\"location\":\"Tokyo\"}<|call|>");
  EXPECT_TRUE(run.done);
  EXPECT_EQ(run.result.finish_reason, "tool_calls");
  ASSERT_EQ(run.result.tool_calls.size(), 1u);
  EXPECT_EQ(run.result.tool_calls[0].name, "get_weather");
  EXPECT_EQ(run.result.tool_calls[0].arguments, "{\"location\":\"Tokyo\"}");
  EXPECT_EQ(run.result.tool_calls[0].id, "call_0");
  EXPECT_EQ(run.result.reasoning_content, "Need the weather.");
  EXPECT_EQ(run.result.content, "");
  expect_deltas_add_up(run);
}

TEST(HarmonyParser, ToolCallWithRecipientInRole) {
  // Right after the prompt's "<|start|>assistant" the recipient continues the role.
  const auto first = parse(" to=functions.lookup<|channel|>commentary json<|message|>{\"q\": 1}<|call|>");
  ASSERT_EQ(first.result.tool_calls.size(), 1u);
  EXPECT_EQ(first.result.tool_calls[0].name, "lookup");
  EXPECT_EQ(first.result.tool_calls[0].arguments, "{\"q\": 1}");
  EXPECT_EQ(first.result.finish_reason, "tool_calls");
  expect_deltas_add_up(first);

  const auto later = parse("<|channel|>analysis<|message|>hmm<|end|><|start|>assistant to=functions.lookup"
                           "<|channel|>commentary <|constrain|>json<|message|>{}<|call|>");
  ASSERT_EQ(later.result.tool_calls.size(), 1u);
  EXPECT_EQ(later.result.tool_calls[0].name, "lookup");
  EXPECT_EQ(later.result.tool_calls[0].arguments, "{}");
  expect_deltas_add_up(later);
}

TEST(HarmonyParser, SeveralToolCallsGetIndexedIds) {
  const auto run = parse("<|channel|>commentary to=functions.a <|constrain|>json<|message|>{\"x\":1}<|call|>", "call_r7_");
  ASSERT_EQ(run.result.tool_calls.size(), 1u);
  EXPECT_EQ(run.result.tool_calls[0].id, "call_r7_0");

  // Two calls in one generation (the model went on after <|end|> instead of <|call|>).
  const auto two = parse("<|channel|>commentary to=functions.a json<|message|>{}<|end|>"
                         "<|start|>assistant<|channel|>commentary to=functions.b json<|message|>{\"y\":2}<|call|>");
  ASSERT_EQ(two.result.tool_calls.size(), 2u);
  EXPECT_EQ(two.result.tool_calls[0].id, "call_0");
  EXPECT_EQ(two.result.tool_calls[1].id, "call_1");
  EXPECT_EQ(two.result.tool_calls[1].name, "b");
  expect_deltas_add_up(two);
}

TEST(HarmonyParser, CommentaryPreambleIsContent) {
  const auto run = parse("<|channel|>commentary<|message|>Let me check that.<|end|>"
                         "<|start|>assistant<|channel|>commentary to=functions.f <|constrain|>json<|message|>{}<|call|>");
  EXPECT_EQ(run.result.content, "Let me check that.");
  ASSERT_EQ(run.result.tool_calls.size(), 1u);
  expect_deltas_add_up(run);
}

TEST(HarmonyParser, BuiltinToolCallsAreReasoningNotToolCalls) {
  const auto run = parse("<|channel|>analysis to=python code<|message|>print(1)<|call|>");
  EXPECT_TRUE(run.result.tool_calls.empty());
  EXPECT_EQ(run.result.reasoning_content, "print(1)");
  EXPECT_EQ(run.result.finish_reason, "stop");
}

TEST(HarmonyParser, MalformedHeadersDegradeToContent) {
  // Unknown channel name.
  EXPECT_EQ(parse("<|channel|>finale<|message|>Paris.<|return|>").result.content, "Paris.");
  // No header at all: the model wrote prose straight away.
  const auto prose = parse("Hello there!\nHow are you?<|return|>");
  EXPECT_EQ(prose.result.content, "Hello there!\nHow are you?");
  EXPECT_EQ(prose.result.finish_reason, "stop");
  expect_deltas_add_up(prose);
  // Channel header that never gets its <|message|>.
  const auto unterminated = parse("<|channel|>final The answer is 4<|end|>");
  EXPECT_NE(unterminated.result.content.find("The answer is 4"), std::string::npos);
  EXPECT_FALSE(unterminated.done);
  // Stray tokens: a <|message|> with no header, reserved ids, text between messages.
  const Tokenizer& tok = gpt_oss_tokenizer();
  OutputParser p(tok);
  for (int32_t id : tok.encode("<|message|>a<|reserved_200000|>b<|end|>c<|constrain|><|message|>d", true)) p.feed(id);
  EXPECT_EQ(p.result().content, "abcd");
  EXPECT_FALSE(p.done());
}

TEST(HarmonyParser, StopsOnReturnCallAndEndOfText) {
  const auto ret = parse("<|channel|>final<|message|>done<|return|>more text<|start|>assistant<|channel|>final<|message|>x");
  EXPECT_TRUE(ret.done);
  EXPECT_EQ(ret.result.content, "done");
  EXPECT_EQ(ret.tokens_after_done_emitting, 0);

  const auto eot = parse("<|channel|>final<|message|>cut<|endoftext|>ignored");
  EXPECT_TRUE(eot.done);
  EXPECT_EQ(eot.result.content, "cut");
  EXPECT_EQ(eot.result.finish_reason, "stop");

  // <|call|> without a function recipient is not a tool call.
  const auto call = parse("<|channel|>final<|message|>hm<|call|>");
  EXPECT_EQ(call.result.finish_reason, "stop");

  // A call message closed by <|end|> and then end of text still reports the call.
  const auto eot_call = parse("<|channel|>commentary to=functions.f json<|message|>{}<|end|><|endoftext|>");
  EXPECT_EQ(eot_call.result.finish_reason, "tool_calls");
  ASSERT_EQ(eot_call.result.tool_calls.size(), 1u);

  // <|end|> alone never stops: the model goes on to the next message.
  const auto end = parse("<|channel|>analysis<|message|>think<|end|>");
  EXPECT_FALSE(end.done);
  EXPECT_EQ(end.result.finish_reason, "");
}

TEST(HarmonyParser, DeltasAreWholeUtf8Characters) {
  const Tokenizer& tok = gpt_oss_tokenizer();
  const std::string text = "Robot 🤖 says 你好, Привет, नमस्ते 👨‍👩‍👧";
  OutputParser p(tok);
  std::vector<ChatDelta> deltas;
  auto feed = [&](const std::vector<int32_t>& ids) {
    for (int32_t id : ids) {
      auto d = p.feed(id);
      deltas.insert(deltas.end(), d.begin(), d.end());
    }
  };
  feed(tok.encode("<|channel|>final<|message|>", true));
  const auto body = tok.encode(text, false);
  // At least one character is split across tokens, or this test proves nothing.
  bool split = false;
  for (int32_t id : body) split |= (static_cast<unsigned char>(tok.token_bytes(id)[0]) & 0xC0) == 0x80;
  EXPECT_TRUE(split);
  feed(body);
  feed(tok.encode("<|return|>", true));
  std::string all;
  for (const auto& d : deltas) {
    const auto lead = static_cast<unsigned char>(d.text.empty() ? 'x' : d.text[0]);
    EXPECT_NE(lead & 0xC0, 0x80) << "delta starts inside a character";
    all += d.text;
  }
  EXPECT_EQ(all, text);
  EXPECT_EQ(p.result().content, text);
}

TEST(HarmonyParser, InvalidBytesBecomeReplacementCharacters) {
  const Tokenizer& tok = gpt_oss_tokenizer();
  OutputParser p(tok);
  for (int32_t id : tok.encode("<|channel|>final<|message|>", true)) p.feed(id);
  for (int32_t id : tok.encode(std::string("ok\xff!\xe4\xbd", 6), false)) p.feed(id);
  p.flush();
  EXPECT_EQ(p.result().content, "ok\xEF\xBF\xBD!\xEF\xBF\xBD");
}

TEST(HarmonyParser, RandomTokensNeverBreakIt) {
  const Tokenizer& tok = gpt_oss_tokenizer();
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> any(0, static_cast<int32_t>(tok.vocab_size()) - 1);
  std::uniform_int_distribution<int32_t> special(199998, 200018);
  for (int round = 0; round < 50; ++round) {
    OutputParser p(tok);
    std::vector<ChatDelta> deltas;
    for (int i = 0; i < 400 && !p.done(); ++i) {
      const int32_t id = (i % 7 == 0) ? special(rng) : any(rng);
      auto d = p.feed(id == 199999 || id == 200002 || id == 200012 ? 13 : id);  // keep going to the end
      deltas.insert(deltas.end(), d.begin(), d.end());
    }
    auto tail = p.flush();
    deltas.insert(deltas.end(), tail.begin(), tail.end());
    ParseRun run{deltas, p.result(), p.done(), 0};
    expect_deltas_add_up(run);
    for (const std::string* s : {&run.result.content, &run.result.reasoning_content}) {
      EXPECT_NO_THROW(nlohmann::json(*s).dump());  // throws on invalid UTF-8
    }
  }
}

}  // namespace
}  // namespace sy::local_engine::harmony
