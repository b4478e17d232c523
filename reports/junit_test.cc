#include "reports/junit.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "reports/sample_report.h"

extern char** environ;

namespace rpcfit::reports {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// ---- a strict reader of the XML junit_xml writes ----

struct Node {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<Node> children;
  std::string text;  // the character data directly inside, references resolved

  bool has(std::string_view key) const {
    for (const auto& [k, v] : attributes)
      if (k == key) return true;
    return false;
  }
  std::string at(std::string_view key) const {
    for (const auto& [k, v] : attributes)
      if (k == key) return v;
    ADD_FAILURE() << "<" << name << "> has no attribute " << key;
    return "";
  }
  std::vector<const Node*> all(std::string_view child) const {
    std::vector<const Node*> out;
    for (const Node& n : children)
      if (n.name == child) out.push_back(&n);
    return out;
  }
  const Node* child(std::string_view child_name) const {
    const auto found = all(child_name);
    return found.empty() ? nullptr : found.front();
  }
};

// Well-formedness per XML 1.0 for the subset junit_xml writes (declaration, elements, attributes,
// character data, references); comments, CDATA, PIs and DTDs are refused since it writes none.
// Written independently of junit.cc, so that the tests do not trust its escaping to check it.
class XmlReader {
 public:
  explicit XmlReader(std::string_view doc) : s_(doc) {}

