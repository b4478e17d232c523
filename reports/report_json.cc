#include "reports/report_json.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace rpcfit::reports {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::uintmax_t kMaxReportFile = 256u << 20;

// Seeds are 64-bit; JSON readers that hold numbers as doubles (JavaScript, jq) would round them,
// so they are written as decimal strings.
std::string seed_text(std::uint64_t seed) {
  return std::to_string(seed);
}

Json json_of(const std::vector<std::string>& items) {
  Json out = Json::array();
  for (const auto& item : items)
    out.push_back(item);
  return out;
}

Json json_of(const CaptureCheck& c) {
  return Json{{"status", c.status}, {"path", c.path}, {"golden", c.golden},
              {"digest", c.digest}, {"pdus", c.pdus}, {"diff", json_of(c.diff)},
              {"detail", c.detail}};
}

Json json_of(const ScenarioResult& s) {
  Json mismatches = Json::array();
  for (const Mismatch& m : s.mismatches) {
    mismatches.push_back(Json{{"location", m.location},
                              {"field", m.field},
                              {"expected", m.expected},
                              {"actual", m.actual},
                              {"detail", m.detail},
                              {"rules", json_of(m.rules)}});
  }
  Json retried = Json::array();
  for (const Retry& a : s.retried)
    retried.push_back(Json{{"verdict", a.verdict}, {"reason", a.reason}, {"stall_ms", a.stall_ms}});
  Json calls = Json::array();
  for (const CallResult& c : s.calls) {
    calls.push_back(Json{{"id", c.id},
                         {"async", c.async},
                         {"started", c.started},
                         {"ended", c.ended},
                         {"started_ms", c.started_ms},
                         {"ended_ms", c.ended_ms},
                         {"returned", c.returned},
                         {"status", c.status},
                         {"status_value", c.status_value},
                         {"output_bytes", c.output_bytes},
                         {"detail", c.detail}});
  }
  Json steps = Json::array();
  for (const StepResult& st : s.steps) {
    Json j{{"index", st.index}, {"kind", st.kind},   {"location", st.location},
           {"ran", st.ran},     {"at_ms", st.at_ms}, {"ended_ms", st.ended_ms}};
    j["returned"] = st.returned ? Json(*st.returned) : Json(nullptr);
    j["handle_ok"] = st.handle_ok ? Json(*st.handle_ok) : Json(nullptr);
    steps.push_back(std::move(j));
  }
  Json server = Json::array();
  for (const ServerCall& c : s.server_calls) {
    Json events = Json::array();
    for (const ServerEvent& e : c.events)
      events.push_back(Json{{"kind", e.kind}, {"at_ms", e.at_ms}, {"detail", e.detail}});
    Json j{{"call_id", c.call_id}, {"opnum", c.opnum}, {"events", std::move(events)}};
    j["result"] = c.result ? Json(*c.result) : Json(nullptr);
    j["fault_status"] = c.fault_status ? Json(*c.fault_status) : Json(nullptr);
    server.push_back(std::move(j));
  }
  Json wire = Json::array();
  for (const WireLine& w : s.wire) {
    wire.push_back(Json{
        {"at_ms", w.at_ms}, {"dir", w.out ? "out" : "in"}, {"type", w.type}, {"text", w.text}});
  }
  Json injected = Json::object();
  for (const auto& [kind, count] : s.injected)
    injected[kind] = count;

  Json j{{"id", s.id},
         {"title", s.title},
         {"file", s.file},
         {"area", s.area},
         {"level", s.level},
         {"protseq", s.protseq},
         {"tags", json_of(s.tags)},
         {"rules", json_of(s.rules)},
         {"repetition", s.repetition},
         {"seed", seed_text(s.seed)},
         {"verdict", s.verdict},
         {"reason", s.reason},
         {"wall_ms", s.wall_ms},
         {"ended_ms", s.ended_ms},
         {"stall_ms", s.stall_ms},
         {"retried", std::move(retried)},
         {"log", s.log},
         {"alignment_ms", s.alignment_ms ? Json(*s.alignment_ms) : Json(nullptr)},
         {"mismatches", std::move(mismatches)},
         {"calls", std::move(calls)},
         {"steps", std::move(steps)},
         {"server_calls", std::move(server)},
         {"wire", std::move(wire)},
         {"faults", Json{{"seed", seed_text(s.fault_seed)},
                         {"specs", json_of(s.faults)},
                         {"injected", std::move(injected)}}}};
  j["capture"] = s.capture ? json_of(*s.capture) : Json(nullptr);
  j["live_capture"] = s.live_capture ? json_of(*s.live_capture) : Json(nullptr);
  return j;
}

