#include "detect/detectors.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <stdexcept>

#include "detect/medical.hpp"
#include "detect/normalized_text.hpp"

namespace sy::router::detect {
namespace {

std::string escape_literal(std::string_view lit) {
  std::string out;
  for (unsigned char c : lit) {
    if (is_alnum(static_cast<char>(c))) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  return out;
}

constexpr std::string_view kApiPrefixes[] = {
    "sk-", "sk_live_", "rk_live_", "whsec_", "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ghp_", "gho_", "ghu_", "ghs_",
    "ghr_", "github_pat_", "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xapp-", "AIza", "glpat-", "gldt-", "hf_",
    "npm_", "SG.", "ya29.", "eyJ", "gsk_", "pplx-", "r8_", "nvapi-", "tvly-", "xai-", "LTAI", "AKID", "dop_v1_",
    "doo_v1_", "shpat_", "shpss_", "shpca_", "dapi", "ATATT3", "dckr_pat_", "figd_", "ntn_", "sq0atp-", "sq0csp-",
    "lin_api_", "pypi-", "sntrys_", "FLWSECK-", "GOCSPX-", "AKLT", "xkeysib-", "glc_", "glsa_", "dt0c01.", "NRAK-",
    "pscale_tkn_", "pscale_pw_", "rnd_", "dp.st.", "dp.pt.", "fm2_", "xoxe-", "shppa_", "AGE-SECRET-KEY-1",
};

constexpr std::string_view kWebhooks[] = {
    "https://hooks.slack.com/services/", "https://hooks.slack.com/workflows/", "https://discord.com/api/webhooks/",
    "https://discordapp.com/api/webhooks/", "https://outlook.office.com/webhook/", ".webhook.office.com/webhookb2/",
    "https://oapi.dingtalk.com/robot/send?access_token=", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=",
    "https://open.feishu.cn/open-apis/bot/v2/hook/", "https://open.larksuite.com/open-apis/bot/v2/hook/",
    "https://api.telegram.org/bot", "https://chat.googleapis.com/v1/spaces/", "https://hooks.zapier.com/hooks/catch/",
    "https://maker.ifttt.com/trigger/",
};

constexpr std::string_view kKeyNames[] = {"key", "token", "secret", "bearer", "basic"};

constexpr std::string_view kPasswordIds[] = {"password", "passwd", "pwd", "passphrase", "pass", "passwort", "kennwort",
                                             "passcode", "passwoord", "pw"};
constexpr std::string_view kPasswordWords[] = {
    "密码", "口令", "パスワード", "비밀번호", "пароль", "Пароль", "ПАРОЛЬ", "mot de passe", "contraseña", "contrasena",
    "Contraseña", "senha", "wachtwoord", "hasło", "parola d'ordine", "暗証番号", "密碼", "şifre", "Şifre",
    "mật khẩu", "Mật khẩu", "kata sandi", "كلمة المرور", "jelszó", "heslo", "lösenord", "adgangskode", "salasana"};

constexpr std::string_view kMarkers[] = {
    "confidential", "strictly confidential", "highly confidential", "company confidential",
    "privileged & confidential", "privileged and confidential", "confidential and privileged",
    "confidential & privileged", "proprietary and confidential", "proprietary & confidential",
    "attorney-client privileged", "attorney client privileged", "attorney-client privilege",
    "privileged & confidential attorney-client communication", "attorney work product", "internal only",
    "internal use only", "for internal use only", "not for distribution", "do not distribute", "top secret",
    "restricted", "need to know", "private and confidential", "private & confidential",
    "strictly private and confidential", "personal and confidential", "personal & confidential", "proprietary", "classified", "sensitive - internal", "vertraulich",
    "vertrouwelijk", "strikt vertrouwelijk", "confidenziale", "strettamente confidenziale", "geheim", "streng geheim",
    "конфиденциально", "Конфиденциально", "КОНФИДЕНЦИАЛЬНО", "для служебного пользования", "Для служебного пользования",
    "ДСП", "секретно", "Секретно", "СЕКРЕТНО", "poufne", "ściśle poufne", "konfidentiell", "fortroligt", "luottamuksellinen",
    "gizli", "機密文書", "机密文件", "绝密文件", "秘密文件", "保密文件", "保密资料", "机密资料", "内部限定", "仅供内部参考", "内部参考", "秘密★", "机密★", "绝密★", "內部資料", "機密資料", "streng vertraulich", "nur für den internen gebrauch",
    "nur zur internen verwendung", "confidentiel", "strictement confidentiel", "diffusion restreinte",
    "usage interne", "confidencial", "estrictamente confidencial", "uso interno", "riservato", "riservato e confidenziale",
    "机密", "绝密", "秘密", "内部资料", "仅限内部使用", "内部使用", "内部文件", "商业秘密", "严格保密", "注意保密",
    "公司机密", "内部公开", "社外秘", "極秘", "部外秘", "機密", "関係者外秘", "取扱注意", "대외비", "기밀",
};

constexpr std::string_view kMedicalCues[] = {
    "diagn", "诊断", "确诊", "診断", "患有", "罹患", "suivi pour", "suivie pour", "traité par", "traitée par",
    "treated with", "treated for", "prescribed", "prescription", "medication", "discharged on", "started on",
    "Therapie", "Behandlung", "leidet an", "padece", "sufre de", "tratamiento", "tratado con", "tratada con",
    "治疗", "服用", "用药", "处方", "HIV", "cancer", "Krebs", "癌", "diabetes", "diabète", "糖尿病", "高血压",
    "抑郁", "depression", "dépression", "schizophren", "bipolar", "epilep", "hepatitis", "肝炎", "tumor",
    "tumour", "chemotherapy", "化疗", "insulin", "antidepress", "pregnan", "怀孕", "Diabetes", "dementia",
    "alzheimer", "asthma", "hypertension", "抗抑郁", "投与", "処方", "服薬", "진단", "처방", "диагноз", "Диагноз",
    "лечение", "terapia", "farmaco", "tratamento", "medicação", "medicamento", "atteint", "suffers from",
    "Medikation", "Medikament", "Befund", "诊断为", "病史", "既往史", "症", "HIV-", "Krankheit", "enfermedad",
};

struct ScanCtx {
  std::vector<std::pair<unsigned, size_t>>* hits;
};

int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int, void* ctx) {
  auto* hits = static_cast<std::vector<std::pair<unsigned, size_t>>*>(ctx);
  hits->emplace_back(id, static_cast<size_t>(to));
  (void)from;
  return 0;
}

struct SomCtx {
  std::vector<std::pair<unsigned, std::pair<size_t, size_t>>>* hits;
};

int on_som_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int, void* ctx) {
  auto* hits = static_cast<std::vector<std::pair<unsigned, std::pair<size_t, size_t>>>*>(ctx);
  hits->push_back({id, {static_cast<size_t>(from), static_cast<size_t>(to)}});
  return 0;
}

// One scratch per thread, grown to fit every database it has served.
// hs_alloc_scratch is not cheap even when nothing needs to grow, so the
// databases already fitted are remembered.
struct ThreadScratch {
  hs_scratch_t* scratch = nullptr;
  std::vector<uint64_t> fitted;  // database generation ids (pointers can be reused)
  ~ThreadScratch() { hs_free_scratch(scratch); }
  hs_scratch_t* for_db(const hs_database_t* db, uint64_t id) {
    if (std::find(fitted.begin(), fitted.end(), id) != fitted.end()) return scratch;
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) return nullptr;
    fitted.push_back(id);
    return scratch;
  }
};

