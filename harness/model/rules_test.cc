// The rule table against spec/cancel-semantics.md itself: the same IDs, each with the level the
// spec gives it (a table row's Level column, or "ID MUST:" / "ID SHOULD:" in a list; section 8's
// rules have none and count as MUST) and the area of the section it is defined in.
#include "harness/model/rules.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

namespace rpcfit::run {
namespace {

struct SpecRule {
  std::string level;  // "MUST", "SHOULD"
  int section = 0;
};

// The rules where the spec defines them: a table row starting with the ID, or a list item.
std::map<std::string, SpecRule> spec_rules(const std::string& text) {
  std::map<std::string, SpecRule> out;
  const std::regex section(R"(^## (\d+)\.)");
  const std::regex row(R"(^\| (CS-[A-Z]+-\d+) \| (MUST|SHOULD) \|)");
  const std::regex item(R"(^- (CS-[A-Z]+-\d+)( (MUST|SHOULD))?:)");
  std::istringstream in(text);
  int current = 0;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, section)) current = std::stoi(m[1]);
    if (std::regex_search(line, m, row)) out[m[1]] = SpecRule{m[2], current};
    if (std::regex_search(line, m, item)) {
      out[m[1]] = SpecRule{m[3].matched ? m[3].str() : "MUST", current};
    }
  }
  return out;
}

std::string area_of_section(int section) {
  switch (section) {
    case 2:
      return "client-api";
    case 3:
      return "mgmt";
    case 4:
      return "co-call";
    case 5:
      return "datagram";
    case 6:
      return "server";
    case 7:
      return "async";
    case 8:
      return "never";
    default:
      return "section " + std::to_string(section);
  }
}

TEST(Rules, TheTableIsTheSpecs) {
  std::ifstream in(std::string(RPCFIT_SPEC_DIR) + "/cancel-semantics.md");
  ASSERT_TRUE(in) << RPCFIT_SPEC_DIR << "/cancel-semantics.md";
  std::ostringstream text;
  text << in.rdbuf();
  const auto spec = spec_rules(text.str());
  ASSERT_GE(spec.size(), 40u);
  EXPECT_EQ(all_rules().size(), spec.size());
  for (const Rule& rule : all_rules()) {
    const auto it = spec.find(std::string(rule.id));
    if (it == spec.end()) {
      ADD_FAILURE() << rule.id << " is not in the spec";
      continue;
    }
    EXPECT_EQ(rule.level == Level::must ? "MUST" : "SHOULD", it->second.level) << rule.id;
    EXPECT_EQ(std::string(rule.area), area_of_section(it->second.section)) << rule.id;
    EXPECT_EQ(find_rule(rule.id), &rule);
  }
  for (const auto& [id, where] : spec)
    EXPECT_NE(find_rule(id), nullptr) << id << " (section " << where.section << ") has no row";
}

}  // namespace
}  // namespace rpcfit::run