  Node document() {
    check_characters();
    expect("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    skip_space();
    Node root = element();
    skip_space();
    if (i_ != s_.size()) fail("content after the root element");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(what + " at byte " + std::to_string(i_));
  }

  // Every character must be valid UTF-8 and an XML 1.0 Char.
  void check_characters() {
    for (i_ = 0; i_ < s_.size();) {
      const char32_t c = next_utf8();
      const bool allowed = c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
                           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
      if (!allowed) fail("character U+" + std::to_string(static_cast<unsigned>(c)));
    }
    i_ = 0;
  }

  char32_t next_utf8() {
    const auto b = static_cast<unsigned char>(s_[i_++]);
    if (b < 0x80) return b;
    const int n = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : -1;
    if (n < 0 || b > 0xF4) fail("invalid UTF-8 lead byte");
    char32_t c = b & (0x3Fu >> n);
    for (int k = 0; k < n; ++k) {
      if (i_ >= s_.size() || (static_cast<unsigned char>(s_[i_]) & 0xC0) != 0x80) {
        fail("truncated UTF-8 sequence");
      }
      c = (c << 6) | (static_cast<unsigned char>(s_[i_++]) & 0x3Fu);
    }
    const char32_t min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
    if (c < min || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) fail("ill-formed UTF-8");
    return c;
  }

  bool at(std::string_view text) const { return s_.substr(i_).starts_with(text); }
  void expect(std::string_view text) {
    if (!at(text)) fail("expected \"" + std::string(text) + "\"");
    i_ += text.size();
  }
  void skip_space() {
    while (i_ < s_.size() && std::string_view(" \t\r\n").find(s_[i_]) != std::string_view::npos)
      ++i_;
  }
  std::string name() {
    const std::size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) ||
                              std::string_view("_:.-").find(s_[i_]) != std::string_view::npos)) {
      ++i_;
    }
    if (i_ == start || !std::isalpha(static_cast<unsigned char>(s_[start]))) fail("bad name");
    return std::string(s_.substr(start, i_ - start));
  }

  static void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
      out += static_cast<char>(c);
      return;
    }
    constexpr unsigned char kLead[] = {0, 0xC0, 0xE0, 0xF0};
    const int n = c < 0x800 ? 1 : c < 0x10000 ? 2 : 3;
    out += static_cast<char>(kLead[n] | (c >> (6 * n)));
    for (int k = n - 1; k >= 0; --k)
      out += static_cast<char>(0x80 | ((c >> (6 * k)) & 0x3F));
  }

  void reference(std::string& out) {
    expect("&");
    const auto end = s_.find(';', i_);
    if (end == std::string_view::npos) fail("unterminated reference");
    const std::string_view ref = s_.substr(i_, end - i_);
    i_ = end + 1;
    if (ref == "amp") return out.push_back('&');
    if (ref == "lt") return out.push_back('<');
    if (ref == "gt") return out.push_back('>');
    if (ref == "quot") return out.push_back('"');
    if (ref == "apos") return out.push_back('\'');
    if (!ref.starts_with('#') || ref.size() < 2) fail("unknown entity &" + std::string(ref) + ";");
    const bool hex = ref[1] == 'x';
    const std::string digits(ref.substr(hex ? 2 : 1));
    if (digits.empty() || digits.find_first_not_of(hex ? "0123456789abcdefABCDEF" : "0123456789") !=
                              std::string::npos) {
      fail("bad character reference");
    }
    const auto c = static_cast<char32_t>(std::stoul(digits, nullptr, hex ? 16 : 10));
    const bool allowed = c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
                         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
    if (!allowed) fail("reference to a character XML forbids");
    append_utf8(out, c);
  }

  // Attribute-value normalization: a literal tab or line break reads as a space.
  std::string attribute_value() {
    const char quote = s_[i_];
    if (quote != '"' && quote != '\'') fail("unquoted attribute value");
    ++i_;
    std::string out;
    while (i_ < s_.size() && s_[i_] != quote) {
      const char ch = s_[i_];
      if (ch == '<') fail("'<' in an attribute value");
      if (ch == '&') {
        reference(out);
        continue;
      }
      out += ch == '\t' || ch == '\n' || ch == '\r' ? ' ' : ch;
      ++i_;
    }
    expect(std::string(1, quote));
    return out;
  }

  // Line-end normalization: CR LF and lone CR read as LF.
  void character_data(Node& node) {
    while (i_ < s_.size() && s_[i_] != '<') {
      if (at("]]>")) fail("\"]]>\" in character data");
      if (s_[i_] == '&') {
        reference(node.text);
        continue;
      }
      if (s_[i_] == '\r') {
        node.text += '\n';
        i_ += at("\r\n") ? 2u : 1u;
        continue;
      }
      node.text += s_[i_++];
    }
  }

  Node element() {
    expect("<");
    Node node;
    node.name = name();
    while (true) {
      const std::size_t before = i_;
      skip_space();
      if (at("/>")) {
        i_ += 2;
        return node;
      }
      if (at(">")) break;
      if (i_ == before) fail("expected whitespace before an attribute");
      std::string key = name();
      skip_space();
      expect("=");
      skip_space();
      if (node.has(key)) fail("duplicate attribute " + key);
      node.attributes.emplace_back(std::move(key), attribute_value());
    }
    expect(">");
    while (true) {
      character_data(node);
      if (at("</")) break;
      if (at("<!") || at("<?")) fail("markup junit_xml does not write");
      node.children.push_back(element());
    }
    expect("</");
    if (name() != node.name) fail("end tag does not match <" + node.name + ">");
    skip_space();
    expect(">");
    return node;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// The document, or a test failure saying where it is not well formed.
Node parsed(const std::string& doc) {
  try {
    return XmlReader(doc).document();
  } catch (const std::runtime_error& e) {
    ADD_FAILURE() << "not well-formed XML: " << e.what() << "\n" << doc;
    return Node{};
  }
}

std::vector<const Node*> testcases(const Node& root) {
  std::vector<const Node*> out;
  for (const Node* suite : root.all("testsuite")) {
    const auto cases = suite->all("testcase");
    out.insert(out.end(), cases.begin(), cases.end());
  }
  return out;
}

const Node& testcase(const Node& root, std::string_view name) {
  for (const Node* t : testcases(root))
    if (t->at("name") == name) return *t;
  ADD_FAILURE() << "no testcase " << name;
  static const Node none;
  return none;
}

// The one outcome element of a testcase, or nullptr (PASS).
const Node* outcome(const Node& testcase) {
  const Node* found = nullptr;
  for (const Node& n : testcase.children) {
    if (n.name == "system-out") continue;
    EXPECT_EQ(found, nullptr) << "two outcome elements in " << testcase.at("name");
    found = &n;
  }
  return found;
}

std::string system_out(const Node& testcase) {
  const Node* out = testcase.child("system-out");
  return out == nullptr ? "(none)" : out->text;
}

// ---- xmllint ----

struct Ran {
  int status = -1;
  std::string output;  // stdout and stderr
};

Ran run(std::vector<std::string> argv) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return {-1, "pipe failed"};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  const int failed = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  Ran ran;
  char buf[4096];
  ssize_t n = 0;
  while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) ran.output.append(buf, static_cast<std::size_t>(n));
  }
  close(pipe_fds[0]);
  if (failed != 0) return {-1, "posix_spawn " + argv[0] + ": " + std::strerror(failed)};
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ran.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return ran;
}

