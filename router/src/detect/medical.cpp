#define PCRE2_CODE_UNIT_WIDTH 8
#include "detect/medical.hpp"

#include <pcre2.h>

#include <string>

namespace sy::router::detect {
namespace {

// Identifiers of a patient. \p{Lu} keeps "Élodie", "Müller"; the subject
// form requires a name followed by a clinical verb so "A 54-year-old man"
// (an anonymous vignette) does not count.
constexpr const char* kIdentity =
    R"((?:\b(?:[Pp]atient(?:in|e|a)?|[Pp]aciente|[Pp]aziente|[Pp]t\.?|Mr|Mrs|Ms|Miss|Mx|Herrn?|Frau|Mme|Madame|Monsieur|Mlle|Sra?|Srta|Señora?|Doña|Don|Sig(?:\.ra)?|Signora?)\.?\s+\p{Lu}[\p{L}'’\-]+)"
    R"(|(?i:\b(?:MRN|medical\s+record(?:\s+(?:number|no\.?|#))?|patient\s+(?:id|number|no\.?|#)|chart\s+(?:no\.?|number|#)|NHS\s+(?:number|no\.?)|hospital\s+(?:number|no\.?)|case\s+(?:number|no\.?)|Fallnummer|Patientennummer|Patienten-ID|(?:n°|num[ée]ro)\s+de\s+dossier|IPP|historia\s+cl[ií]nica|expediente)\b)[\s#:.№]*[A-Z]{0,3}\d{4,})"
    // "患者赵磊，男": a surname-led name, not "患者应该…" (patients should …).
    R"(|(?:患者|病人|病患|就诊者|就诊人|住院患者)\s*[:：]?\s*(?:欧阳|司马|上官|诸葛|[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝张陳楊黃趙吳劉鄭謝蘇魏盧葉蕭鍾])\p{Han}{1,2}(?=[，,、\s（(：:男女0-9]|$))"
    R"(|(?:환자|пациент(?:ка)?|Пациент(?:ка)?|больн(?:ой|ая)|Больн(?:ой|ая))\s*[:：]?\s*\p{L}{2,})"
    R"(|(?:门诊号|住院号|病历号|病案号|就诊卡号|医保卡号|ID号|診察券番号|カルテ番号|患者ID|患者番号)\s*[:：]?\s*[A-Za-z]{0,2}\d{4,})"
    R"(|\b(?!(?:The|This|That|These|Those|A|An|In|On|Our|My|Your|His|Her|Their|What|How|Why|When|Which|Is|Are|Can|Does|Do|Please|If|For|Dear)\b)\p{Lu}[\p{Ll}'’\-]+(?<!'s)(?<!’s)(?:\s+\p{Lu}[\p{L}'’\-]+){1,2}(?<!Disease|Syndrome|Disorder|Strength|Hydrochloride|Tablets|itis|osis|emia|oma|pathy)\s*(?:\([^)]{0,60}\))?,?\s+(?:(?:who|which)\s+)?(?:(?:(?:has|had)\s+been|was|is|were|got|is\s+being)\s+(?:newly\s+|recently\s+|first\s+|also\s+)?(?:diagnosed|admitted|hospitali[sz]ed|treated|prescribed|started\s+on)|has\s+a\s+(?:confirmed\s+)?diagnosis|suffer(?:s|ed)?\s+from|is\s+taking|takes\s+\p{L}+\s+\d|est\s+(?:suivie?|traitée?|atteinte?|hospitalisée?)|a\s+été\s+(?:diagnostiquée?|hospitalisée?)|leidet\s+(?:an|unter)|nimmt\s+\p{L}+\s+\d|wurde\s+.{0,60}?diagnostiziert|fue\s+diagnosticad[oa]|padece|sufre\s+de|è\s+stat[oa]\s+diagnosticat[oa]|soffre\s+di)\b)"
    R"(|\b[Bb]ei\s+(?:(?:Frau|Herrn?|Patient(?:in)?)\s+)?\p{Lu}\p{Ll}+(?:\s+\p{Lu}[\p{L}\-]+)+)"
    R"(|\ba\s+\p{Lu}\p{Ll}+\s+\p{Lu}\p{Ll}+\s+(?:se\s+)?le\s+diagnostic)"
    R"(|\p{Lu}\p{Ll}+\s+\p{Lu}[\p{L}'’\-]+\s*[,(]\s*(?:geb\.|born|b\.|DOB|d\.o\.b\.|né|née|nacid[oa]|nat[oa]))"
    R"(|(?!患者|皆|お客|先生|医師|看護)\p{Han}{2,4}(?:さん|様|氏))"
    R"(|(?!선생|고객|의사|환자|간호|여러|회원|부모|어머|아버)\p{Hangul}{2,4}\s?(?:환자|씨|님)))";

// Forms put the patient on a labelled line above the diagnosis line
// ("姓名：张伟 / 诊断：2型糖尿病", "Name: ... / Diagnosis: ...").
constexpr const char* kLabelledPatient =
    R"(^[\s\-*•>|#]*(?:姓名|患者姓名|病人姓名|患者|就诊人|Name|Patient(?:\s+name)?|Patientenname|Patient\(in\)|Nom(?:\s+du\s+patient)?|Nombre(?:\s+del\s+paciente)?|Paciente|Paziente|氏名|患者名|환자명|성명|ФИО|Пациент)\s*[:：]\s*\p{L})";

pcre2_code* compile(const char* pattern) {
  int err = 0;
  PCRE2_SIZE off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern), PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE, &err, &off, nullptr);
  if (code) pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return code;
}