ThreadScratch& tls_scratch() {
  thread_local ThreadScratch s;
  return s;
}

hs_database_t* compile_multi(const std::vector<std::string>& pats, const std::vector<unsigned>& flags,
                             std::string* error) {
  std::vector<const char*> exprs;
  std::vector<unsigned> ids;
  for (size_t i = 0; i < pats.size(); ++i) {
    exprs.push_back(pats[i].c_str());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK,
                       nullptr, &db, &err) != HS_SUCCESS) {
    if (error) *error = err && err->message ? err->message : "hyperscan compile failed";
    hs_free_compile_error(err);
    return nullptr;
  }
  return db;
}

// UTF-8 mode when the pattern compiles with it; Hyperscan rejects some
// constructs (e.g. \b) in Unicode-property mode, so fall back to bytes.
unsigned custom_regex_flags(const std::string& regex) {
  const unsigned utf = HS_FLAG_SOM_LEFTMOST | HS_FLAG_UTF8 | HS_FLAG_UCP;
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile(regex.c_str(), utf, HS_MODE_BLOCK, nullptr, &db, &err) == HS_SUCCESS) {
    hs_free_database(db);
    return utf;
  }
  hs_free_compile_error(err);
  return HS_FLAG_SOM_LEFTMOST | HS_FLAG_UTF8;
}

}  // namespace