constexpr const char* kXmllint = "/usr/bin/xmllint";

// xmllint's verdict on `doc` against junit.xsd: status 0 when it validates.
Ran validate(const std::string& doc, const std::string& name) {
  const std::string path = ::testing::TempDir() + "rpcfit_junit_" + name + ".xml";
  std::ofstream(path, std::ios::binary) << doc;
  Ran ran = run({kXmllint, "--noout", "--schema", RPCFIT_JUNIT_XSD, path});
  std::filesystem::remove(path);
  return ran;
}

// ---- reports ----

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

const std::string kFffd = "\xEF\xBF\xBD";

// A run whose strings hold what XML 1.0 forbids and what is not UTF-8 at all.
RunReport hostile_report() {
  RunReport r = testing::sample_report();
  ScenarioResult& error = r.scenarios[2];
  error.id = "bad\xFF\xFEid";
  error.area = "a\x01rea";
  error.reason = std::string("tab\there\nnl\r\ncrlf \x1B[31mred nul:") + '\0' +
                 " surrogate:\xED\xA0\x80 overlong:\xC0\xAF big:\xF4\x90\x80\x80 truncated:\xE2\x82"
                 " nonchar:\xEF\xBF\xBF c1:\xC2\x85 ok:\xC3\xA9\xE6\x97\xA5\xF0\x9F\x99\x82 it's";
  r.scenarios[3].id = "tab\tid\nline";
  r.scenarios[0].wire[0].text = "bind \x02 ]]> <![CDATA[ &amp;";
  return r;
}

const std::string kHostileReason =
    "tab\there nl crlf \\x1B[31mred nul:\\x00 surrogate:" + kFffd + kFffd + kFffd +
    " overlong:" + kFffd + kFffd + " big:" + kFffd + kFffd + kFffd + kFffd + " truncated:" + kFffd +
    " nonchar:" + kFffd + " c1:\\u0085 ok:\xC3\xA9\xE6\x97\xA5\xF0\x9F\x99\x82 it's";

// ---- tests ----