// ---- reading ----

// A problem at a JSON path; caught by parse_report.
struct BadField {
  std::string path;
  std::string message;
};

std::string type_name(const Json& j) {
  return j.type_name();
}

class Reader {
 public:
  Reader(const Json& j, std::string path) : j_(j), path_(std::move(path)) {}

  const Json& at(const char* key) const {
    if (!j_.is_object()) throw BadField{path_, "expected an object, got " + type_name(j_)};
    const auto it = j_.find(key);
    if (it == j_.end()) throw BadField{child(key), "required field missing"};
    return *it;
  }
  Reader field(const char* key) const { return Reader(at(key), child(key)); }
  bool has(const char* key) const { return j_.is_object() && j_.contains(key); }

  std::string str(const char* key) const {
    const Json& v = at(key);
    if (!v.is_string()) throw BadField{child(key), "expected a string, got " + type_name(v)};
    return v.get<std::string>();
  }
  std::optional<std::string> opt_str(const char* key) const {
    if (!has(key) || at(key).is_null()) return std::nullopt;
    return str(key);
  }
  bool boolean(const char* key) const {
    const Json& v = at(key);
    if (!v.is_boolean()) throw BadField{child(key), "expected true or false, got " + type_name(v)};
    return v.get<bool>();
  }
  std::optional<bool> opt_boolean(const char* key) const {
    if (!has(key) || at(key).is_null()) return std::nullopt;
    return boolean(key);
  }
  double number(const char* key) const {
    const Json& v = at(key);
    if (!v.is_number()) throw BadField{child(key), "expected a number, got " + type_name(v)};
    return v.get<double>();
  }
  std::uint64_t count(const char* key, std::uint64_t max = UINT64_MAX) const {
    const Json& v = at(key);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0)) {
      throw BadField{child(key), "expected a whole number >= 0, got " + v.dump()};
    }
    const auto n = v.get<std::uint64_t>();
    if (n > max) throw BadField{child(key), std::to_string(n) + " is out of range"};
    return n;
  }
  std::uint64_t seed(const char* key) const {
    const std::string text = str(key);
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
      throw BadField{child(key), "expected a seed (decimal digits), got \"" + text + "\""};
    }
    return n;
  }
  std::vector<std::string> strings(const char* key) const {
    std::vector<std::string> out;
    for (const Reader& item : list(key)) {
      if (!item.j_.is_string()) throw BadField{item.path_, "expected a string"};
      out.push_back(item.j_.get<std::string>());
    }
    return out;
  }
  std::vector<Reader> list(const char* key) const {
    const Json& v = at(key);
    if (!v.is_array()) throw BadField{child(key), "expected a list, got " + type_name(v)};
    std::vector<Reader> out;
    for (std::size_t i = 0; i < v.size(); ++i)
      out.emplace_back(v[i], child(key) + "[" + std::to_string(i) + "]");
    return out;
  }
  const Json& json() const { return j_; }
  const std::string& path() const { return path_; }

 private:
  std::string child(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
  const Json& j_;
  std::string path_;
};

CaptureCheck capture_of(const Reader& r) {
  CaptureCheck c;
  c.status = r.str("status");
  c.path = r.str("path");
  c.golden = r.str("golden");
  c.digest = r.str("digest");
  c.pdus = r.count("pdus");
  c.diff = r.strings("diff");
  c.detail = r.str("detail");
  return c;
}

std::optional<CaptureCheck> opt_capture(const Reader& r, const char* key) {
  if (!r.has(key) || r.at(key).is_null()) return std::nullopt;
  return capture_of(r.field(key));
}

const char* const kVerdicts[] = {"PASS", "FAIL", "ERROR", "SKIP", "XFAIL", "XPASS"};