std::optional<std::string> compile_check(const std::string& regex) {
  std::string error;
  hs_database_t* db = compile_multi({regex}, {custom_regex_flags(regex)}, &error);
  if (!db) return error;
  hs_free_database(db);
  return std::nullopt;
}

void Detectors::add_literal(std::string_view lit, bool caseless, Handler h, int custom) {
  patterns_.push_back(escape_literal(lit));
  flags_.push_back(caseless ? HS_FLAG_CASELESS : 0u);
  triggers_.push_back({h, static_cast<uint32_t>(lit.size()), custom});
}

void Detectors::add_regex(std::string regex, unsigned flags, Handler h) {
  patterns_.push_back(std::move(regex));
  flags_.push_back(flags);
  triggers_.push_back({h, 0, -1});
}

Detectors::Detectors(const SensitivityOptions& options) : custom_(options.custom) {
  static std::atomic<uint64_t> next_generation{1};
  generation_ = next_generation++;
  static constexpr const char* kNames[kBuiltinKinds] = {
      "email", "phone", "credit_card", "iban", "us_ssn", "cn_resident_id", "ip_address", "api_key",
      "private_key", "password", "medical", "confidential_marker"};
  for (int k = 0; k < kBuiltinKinds; ++k) {
    enabled_[k] = options.detectors.empty() ||
                  std::find(options.detectors.begin(), options.detectors.end(), kNames[k]) != options.detectors.end();
  }
  if (on(enabled_, Kind::kApiKey)) {
    for (auto p : kApiPrefixes) add_literal(p, false, Handler::kApiPrefix);
    for (auto w : kWebhooks) add_literal(w, true, Handler::kWebhook);
    for (auto k : kKeyNames) add_literal(k, true, Handler::kKeyName);
    add_regex(R"(\d{8,10}:[A-Za-z0-9_-]{35})", 0, Handler::kTelegram);  // Telegram bot token
  }
  if (on(enabled_, Kind::kPrivateKey)) add_literal("-----BEGIN ", false, Handler::kPem);
  if (on(enabled_, Kind::kPassword)) {
    for (auto p : kPasswordIds) add_literal(p, true, Handler::kPasswordId);
    for (auto p : kPasswordWords) add_literal(p, true, Handler::kPasswordWord);
    add_literal("://", false, Handler::kUri);
  }
  if (on(enabled_, Kind::kConfidentialMarker))
    for (auto m : kMarkers) add_literal(m, true, Handler::kMarker);
  if (on(enabled_, Kind::kMedical)) {
    for (auto m : kMedicalCues) add_literal(m, true, Handler::kMedical);
    add_regex(R"(\d ?(?:mg|mcg|\xC2\xB5g|IU|ml)\b)", HS_FLAG_CASELESS, Handler::kMedical);
  }
  std::vector<std::string> custom_patterns;
  std::vector<unsigned> custom_flags;
  for (size_t r = 0; r < custom_.size(); ++r) {
    for (const auto& kw : custom_[r].keywords) {
      NormalizedText nt;
      if (kw.empty() || !nt.build(kw)) continue;
      add_literal(nt.text(), true, Handler::kCustomKeyword, static_cast<int>(r));
    }
    for (const auto& re : custom_[r].regexes) {
      custom_patterns.push_back(re);
      custom_flags.push_back(custom_regex_flags(re));
      custom_regex_rule_.push_back(static_cast<int>(r));
    }
  }
  std::string error;
  if (!patterns_.empty()) {
    db_ = compile_multi(patterns_, flags_, &error);
    if (!db_) throw std::invalid_argument("sensitivity triggers: " + error);
  }
  if (!custom_patterns.empty()) {
    custom_db_ = compile_multi(custom_patterns, custom_flags, &error);
    if (!custom_db_) throw std::invalid_argument("custom sensitivity regex: " + error);
  }
}