TEST(JunitXml, DeclarationAndRunTotals) {
  const std::string xml = junit_xml(testing::sample_report());
  EXPECT_THAT(xml, StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
  const Node root = parsed(xml);
  EXPECT_EQ(root.name, "testsuites");
  EXPECT_EQ(root.at("name"), "rpcfit");
  EXPECT_EQ(root.at("tests"), "6");
  EXPECT_EQ(root.at("failures"), "2");  // FAIL, XPASS
  EXPECT_EQ(root.at("errors"), "1");
  EXPECT_EQ(root.at("skipped"), "2");  // SKIP, XFAIL
  EXPECT_NEAR(std::stod(root.at("time")), 2.7905, 0.0006);
  EXPECT_THAT(root.at("time"), ::testing::MatchesRegex("[0-9]+\\.[0-9]{3}"));
}

TEST(JunitXml, OneSuitePerAreaInOrderOfFirstAppearance) {
  const Node root = parsed(junit_xml(testing::sample_report()));
  const auto suites = root.all("testsuite");
  ASSERT_EQ(suites.size(), 4u);
  const struct {
    const char *name, *tests, *failures, *errors, *skipped;
  } want[] = {{"rpcfit.co-call", "3", "1", "0", "1"},
              {"rpcfit.datagram", "1", "1", "0", "0"},
              {"rpcfit.server", "1", "0", "1", "0"},
              {"rpcfit.client-api", "1", "0", "0", "1"}};
  for (std::size_t i = 0; i < suites.size(); ++i) {
    SCOPED_TRACE(want[i].name);
    EXPECT_EQ(suites[i]->at("name"), want[i].name);
    EXPECT_EQ(suites[i]->at("tests"), want[i].tests);
    EXPECT_EQ(suites[i]->at("failures"), want[i].failures);
    EXPECT_EQ(suites[i]->at("errors"), want[i].errors);
    EXPECT_EQ(suites[i]->at("skipped"), want[i].skipped);
    EXPECT_EQ(suites[i]->at("timestamp"), "2026-12-06T04:27:09Z");
    EXPECT_FALSE(suites[i]->has("hostname"));
  }
  EXPECT_NEAR(std::stod(suites[0]->at("time")), 3 * 0.1105, 0.0006);
}

// What XSD 1.0 cannot check: each suite's counts are its testcases' outcomes, its testcases'
// classname is its name, and the run's counts are the suites' sums.
TEST(JunitXml, CountsAddUpAndClassnamesNameTheirSuite) {
  const Node root = parsed(junit_xml(testing::sample_report()));
  std::size_t tests = 0;
  for (const Node* suite : root.all("testsuite")) {
    std::size_t failures = 0, errors = 0, skipped = 0;
    const auto cases = suite->all("testcase");
    for (const Node* t : cases) {
      EXPECT_EQ(t->at("classname"), suite->at("name"));
      const Node* o = outcome(*t);
      if (o == nullptr) continue;
      if (o->name == "failure") ++failures;
      if (o->name == "error") ++errors;
      if (o->name == "skipped") ++skipped;
    }
    tests += cases.size();
    EXPECT_EQ(suite->at("tests"), std::to_string(cases.size()));
    EXPECT_EQ(suite->at("failures"), std::to_string(failures));
    EXPECT_EQ(suite->at("errors"), std::to_string(errors));
    EXPECT_EQ(suite->at("skipped"), std::to_string(skipped));
  }
  EXPECT_EQ(root.at("tests"), std::to_string(tests));
}

TEST(JunitXml, RunPropertiesOnTheFirstSuiteOnly) {
  const Node root = parsed(junit_xml(testing::sample_report()));
  const auto suites = root.all("testsuite");
  ASSERT_FALSE(suites.empty());
  const Node* properties = suites[0]->child("properties");
  ASSERT_NE(properties, nullptr);
  std::vector<std::pair<std::string, std::string>> got;
  for (const Node* p : properties->all("property"))
    got.emplace_back(p->at("name"), p->at("value"));
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{{"seed", "3913299748625767897"},
                                                                   {"time_scale", "1"},
                                                                   {"tolerance_scale", "1"},
                                                                   {"tool_version", "0.1.0"},
                                                                   {"driver", "inproc"}}));
  for (std::size_t i = 1; i < suites.size(); ++i)
    EXPECT_EQ(suites[i]->child("properties"), nullptr);
  EXPECT_EQ(root.child("properties"), nullptr);
}

TEST(JunitXml, TestcaseNamesClassnamesTimesAndFiles) {
  const Node root = parsed(junit_xml(testing::sample_report()));
  const auto cases = testcases(root);
  std::vector<std::string> names;
  for (const Node* t : cases)
    names.push_back(t->at("name"));
  // Grouped by area, in run order within each.
  EXPECT_THAT(names, ::testing::ElementsAre("timeout/co/hung-server-finite", "cancel/co/known-bug",
                                            "cancel/co/stale-mark", "faults/udp/lost-cl-cancel",
                                            "server/co/stuck", "protseq/mq/lab"));
  const Node& fail = testcase(root, "faults/udp/lost-cl-cancel");
  EXPECT_EQ(fail.at("classname"), "rpcfit.datagram");
  EXPECT_EQ(fail.at("time"), "0.111");  // 110.5 ms
  EXPECT_EQ(fail.at("file"), "scenarios/faults/udp/lost-cl-cancel.yaml");
  EXPECT_EQ(fail.at("line"), "18");  // of the first mismatch, for annotations
  EXPECT_FALSE(testcase(root, "timeout/co/hung-server-finite").has("line"));
}

TEST(JunitXml, PassHasNoOutcomeElement) {
  const Node root = parsed(junit_xml(testing::sample_report()));
  const Node& pass = testcase(root, "timeout/co/hung-server-finite");
  EXPECT_EQ(outcome(pass), nullptr);
  EXPECT_NE(pass.child("system-out"), nullptr);
}

