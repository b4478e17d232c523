#include "drivers/agent/protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rpcfit::agent {
namespace {

using testing::HasSubstr;

const char* const kHello =
    R"({"id":1,"ok":true,"protocol":1,"implementation":"wine-rpcrt4","version":"8.0",)"
    R"("now_us":5000,"capabilities":{"roles":["client"],"protseqs":["ncacn_ip_tcp"],)"
    R"("async":false,"set_cancel_timeout":true,"cancel_thread":true,"access_masks":true,)"
    R"("server_test_cancel":false}})";

std::string error_of(std::string_view line) {
  auto r = parse_line(line);
  return r ? std::string("(parsed)") : r.error();
}

TEST(AgentProtocol, RequestLinesPutIdAndOpFirstAndEndInANewline) {
  EXPECT_EQ(request_line(7, "cancel_thread_ex", Json{{"handle", "h1"}, {"timeout", 1}}),
            "{\"id\":7,\"op\":\"cancel_thread_ex\",\"handle\":\"h1\",\"timeout\":1}\n");
  EXPECT_EQ(request_line(2, "clock"), "{\"id\":2,\"op\":\"clock\"}\n");
  // Fields cannot override the id or the op.
  EXPECT_EQ(request_line(3, "bind", Json{{"id", 9}, {"op", "x"}}), "{\"id\":3,\"op\":\"bind\"}\n");
  // Invalid UTF-8 is replaced, never thrown on: one line still comes out.
  const std::string odd = request_line(4, "call", Json{{"detail", std::string("a\xff")}});
  EXPECT_EQ(odd.back(), '\n');
  EXPECT_EQ(odd.find('\n'), odd.size() - 1);
}

TEST(AgentProtocol, ParsesAnswersAndEvents) {
  auto answer = parse_line(R"({"id":7,"ok":true,"status":0,"began_us":10,"ended_us":12})");
  ASSERT_TRUE(answer) << answer.error();
  const auto* a = std::get_if<Answer>(&*answer);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->id, 7u);
  EXPECT_TRUE(a->ok);
  EXPECT_EQ(*Fields(a->fields, "answer 7").status("status"), 0u);

  auto refused = parse_line(R"({"id":8,"ok":false,"error":"no thread named t9"})");
  ASSERT_TRUE(refused);
  EXPECT_EQ(std::get<Answer>(*refused).error, "no thread named t9");

  auto event = parse_line(R"({"event":"async_completed","key":0,"returned":false})");
  ASSERT_TRUE(event);
  const auto* e = std::get_if<Event>(&*event);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->name, "async_completed");
}

TEST(AgentProtocol, RefusesLinesThatAreNotMessagesSayingWhy) {
  EXPECT_EQ(error_of("hello"), "not JSON");
  EXPECT_EQ(error_of("[1,2]"), "a JSON array, not an object");
  EXPECT_EQ(error_of("{}"), "neither an id nor an event");
  EXPECT_EQ(error_of(R"({"id":1,"event":"x","ok":true})"), "both an id and an event");
  EXPECT_THAT(error_of(R"({"id":0,"ok":true})"), HasSubstr("expected a positive integer"));
  EXPECT_THAT(error_of(R"({"id":-3,"ok":true})"), HasSubstr("expected a positive integer"));
  EXPECT_THAT(error_of(R"({"id":"7","ok":true})"), HasSubstr("expected a positive integer"));
  EXPECT_THAT(error_of(R"({"id":9007199254740993,"ok":true})"),
              HasSubstr("expected a positive integer"));
  EXPECT_EQ(error_of(R"({"id":7})"), "answer 7: field \"ok\": expected true or false, got nothing");
  EXPECT_EQ(error_of(R"({"id":7,"ok":false})"),
            "answer 7: field \"error\": expected the agent's reason, got nothing");
  EXPECT_THAT(error_of(R"({"event":""})"), HasSubstr("expected a name"));
  EXPECT_THAT(error_of(std::string(kMaxLine + 1, ' ')), HasSubstr("at most 1048576"));
}