ScenarioResult scenario_of(const Reader& r) {
  ScenarioResult s;
  s.id = r.str("id");
  s.title = r.str("title");
  s.file = r.str("file");
  s.area = r.str("area");
  s.level = r.str("level");
  s.protseq = r.str("protseq");
  s.tags = r.strings("tags");
  s.rules = r.strings("rules");
  s.repetition = static_cast<unsigned>(r.count("repetition", UINT32_MAX));
  s.seed = r.seed("seed");
  s.verdict = r.str("verdict");
  bool known = false;
  for (const char* v : kVerdicts)
    known = known || s.verdict == v;
  if (!known) {
    throw BadField{r.path() + ".verdict",
                   "unknown verdict \"" + s.verdict + "\" (PASS, FAIL, ERROR, SKIP, XFAIL, XPASS)"};
  }
  s.reason = r.str("reason");
  s.wall_ms = r.number("wall_ms");
  s.ended_ms = r.number("ended_ms");
  // reports written before the runner watched for stalls lack these
  if (r.has("stall_ms")) s.stall_ms = r.number("stall_ms");
  if (r.has("log")) s.log = r.str("log");
  if (r.has("alignment_ms") && !r.at("alignment_ms").is_null()) {
    s.alignment_ms = r.number("alignment_ms");
  }
  if (r.has("retried")) {
    for (const Reader& a : r.list("retried"))
      s.retried.push_back({a.str("verdict"), a.str("reason"), a.number("stall_ms")});
  }
  for (const Reader& m : r.list("mismatches")) {
    s.mismatches.push_back(Mismatch{
        m.str("location"), m.str("field"), m.str("expected"), m.str("actual"), m.str("detail"),
        // reports written before mismatches named rules lack them
        m.has("rules") ? m.strings("rules") : std::vector<std::string>{}});
  }
  for (const Reader& c : r.list("calls")) {
    CallResult call;
    call.id = c.str("id");
    call.async = c.boolean("async");
    call.started = c.boolean("started");
    call.ended = c.boolean("ended");
    call.started_ms = c.number("started_ms");
    call.ended_ms = c.number("ended_ms");
    call.returned = c.boolean("returned");
    call.status = c.str("status");
    call.status_value = static_cast<std::uint32_t>(c.count("status_value", UINT32_MAX));
    call.output_bytes = c.count("output_bytes");
    call.detail = c.str("detail");
    s.calls.push_back(std::move(call));
  }
  for (const Reader& st : r.list("steps")) {
    StepResult step;
    step.index = static_cast<std::size_t>(st.count("index"));
    step.kind = st.str("kind");
    step.location = st.str("location");
    step.ran = st.boolean("ran");
    step.at_ms = st.number("at_ms");
    step.ended_ms = st.number("ended_ms");
    step.returned = st.opt_str("returned");
    step.handle_ok = st.opt_boolean("handle_ok");
    s.steps.push_back(std::move(step));
  }
  for (const Reader& c : r.list("server_calls")) {
    ServerCall call;
    call.call_id = static_cast<std::uint32_t>(c.count("call_id", UINT32_MAX));
    call.opnum = static_cast<std::uint16_t>(c.count("opnum", UINT16_MAX));
    for (const Reader& e : c.list("events"))
      call.events.push_back(ServerEvent{e.str("kind"), e.number("at_ms"), e.str("detail")});
    call.result = c.opt_str("result");
    call.fault_status = c.opt_str("fault_status");
    s.server_calls.push_back(std::move(call));
  }
  for (const Reader& w : r.list("wire")) {
    WireLine line;
    line.at_ms = w.number("at_ms");
    const std::string dir = w.str("dir");
    if (dir != "out" && dir != "in") {
      throw BadField{w.path() + ".dir", "expected \"out\" or \"in\", got \"" + dir + "\""};
    }
    line.out = dir == "out";
    line.type = w.str("type");
    line.text = w.str("text");
    s.wire.push_back(std::move(line));
  }
  const Reader faults = r.field("faults");
  s.fault_seed = faults.seed("seed");
  s.faults = faults.strings("specs");
  const Reader injected = faults.field("injected");
  if (!injected.json().is_object()) throw BadField{injected.path(), "expected an object"};
  for (const auto& [kind, count] : injected.json().items()) {
    (void)count;
    s.injected[kind] = injected.count(kind.c_str());
  }
  s.capture = opt_capture(r, "capture");
  s.live_capture = opt_capture(r, "live_capture");
  return s;
}

}  // namespace