TEST(JunitXml, FailListsEveryMismatchAndTheCaptureDiff) {
  const Node root = parsed(junit_xml(testing::sample_report()));
  const Node* failure = outcome(testcase(root, "faults/udp/lost-cl-cancel"));
  ASSERT_NE(failure, nullptr);
  EXPECT_EQ(failure->name, "failure");
  EXPECT_EQ(failure->at("type"), "FAIL");
  EXPECT_EQ(failure->at("message"), "server call 1 saw_cancel_at: expected 100ms, got 359.788ms");
  EXPECT_EQ(failure->text,
            "scenarios/faults/udp/lost-cl-cancel.yaml:18:28: server call 1 saw_cancel_at: "
            "expected 100ms, got 359.788ms (tolerance 50ms) [CS-DG-2]\n"
            "scenarios/faults/udp/lost-cl-cancel.yaml:24:54: wire[1] at: expected 100ms, got "
            "352.293ms (tolerance 50ms; #3 at 352.293ms: out cl_cancel cancel_id=1 <&\"|`>) "
            "[CS-DG-1, CS-DG-5]\n"
            "capture differs from captures/golden/faults/udp/lost-cl-cancel.pcap:\n"
            "  #1   0.000  c>s request seqnum=0\n"
            "- #2 350.000  c>s cl_cancel\n"
            "+ #2 352.293  c>s cl_cancel cancel_id=2\n");
}

TEST(JunitXml, FailWithoutMismatchesNamesTheCaptureDiff) {
  RunReport r = testing::sample_report();
  r.scenarios[1].mismatches.clear();
  const Node root = parsed(junit_xml(r));
  const Node* failure = outcome(testcase(root, "faults/udp/lost-cl-cancel"));
  ASSERT_NE(failure, nullptr);
  EXPECT_EQ(failure->at("message"), "capture differs from its golden");
  EXPECT_THAT(failure->text, HasSubstr("+ #2 352.293  c>s cl_cancel cancel_id=2\n"));
}

TEST(JunitXml, ErrorSkipXfailAndXpassElements) {
  const RunReport report = testing::sample_report();
  const Node root = parsed(junit_xml(report));

  const Node* error = outcome(testcase(root, "server/co/stuck"));
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->name, "error");
  EXPECT_EQ(error->at("type"), "ERROR");
  EXPECT_EQ(error->at("message"), report.scenarios[2].reason);
  EXPECT_EQ(error->text, report.scenarios[2].reason);

  const Node* skip = outcome(testcase(root, "protseq/mq/lab"));
  ASSERT_NE(skip, nullptr);
  EXPECT_EQ(skip->name, "skipped");
  EXPECT_EQ(skip->at("message"), "the lab <printer> & co are on fire");
  EXPECT_FALSE(skip->has("type"));

  const Node& xfail_case = testcase(root, "cancel/co/known-bug");
  const Node* xfail = outcome(xfail_case);
  ASSERT_NE(xfail, nullptr);
  EXPECT_EQ(xfail->name, "skipped");
  EXPECT_EQ(xfail->at("message"), "xfail: known bug 42");
  EXPECT_EQ(xfail->at("type"), "xfail");
  EXPECT_THAT(system_out(xfail_case),
              HasSubstr("mismatches (expected failure: known bug 42):\n"
                        "  scenarios/cancel/co/known-bug.yaml:12:7: call c1 status: expected "
                        "RPC_S_OK, got RPC_S_ACCESS_DENIED\n"));

  const Node* xpass = outcome(testcase(root, "cancel/co/stale-mark"));
  ASSERT_NE(xpass, nullptr);
  EXPECT_EQ(xpass->name, "failure");
  EXPECT_EQ(xpass->at("type"), "XPASS");
  EXPECT_EQ(xpass->at("message"), "XPASS: marked as a known failure (bug 7) but passed");
  EXPECT_EQ(xpass->text, "marked as a known failure (bug 7) but passed");
}

TEST(JunitXml, UnknownVerdictIsAnErrorNotAPass) {
  RunReport r = testing::sample_report();
  r.scenarios[0].verdict = "MAYBE";
  const Node root = parsed(junit_xml(r));
  EXPECT_EQ(root.at("errors"), "2");
  const Node* error = outcome(testcase(root, "timeout/co/hung-server-finite"));
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->name, "error");
  EXPECT_EQ(error->at("message"), "unknown verdict \"MAYBE\"");
}