Detectors::~Detectors() {
  hs_free_database(db_);
  hs_free_database(custom_db_);
}

bool Detectors::scan(std::string_view t, Findings& out) const {
  ThreadScratch& ts = tls_scratch();
  thread_local std::vector<std::pair<unsigned, size_t>> hits;
  hits.clear();
  if (db_) {
    hs_scratch_t* scratch = ts.for_db(db_, generation_ * 2);
    if (!scratch) return false;
    if (hs_scan(db_, t.data(), static_cast<unsigned>(t.size()), 0, scratch, on_match, &hits) != HS_SUCCESS)
      return false;
  }
  size_t medical_done = 0;  // hits arrive by end offset: cues inside the last sentence are done
  for (const auto& [id, to] : hits) {
    const Trigger& tr = triggers_[id];
    const size_t at = to - tr.length;
    switch (tr.handler) {
      case Handler::kApiPrefix: check_api_key_prefix(t, at, to, out); break;
      case Handler::kKeyName: check_key_name(t, at, to, out); break;
      case Handler::kWebhook: {
        size_t s = at;
        if (t[at] == '.') {
          while (s > 0 && !is_space(t[s - 1]) && t[s - 1] != '"' && t[s - 1] != '\'' && t[s - 1] != '(') --s;
        }
        check_webhook(t, s, to, out);
        break;
      }
      case Handler::kTelegram: {
        // Bot tokens: <8-10 digit bot id>:<35 chars>; walk back over the id.
        if (to < 36) break;
        size_t s = to - 36;
        while (s > 0 && is_digit(t[s - 1])) --s;
        if ((s > 0 && is_word(t[s - 1])) || (to < t.size() && is_word(t[to]))) break;
        if (!looks_placeholder(t.substr(s, to - s))) out.push_back({Kind::kApiKey, s, to});
        break;
      }
      case Handler::kPem: check_private_key(t, at, out); break;
      case Handler::kPasswordId: check_password_word(t, at, to, true, out); break;
      case Handler::kPasswordWord: check_password_word(t, at, to, false, out); break;
      case Handler::kUri: check_uri_credentials(t, at, out); break;
      case Handler::kMarker: check_marker(t, at, to, out); break;
      case Handler::kMedical: {
        if (to <= medical_done) break;
        auto sent = sentence_around(t, to > 0 ? to - 1 : 0);
        medical_done = std::max(sent.second, to);
        check_medical_sentence(t, sent.first, sent.second, out);
        break;
      }
      case Handler::kCustomKeyword: out.push_back({Kind::kCustom, at, to, tr.custom}); break;
    }
  }
  if (custom_db_) {
    std::vector<std::pair<unsigned, std::pair<size_t, size_t>>> som;
    hs_scratch_t* scratch = ts.for_db(custom_db_, generation_ * 2 + 1);
    if (!scratch) return false;
    if (hs_scan(custom_db_, t.data(), static_cast<unsigned>(t.size()), 0, scratch, on_som_match, &som) != HS_SUCCESS)
      return false;
    for (const auto& [id, span] : som) out.push_back({Kind::kCustom, span.first, span.second, custom_regex_rule_[id]});
  }
  if (on(enabled_, Kind::kEmail)) scan_emails(t, out);
  if (on(enabled_, Kind::kIpAddress)) scan_ipv6(t, out);
  scan_numbers(t, enabled_, out);
  return true;
}

}  // namespace sy::router::detect