std::string to_json_text(const RunReport& report) {
  const RunSettings& st = report.settings;
  Json settings{{"paths", json_of(st.paths)},
                {"filters", json_of(st.filters)},
                {"excludes", json_of(st.excludes)},
                {"tags", json_of(st.tags)},
                {"level", st.level},
                {"shard", st.shard},
                {"jobs", st.jobs},
                {"repeat", st.repeat},
                {"time_scale", st.time_scale},
                {"tolerance_scale", st.tolerance_scale},
                {"fail_fast", st.fail_fast},
                {"stall_retries", st.stall_retries}};
  const Totals t = report.totals();
  Json totals{{"runs", t.runs},     {"passed", t.passed},   {"failed", t.failed},
              {"errors", t.errors}, {"skipped", t.skipped}, {"xfail", t.xfail},
              {"xpass", t.xpass}};
  Json scenarios = Json::array();
  for (const ScenarioResult& s : report.scenarios)
    scenarios.push_back(json_of(s));
  Json targets = Json::array();
  for (const Target& target : report.targets) {
    targets.push_back(Json{{"role", target.role},
                           {"driver", target.driver},
                           {"command", target.command},
                           {"implementation", target.implementation},
                           {"version", target.version},
                           {"protocol", target.protocol}});
  }
  Json j{{"schema", std::string(kSchemaName)},
         {"version", kSchemaVersion},
         {"tool", "rpcfit"},
         {"tool_version", report.tool_version},
         {"driver", report.driver},
         {"started_at", report.started_at},
         {"wall_ms", report.wall_ms},
         {"seed", seed_text(report.seed)},
         {"settings", std::move(settings)},
         {"targets", std::move(targets)},
         {"totals", std::move(totals)},
         {"scenarios", std::move(scenarios)}};
  return j.dump(2) + "\n";
}

Result<RunReport, std::string> parse_report(std::string_view text, const std::string& name) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) return unexpected(name + ": not JSON (or not all of it)");
  try {
    const Reader r(j, "");
    if (!j.is_object()) throw BadField{"(document)", "expected an object, got " + type_name(j)};
    const std::string schema = r.str("schema");
    if (schema != kSchemaName) {
      throw BadField{"schema", "\"" + schema + "\" is not an rpcfit report (\"" +
                                   std::string(kSchemaName) + "\")"};
    }
    const auto version = r.count("version");
    if (version < 1 || version > static_cast<std::uint64_t>(kSchemaVersion)) {
      throw BadField{"version", "version " + std::to_string(version) +
                                    " is not one this rpcfit reads (1 to " +
                                    std::to_string(kSchemaVersion) + ")"};
    }
    RunReport report;
    report.tool_version = r.str("tool_version");
    report.driver = r.str("driver");
    report.started_at = r.str("started_at");
    report.wall_ms = r.number("wall_ms");
    report.seed = r.seed("seed");
    const Reader s = r.field("settings");
    report.settings.paths = s.strings("paths");
    report.settings.filters = s.strings("filters");
    report.settings.excludes = s.strings("excludes");
    report.settings.tags = s.strings("tags");
    report.settings.level = s.str("level");
    report.settings.shard = s.str("shard");
    report.settings.jobs = static_cast<unsigned>(s.count("jobs", UINT32_MAX));
    report.settings.repeat = static_cast<unsigned>(s.count("repeat", UINT32_MAX));
    report.settings.time_scale = s.number("time_scale");
    report.settings.tolerance_scale = s.number("tolerance_scale");
    report.settings.fail_fast = s.boolean("fail_fast");
    if (s.has("stall_retries")) {
      report.settings.stall_retries = static_cast<unsigned>(s.count("stall_retries", UINT32_MAX));
    }
    if (r.has("targets")) {
      for (const Reader& t : r.list("targets")) {
        report.targets.push_back(Target{t.str("role"), t.str("driver"), t.str("command"),
                                        t.str("implementation"), t.str("version"),
                                        static_cast<int>(t.count("protocol", 1000))});
      }
    }
    for (const Reader& item : r.list("scenarios"))
      report.scenarios.push_back(scenario_of(item));
    return report;
  } catch (const BadField& bad) {
    return unexpected(name + ": " + bad.path + ": " + bad.message);
  } catch (const nlohmann::json::exception& e) {
    return unexpected(name + ": " + e.what());
  }
}

Result<RunReport, std::string> read_report_file(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return unexpected(path + ": cannot read: " + ec.message());
  if (size > kMaxReportFile) return unexpected(path + ": too large for a report (over 256 MiB)");
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected(path + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_report(text.str(), path);
}

}  // namespace rpcfit::reports