TEST(JunitXml, SystemOutHasRulesSeedWireServerEventsAndCapture) {
  const Node root = parsed(junit_xml(testing::sample_report()));
  const std::string pass = system_out(testcase(root, "timeout/co/hung-server-finite"));
  EXPECT_THAT(pass, HasSubstr("rules: CS-TMO-2, CS-FWD-1\n"));
  EXPECT_THAT(pass, HasSubstr("protseq: ncacn_ip_tcp\n"));
  EXPECT_THAT(pass, HasSubstr("seed: 1234567890123456789\n"));
  EXPECT_THAT(pass, HasSubstr("wire:\n"
                              "      0.200 ms  ->  bind call_id=1 flags=FIRST|LAST max_xmit=5840 "
                              "max_recv=5840\n"
                              "      1.100 ms  <-  bind_ack call_id=1"));
  EXPECT_THAT(pass, HasSubstr("   1100.600 ms  ->  orphaned call_id=1 flags=FIRST|LAST\n"));
  EXPECT_THAT(pass, HasSubstr("server calls:\n"
                              "  call 1 opnum 1: started 1.400 ms, saw_cancel 100.600 ms\n"));
  EXPECT_THAT(pass, HasSubstr("  c1: RPC_S_CALL_CANCELLED at 1100.700 ms (cancel timeout "
                              "expired; call orphaned)\n"));
  EXPECT_THAT(pass, HasSubstr("capture: match (5 PDUs; golden "
                              "captures/golden/timeout/co/hung-server-finite.pcap)\n"));
  EXPECT_THAT(pass, Not(HasSubstr("faults:")));
  EXPECT_THAT(pass, HasSubstr("seed: 1234567890123456789\nattempt 1 of 2, FAIL while the machine "
                              "stalled for 152.2ms: breaks CS-TMO-2 <late>\n"));

  const std::string fail = system_out(testcase(root, "faults/udp/lost-cl-cancel"));
  EXPECT_THAT(fail, HasSubstr("faults: drop,pdu=cl_cancel,nth=1 (fault seed "
                              "16525389670970726842)\ninjected: drop=1\n"));
  EXPECT_THAT(fail, HasSubstr("capture: differs (4 PDUs; golden "));
  // The diff is in the <failure> body; once is enough.
  EXPECT_THAT(fail, Not(HasSubstr("cancel_id=2")));
}

TEST(JunitXml, EscapesMarkupInAttributesAndText) {
  RunReport r = testing::sample_report();
  r.scenarios[3].reason = "it's \"quoted\" <b>&amp;</b>";
  const std::string xml = junit_xml(r);
  EXPECT_THAT(xml,
              HasSubstr("message=\"it&#39;s &quot;quoted&quot; &lt;b&gt;&amp;amp;&lt;/b&gt;\""));
  EXPECT_THAT(xml, HasSubstr("cancel_id=1 &lt;&amp;\"|`&gt;)"));
  const Node root = parsed(xml);
  EXPECT_EQ(outcome(testcase(root, "protseq/mq/lab"))->at("message"), r.scenarios[3].reason);
}

TEST(JunitXml, InvalidUtf8AndControlCharactersStillMakeAWellFormedDocument) {
  const std::string xml = junit_xml(hostile_report());
  const Node root = parsed(xml);  // fails the test when not well formed

  const Node& error_case = testcase(root, "bad" + kFffd + kFffd + "id");
  EXPECT_EQ(error_case.at("classname"), "rpcfit.a\\x01rea");
  const Node* error = outcome(error_case);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->at("message"), kHostileReason);  // one line; the tab is kept, as &#9;
  EXPECT_THAT(error->text, StartsWith("tab\there\nnl\r\ncrlf \\x1B[31mred nul:\\x00 "));

  // Tab and line feed in an attribute survive the reader's attribute-value normalization.
  EXPECT_EQ(testcase(root, "tab\tid\nline").at("classname"), "rpcfit.client-api");
  EXPECT_THAT(xml, HasSubstr("name=\"tab&#9;id&#10;line\""));

  EXPECT_THAT(system_out(testcase(root, "timeout/co/hung-server-finite")),
              HasSubstr("->  bind \\x02 ]]> <![CDATA[ &amp;\n"));
}