TEST(AgentProtocol, FieldsSayWhichFieldHeldWhat) {
  auto line =
      parse_line(R"({"id":5,"ok":true,"status":"1818","output":"0a1","big":9007199254740993,)"
                 R"("neg":-1,"handle":null,"name":"h1","list":["a",2]})");
  ASSERT_TRUE(line);
  const Fields f(std::get<Answer>(*line).fields, "answer 5");
  EXPECT_EQ(f.status("status").error(),
            "answer 5: field \"status\": expected an integer, got \"1818\"");
  EXPECT_EQ(f.bytes("output").error(),
            "answer 5: field \"output\": expected hex digits, two per byte, got \"0a1\"");
  EXPECT_THAT(f.integer("big").error(), HasSubstr("within 2^53"));
  EXPECT_THAT(f.status("neg").error(), HasSubstr("a status from 0 to 4294967295"));
  EXPECT_EQ(f.integer("absent").error(), "answer 5: field \"absent\" is missing");
  EXPECT_FALSE(f.name_or_null("handle")->has_value());
  EXPECT_EQ(**f.name_or_null("name"), "h1");
  EXPECT_THAT(f.texts("list").error(), HasSubstr("a list of strings"));
  EXPECT_TRUE(f.has("neg"));
  EXPECT_FALSE(f.has("absent"));
}

TEST(AgentProtocol, BytesAreHexTwoDigitsEach) {
  auto line = parse_line(R"({"id":5,"ok":true,"output":"0a1bff","spaced":"0a 1b","empty":""})");
  ASSERT_TRUE(line);
  const Fields f(std::get<Answer>(*line).fields, "answer 5");
  EXPECT_EQ(*f.bytes("output"), (Bytes{0x0a, 0x1b, 0xff}));
  EXPECT_TRUE(f.bytes("empty")->empty());
  EXPECT_FALSE(f.bytes("spaced"));
}

TEST(AgentProtocol, HelloGivesTheImplementationAndItsCapabilities) {
  auto line = parse_line(kHello);
  ASSERT_TRUE(line);
  auto hello = hello_of(std::get<Answer>(*line), {1});
  ASSERT_TRUE(hello) << hello.error();
  EXPECT_EQ(hello->protocol, 1);
  EXPECT_EQ(hello->implementation, "wine-rpcrt4");
  EXPECT_EQ(hello->version, "8.0");
  EXPECT_EQ(hello->now_us, 5000);
  EXPECT_EQ(hello->capabilities.roles, std::vector<std::string>{"client"});
  EXPECT_EQ(hello->capabilities.protseqs, std::vector<std::string>{"ncacn_ip_tcp"});
  EXPECT_FALSE(hello->capabilities.async);
  EXPECT_TRUE(hello->capabilities.set_cancel_timeout);
  EXPECT_TRUE(hello->capabilities.cancel_thread);
  EXPECT_TRUE(hello->capabilities.access_masks);
  EXPECT_FALSE(hello->capabilities.server_test_cancel);
}

TEST(AgentProtocol, HelloFromAnotherVersionOrMissingAFieldIsRefused) {
  Answer a = std::get<Answer>(*parse_line(kHello));
  EXPECT_EQ(hello_of(a, {2}).error(), "hello: speaks protocol version 1, not one rpcfit offered");
  Answer no_caps = a;
  no_caps.fields.erase("capabilities");
  EXPECT_THAT(hello_of(no_caps, {1}).error(), HasSubstr("\"capabilities\""));
  Answer no_flag = a;
  no_flag.fields["capabilities"].erase("async");
  EXPECT_EQ(hello_of(no_flag, {1}).error(), "hello capabilities: field \"async\" is missing");
  Answer refused = std::get<Answer>(*parse_line(R"({"id":1,"ok":false,"error":"only v2"})"));
  EXPECT_EQ(hello_of(refused, {1}).error(), "hello refused: only v2");
}

}  // namespace
}  // namespace rpcfit::agent