bool matches(pcre2_code* code, std::string_view t, size_t start, size_t end) {
  if (!code || end <= start) return false;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
  int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(t.data() + start), end - start, 0, PCRE2_NO_UTF_CHECK, md,
                       nullptr);
  pcre2_match_data_free(md);
  return rc > 0;
}

struct Compiled {
  pcre2_code* code = compile(kIdentity);
  pcre2_code* labelled = compile(kLabelledPatient);
  ~Compiled() {
    pcre2_code_free(code);
    pcre2_code_free(labelled);
  }
};

const Compiled& compiled() {
  static const Compiled c;
  return c;
}

bool abbreviation_before(std::string_view t, size_t dot) {
  size_t s = dot;
  while (s > 0 && is_alpha(t[s - 1])) --s;
  std::string_view w = t.substr(s, dot - s);
  if (w.size() == 1 && is_upper(w[0])) return true;  // initials
  static constexpr std::string_view kAbbr[] = {"Mr", "Mrs", "Ms", "Dr", "Prof", "St", "geb", "Nr", "No", "vs",
                                               "ca", "approx", "Sr", "Sra", "Mme", "Jr", "Inc", "Ltd", "Co",
                                               "Fig", "resp", "bzw", "Hr", "Fr", "Dipl", "med", "e", "i", "g",
                                               "z", "B", "Pt", "Sig", "tgl", "tägl", "min"};
  for (auto a : kAbbr)
    if (w == a) return true;
  return false;
}

bool boundary_at(std::string_view t, size_t i, size_t& len) {
  char c = t[i];
  if (c == '\n') {
    len = 1;
    return true;
  }
  for (std::string_view p : {"。", "！", "？", "；"}) {
    if (t.substr(i, p.size()) == p) {
      len = p.size();
      return true;
    }
  }
  if (c == '.' || c == '!' || c == '?') {
    bool followed = i + 1 >= t.size() || t[i + 1] == ' ' || t[i + 1] == '\n' || t[i + 1] == '"';
    if (!followed) return false;
    if (c == '.' && abbreviation_before(t, i)) return false;
    if (c == '.' && i + 2 < t.size() && t[i + 1] == ' ' && is_digit(t[i + 2])) return false;
    len = 1;
    return true;
  }
  return false;
}

}  // namespace

std::pair<size_t, size_t> sentence_around(std::string_view t, size_t pos) {
  constexpr size_t kMaxReach = 1500;  // bounds the work on huge single-line inputs
  size_t s = pos;
  size_t len = 0;
  while (s > 0 && pos - s < kMaxReach) {
    // Look for a boundary that ends right before s.
    size_t probe = s - 1;
    while (probe > 0 && (static_cast<unsigned char>(t[probe]) & 0xC0) == 0x80) --probe;
    if (boundary_at(t, probe, len) && probe + len <= s) break;
    s = probe;
  }
  size_t e = pos;
  while (e < t.size() && e - pos < kMaxReach) {
    if (boundary_at(t, e, len)) {
      if (t[e] != '\n') e += len;
      break;
    }
    ++e;
  }
  while (s < e && (is_space(t[s]) || t[s] == '-' || t[s] == '*')) ++s;
  while (e > s && is_space(t[e - 1])) --e;
  return {s, e};
}

void check_medical_sentence(std::string_view t, size_t start, size_t end, Findings& out) {
  const Compiled& c = compiled();
  if (end <= start || end - start > 2000) return;
  if (matches(c.code, t, start, end)) {
    out.push_back({Kind::kMedical, start, end});
    return;
  }
  // A labelled patient line shortly above, in the same block (no blank line between).
  size_t from = start > 400 ? start - 400 : 0;
  size_t blank = t.rfind("\n\n", start);
  if (blank != std::string_view::npos && blank + 2 > from) from = blank + 2;
  while (from > 0 && from < start && (static_cast<unsigned char>(t[from]) & 0xC0) == 0x80) ++from;
  if (from < start && matches(c.labelled, t, from, start)) out.push_back({Kind::kMedical, start, end});
}

}  // namespace sy::router::detect