TEST(JunitXml, RepeatedRunsAreNumbered) {
  RunReport r = testing::sample_report();
  r.settings.repeat = 3;
  const ScenarioResult pass = r.scenarios[0];
  r.scenarios.clear();
  for (unsigned i = 0; i < 3; ++i) {
    r.scenarios.push_back(pass);
    r.scenarios.back().repetition = i;
  }
  const Node root = parsed(junit_xml(r));
  std::vector<std::string> names;
  for (const Node* t : testcases(root))
    names.push_back(t->at("name"));
  EXPECT_THAT(names, ::testing::ElementsAre("timeout/co/hung-server-finite #1",
                                            "timeout/co/hung-server-finite #2",
                                            "timeout/co/hung-server-finite #3"));
  EXPECT_EQ(root.at("tests"), "3");
}

TEST(JunitXml, OddTimesAndTimestampsAreLeftSane) {
  RunReport r = testing::sample_report();
  r.wall_ms = -5;
  r.scenarios[0].wall_ms = std::numeric_limits<double>::quiet_NaN();
  r.scenarios[1].wall_ms = -0.0;
  r.started_at = "yesterday";
  const Node root = parsed(junit_xml(r));
  EXPECT_EQ(root.at("time"), "0.000");
  EXPECT_EQ(testcase(root, "timeout/co/hung-server-finite").at("time"), "0.000");
  EXPECT_EQ(testcase(root, "faults/udp/lost-cl-cancel").at("time"), "0.000");
  for (const Node* suite : root.all("testsuite"))
    EXPECT_FALSE(suite->has("timestamp"));
}

TEST(JunitXml, EmptyRunHasNoSuites) {
  RunReport r = testing::sample_report();
  r.scenarios.clear();
  const Node root = parsed(junit_xml(r));
  EXPECT_EQ(root.at("tests"), "0");
  EXPECT_TRUE(root.children.empty());
}

TEST(JunitXml, ValidatesAgainstTheSchemaWhichRejectsBrokenDocuments) {
  ASSERT_TRUE(std::filesystem::exists(kXmllint))
      << kXmllint << " is missing: install libxml2-utils (apt-get install libxml2-utils, or "
      << "tools/setup.sh) to validate the JUnit XML against reports/junit.xsd";

  const std::string sample = junit_xml(testing::sample_report());
  Ran ran = validate(sample, "sample");
  EXPECT_EQ(ran.status, 0) << ran.output;
  EXPECT_THAT(ran.output, HasSubstr("validates"));

  ran = validate(junit_xml(hostile_report()), "hostile");
  EXPECT_EQ(ran.status, 0) << ran.output;
  RunReport empty = testing::sample_report();
  empty.scenarios.clear();
  ran = validate(junit_xml(empty), "empty");
  EXPECT_EQ(ran.status, 0) << ran.output;

  const struct {
    const char* what;
    std::string doc;
  } broken[] = {
      {"testcase without classname", replaced(sample, " classname=\"rpcfit.co-call\"", "")},
      {"testcase without name", replaced(sample, " name=\"timeout/co/hung-server-finite\"", "")},
      {"failure without message", replaced(sample, "<failure message=", "<failure text=")},
      {"failure of an unknown type", replaced(sample, "type=\"FAIL\"", "type=\"BAD\"")},
      {"two outcomes", replaced(sample, "<error ", "<skipped message=\"\"/><error ")},
      {"time not in seconds", replaced(sample, "time=\"0.111\"", "time=\"111ms\"")},
      {"suite outside rpcfit",
       replaced(sample, "<testsuite name=\"rpcfit.", "<testsuite name=\"x.")},
      {"suite without counts", replaced(sample, " failures=\"1\" errors=\"0\"", "")},
      {"two suites of one area",
       replaced(sample, "name=\"rpcfit.datagram\"", "name=\"rpcfit.co-call\"")},
      {"unknown element", replaced(sample, "<system-out>", "<stdout/><system-out>")},
  };
  for (const auto& b : broken) {
    SCOPED_TRACE(b.what);
    ran = validate(b.doc, "broken");
    EXPECT_NE(ran.status, 0) << ran.output;
    EXPECT_THAT(ran.output, HasSubstr("fails to validate"));
  }
}

}  // namespace
}  // namespace rpcfit::reports
