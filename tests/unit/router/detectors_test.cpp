// Per-detector tests: positives in several formats and languages, the hard
// negatives of the label rules, and evasion variants.
#include <gtest/gtest.h>

#include "test_helpers.hpp"

namespace sy::router::testing {
namespace {

TEST(EmailDetector, FindsRealAddressesOnly) {
  EXPECT_TRUE(finds("Write to anna.kowalska+jobs@firma-budowlana.pl today", "EMAIL", "anna.kowalska+jobs@firma-budowlana.pl"));
  EXPECT_TRUE(finds("邮箱：wang.lei@qq.com；部门：财务", "EMAIL", "wang.lei@qq.com"));
  EXPECT_TRUE(finds("mailto:o.schmidt@t-online.de", "EMAIL", "o.schmidt@t-online.de"));
  EXPECT_FALSE(finds_type("Send it to user@example.com or test@foo.example", "EMAIL"));
  EXPECT_FALSE(finds_type("admin@shop.test and root@localhost and a@b.invalid", "EMAIL"));
  EXPECT_FALSE(finds_type("git clone git@github.com:org/repo.git", "EMAIL"));
  EXPECT_FALSE(finds_type("npm i lodash@4.17.21 and python:3.12-slim@sha256:abcd", "EMAIL"));
  EXPECT_FALSE(finds_type("postgres://app:S3cr3t!pw@db.prod.acme-corp.com/orders", "EMAIL"));
}

TEST(PhoneDetector, InternationalAndNationalFormats) {
  EXPECT_TRUE(finds("Call me on +44 7911 123456 tomorrow", "PHONE", "+44 7911 123456"));
  EXPECT_TRUE(finds("Phone: (312) 555-2368", "PHONE", "(312) 555-2368"));
  EXPECT_TRUE(finds("手机：13912345678，谢谢", "PHONE", "13912345678"));
  EXPECT_TRUE(finds("携帯は090-1234-5678です", "PHONE", "090-1234-5678"));
  EXPECT_TRUE(finds("Mon numéro : +33 6 12 34 56 78", "PHONE", "+33 6 12 34 56 78"));
  EXPECT_TRUE(finds("Tel. 0151 23456789", "PHONE", "0151 23456789"));
}

TEST(PhoneDetector, HardNegatives) {
  EXPECT_FALSE(finds_type("The detective calls (702) 555-0167 in chapter 3.", "PHONE"));
  EXPECT_FALSE(finds_type("快递员的号码显示 138****5678", "PHONE"));
  EXPECT_FALSE(finds_type("发送短信到10086查询话费", "PHONE"));
  EXPECT_FALSE(finds_type("Cisco PID 800-36750-09 in show inventory", "PHONE"));
  EXPECT_FALSE(finds_type("Bosch injector 0 280 158 134 fits?", "PHONE"));
  EXPECT_FALSE(finds_type("HP spare part 761169-001", "PHONE"));
  EXPECT_FALSE(finds_type("Meeting on 2024-11-04 at 10:30", "PHONE"));
  EXPECT_FALSE(finds_type("order_id=6712959 offset=443721", "PHONE"));
}

TEST(CreditCardDetector, LuhnBrandAndGrouping) {
  EXPECT_TRUE(finds("card 4526 0181 5908 3012 exp 09/27", "CREDIT_CARD", "4526 0181 5908 3012"));
  EXPECT_TRUE(finds("MC 2221-9960-3082-4625", "CREDIT_CARD", "2221-9960-3082-4625"));
  EXPECT_TRUE(finds("Amex 3781 948219 93511", "CREDIT_CARD", "3781 948219 93511"));
  EXPECT_TRUE(finds("银联卡号6275749118625276017", "CREDIT_CARD", "6275749118625276017"));
  EXPECT_FALSE(finds_type("Stripe test card 4242 4242 4242 4242", "CREDIT_CARD"));
  EXPECT_FALSE(finds_type("Visa test 4111 1111 1111 1111", "CREDIT_CARD"));
  EXPECT_FALSE(finds_type("order 4526 0181 5908 3013", "CREDIT_CARD"));  // Luhn fails
  EXPECT_FALSE(finds_type("ISBN 978-3-16-148410-0", "CREDIT_CARD"));
  EXPECT_FALSE(finds_type("card ending in 3012, **** **** **** 3012", "CREDIT_CARD"));
}

TEST(IbanDetector, Mod97AndCountryLength) {
  EXPECT_TRUE(finds("IBAN ES28 2100 0418 4502 0005 1399.", "IBAN", "ES28 2100 0418 4502 0005 1399"));
  EXPECT_TRUE(finds("Konto: AT341904300234573299", "IBAN", "AT341904300234573299"));
  EXPECT_TRUE(finds("conto IT63X0542811101000000123499", "IBAN", "IT63X0542811101000000123499"));
  EXPECT_FALSE(finds_type("example IBAN DE89 3704 0044 0532 0130 00", "IBAN"));
  EXPECT_FALSE(finds_type("GB29 NWBK 6016 1331 9268 19 from the docs", "IBAN"));
  EXPECT_FALSE(finds_type("fixture GB06 MIDL 9163 6562 4992 60", "IBAN"));  // mod-97 fails
  EXPECT_FALSE(finds_type("IBAN DE76 **** **** **** 9999", "IBAN"));
}

TEST(SsnDetector, StructureAndPlaceholders) {
  EXPECT_TRUE(finds("SSN 536-22-8726", "US_SSN", "536-22-8726"));
  EXPECT_TRUE(finds("Social Security number: 536228726", "US_SSN", "536228726"));
  EXPECT_FALSE(finds_type("placeholder 123-45-6789", "US_SSN"));
  EXPECT_FALSE(finds_type("SSN 000-12-3456, 666-45-1234, 912-34-5678, 123-00-4567, 123-45-0000", "US_SSN"));
  EXPECT_FALSE(finds_type("invoice 536228726", "US_SSN"));  // unlabelled 9 digits
}

TEST(CnResidentIdDetector, CheckDigitAndBirthDate) {
  EXPECT_TRUE(finds("身份证号：440305199003151236", "CN_RESIDENT_ID", "440305199003151236"));
  EXPECT_TRUE(finds("ID 32010219850611104X ok", "CN_RESIDENT_ID", "32010219850611104X"));
  EXPECT_FALSE(finds_type("GB 11643 example 11010519491231002X", "CN_RESIDENT_ID"));
  EXPECT_FALSE(finds_type("身份证号：440305199003151237", "CN_RESIDENT_ID"));  // check digit
  EXPECT_FALSE(finds_type("合同编号：202557974408735858", "CN_RESIDENT_ID"));
  EXPECT_FALSE(finds_type("脱敏后 420106********6615", "CN_RESIDENT_ID"));
}

TEST(IpDetector, RoutableHostsOnly) {
  EXPECT_TRUE(finds("ssh root@host at 81.2.69.160:22", "IP_ADDRESS", "81.2.69.160"));
  EXPECT_TRUE(finds("Failed password from 2a03:2880:f12f:83:face:b00c::25de port 22", "IP_ADDRESS",
                    "2a03:2880:f12f:83:face:b00c::25de"));
  EXPECT_TRUE(finds("client [2606:4700:4700::1111]:443", "IP_ADDRESS", "2606:4700:4700::1111"));
  EXPECT_FALSE(finds_type("docs use 192.0.2.1, 198.51.100.7, 203.0.113.9 and 2001:db8::1", "IP_ADDRESS"));
  EXPECT_FALSE(finds_type("bind 127.0.0.1 or 0.0.0.0, link-local 169.254.1.1, fe80::1", "IP_ADDRESS"));
  EXPECT_FALSE(finds_type("Python 3.9.8 and version 1.2.3.4 and OID 1.2.840.113549.1.9.1", "IP_ADDRESS"));
  EXPECT_FALSE(finds_type("netmask 255.255.255.0, block 81.2.69.0/24, CGNAT 100.64.3.2", "IP_ADDRESS"));
  EXPECT_FALSE(finds_type("Section 4.2.1.3 of the profile", "IP_ADDRESS"));
}

TEST(ApiKeyDetector, ProviderFormatsAndGenericSecrets) {
  EXPECT_TRUE(finds("OPENAI_API_KEY=sk-proj-Qm7tV2xL9pR4sK8wN3bY6cD1fG5hJ0aZ", "API_KEY",
                    "sk-proj-Qm7tV2xL9pR4sK8wN3bY6cD1fG5hJ0aZ"));
  EXPECT_TRUE(finds("aws_access_key_id = AKIAZ7Q2M4N6P8R3T5V1", "API_KEY", "AKIAZ7Q2M4N6P8R3T5V1"));
  EXPECT_TRUE(finds("token: glpat-Xy7Rk2Lm9Qw4Ze8Tn3Vb", "API_KEY", "glpat-Xy7Rk2Lm9Qw4Ze8Tn3Vb"));
  EXPECT_TRUE(finds("curl -H 'Authorization: Bearer q8Zr2LmX7vNc4TbW9ePk3YdH' https://api.x.io", "API_KEY",
                    "q8Zr2LmX7vNc4TbW9ePk3YdH"));
  EXPECT_TRUE(finds("client_secret: \"f3a9c1e07b2d4c8e9a6b5d4c3b2a1908\"", "API_KEY", "f3a9c1e07b2d4c8e9a6b5d4c3b2a1908"));
  EXPECT_TRUE(finds("post to https://hooks.slack.com/services/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 now", "API_KEY",
                    "https://hooks.slack.com/services/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"));
}

TEST(ApiKeyDetector, HardNegatives) {
  EXPECT_FALSE(finds_type("AWS docs: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "API_KEY"));
  EXPECT_FALSE(finds_type("OPENAI_API_KEY=sk-XXXXXXXXXXXXXXXXXXXXXXXX", "API_KEY"));
  EXPECT_FALSE(finds_type("SLACK_BOT_TOKEN=xoxb-your-bot-token", "API_KEY"));
  EXPECT_FALSE(finds_type("token = os.environ['API_TOKEN'] and ${API_TOKEN}", "API_KEY"));
  EXPECT_FALSE(finds_type("the key is listed as sk-...r1dN", "API_KEY"));
  EXPECT_FALSE(finds_type("id = 'a35207e1-3292-48db-ab62-2934f2245766'", "API_KEY"));
  EXPECT_FALSE(finds_type("git revert a1fa1dd7135abc6a270acc29fbf8d342f65b3a9b", "API_KEY"));
  EXPECT_FALSE(finds_type("MD5 4fd1a39cbc4b646cd2fddb0534a9b983 ok?", "API_KEY"));
  EXPECT_FALSE(finds_type("Authorization: Bearer YOUR_API_KEY", "API_KEY"));
  EXPECT_FALSE(finds_type("Use scikit-learn's task-specific settings", "API_KEY"));
}

TEST(PrivateKeyDetector, BlocksWithMaterialOnly) {
  const std::string block =
      "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\n"
      "AwEHoUQDQgAEPR3tU2LeGQ+3ovb5u8B0G9xtTr2p5eWLzEzdHjGzlvXw2BB7Ew3q\n-----END EC PRIVATE KEY-----";
  EXPECT_TRUE(finds("key:\n" + block + "\nthanks", "PRIVATE_KEY", block));
  const std::string escaped =
      "-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEAaYVhKBAsk3Xv0t37IrpgoUXV9I6esRLtrGlKhTwRVhaEny3I\\n"
      "0GUSIDKHxZ/8mQn5IpPyiiY9GP4n8ttgWfoMMrKk1G8+wlmyOyxpLd9Rp2klUWbL\\n-----END RSA PRIVATE KEY-----";
  EXPECT_TRUE(finds("{\"key\": \"" + escaped + "\"}", "PRIVATE_KEY", escaped));
  EXPECT_FALSE(finds_type("-----BEGIN OPENSSH PRIVATE KEY-----\n<base64-encoded key material>\n-----END OPENSSH PRIVATE KEY-----", "PRIVATE_KEY"));
  EXPECT_FALSE(finds_type("convert `-----BEGIN RSA PRIVATE KEY-----` to `-----BEGIN PRIVATE KEY-----` with openssl and why would it", "PRIVATE_KEY"));
  EXPECT_FALSE(finds_type("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnVuP2c1av2H1NVRFmqym\n-----END PUBLIC KEY-----", "PRIVATE_KEY"));
}

TEST(PasswordDetector, AssignmentsInManyForms) {
  EXPECT_TRUE(finds("DB_PASSWORD=Tr0ub4dor&3", "PASSWORD", "Tr0ub4dor&3"));
  EXPECT_TRUE(finds("密码：Qz8!kLm2vX", "PASSWORD", "Qz8!kLm2vX"));
  EXPECT_TRUE(finds("Passwort: Sommer2024!", "PASSWORD", "Sommer2024!"));
  EXPECT_TRUE(finds("mot de passe : Soleil#2023", "PASSWORD", "Soleil#2023"));
  EXPECT_TRUE(finds("redis://default:pR7v!x9Lq2@cache.acme-corp.com:6379", "PASSWORD", "pR7v!x9Lq2"));
  EXPECT_TRUE(finds("{\"username\": \"ops\", \"password\": \"N0tS0Secret!\"}", "PASSWORD", "N0tS0Secret!"));
  EXPECT_FALSE(finds_type("password: ********", "PASSWORD"));
  EXPECT_FALSE(finds_type("FATAL: password authentication failed for user \"app\"", "PASSWORD"));
  EXPECT_FALSE(finds_type("password: ${DB_PASSWORD} and {{ password }}", "PASSWORD"));
  EXPECT_FALSE(finds_type("写一个正则表达式校验密码：至少8位", "PASSWORD"));
  EXPECT_FALSE(finds_type("What's a sensible password policy for a company?", "PASSWORD"));
}

TEST(MedicalDetector, IdentifiedPatientWithDiagnosisOrMedication) {
  EXPECT_TRUE(finds_type("Patient Maria Rossi (MRN 4417823) was diagnosed with asthma and uses salbutamol.", "MEDICAL"));
  EXPECT_TRUE(finds_type("患者李明，男，45岁，住院号20231234，诊断为2型糖尿病。", "MEDICAL"));
  EXPECT_TRUE(finds_type("Hans Meier leidet an Epilepsie und nimmt Levetiracetam 500 mg.", "MEDICAL"));
  EXPECT_FALSE(finds_type("A 54-year-old man presents with chest pain. What is the most likely diagnosis?", "MEDICAL"));
  EXPECT_FALSE(finds_type("布洛芬和对乙酰氨基酚可以一起吃吗？", "MEDICAL"));
  EXPECT_FALSE(finds_type("How is high blood pressure diagnosed? Is one reading enough?", "MEDICAL"));
}

TEST(ConfidentialMarkerDetector, AppliedMarkingsOnly) {
  EXPECT_TRUE(finds("STRICTLY CONFIDENTIAL\nBoard memo ...", "CONFIDENTIAL_MARKER", "STRICTLY CONFIDENTIAL"));
  EXPECT_TRUE(finds("Subject: [Confidential] Q3 numbers", "CONFIDENTIAL_MARKER", "Confidential"));
  EXPECT_TRUE(finds("密级：绝密\n关于……的通知", "CONFIDENTIAL_MARKER", "绝密"));
  EXPECT_TRUE(finds("VERTRAULICH – nur für den Vorstand\nText", "CONFIDENTIAL_MARKER", "VERTRAULICH"));
  EXPECT_FALSE(finds_type("How do I add a CONFIDENTIAL watermark to a Word document?", "CONFIDENTIAL_MARKER"));
  EXPECT_FALSE(finds_type("国家秘密分为哪几个密级？绝密、机密、秘密有什么区别？", "CONFIDENTIAL_MARKER"));
  EXPECT_FALSE(finds_type("What does 'confidential information' cover in an NDA?", "CONFIDENTIAL_MARKER"));
  EXPECT_FALSE(finds_type("公司要制定内部资料管理制度", "CONFIDENTIAL_MARKER"));
}

TEST(Evasion, FullWidthZeroWidthAndMixedSeparators) {
  // Full-width digits: span in original code points.
  const std::string fw = "卡号 ４５２６ ０１８１ ５９０８ ３０１２ 谢谢";
  EXPECT_TRUE(finds(fw, "CREDIT_CARD", "４５２６ ０１８１ ５９０８ ３０１２"));
  // Zero-width spaces between digits.
  const std::string zw = "card 4526\u200b0181\u200b5908\u200b3012 ok";
  EXPECT_TRUE(finds(zw, "CREDIT_CARD", "4526\u200b0181\u200b5908\u200b3012"));
  // Mixed separators.
  EXPECT_TRUE(finds("card 4526-0181 5908-3012.", "CREDIT_CARD", "4526-0181 5908-3012") ||
              finds_type("card 4526-0181 5908-3012.", "CREDIT_CARD"));
  // Astral emoji before the entity: code points, not UTF-16 units.
  const std::string emoji = "🎉🎉 mail jan.novak@seznam.cz";
  EXPECT_TRUE(finds(emoji, "EMAIL", "jan.novak@seznam.cz"));
  // Full-width e-mail and Unicode dashes in an SSN.
  EXPECT_TRUE(finds_type("SSN 536‐22‐8726", "US_SSN"));
  EXPECT_TRUE(finds_type("ｍａｒｉａ＠ｇｍａｉｌ．ｃｏｍ", "EMAIL"));
}

TEST(CustomRules, KeywordsAndRegexesWithLevels) {
  RouterOptions o;
  o.sensitivity.custom.push_back({"CODENAME", {"Project Falcon", "雪豹计划"}, {}, "sensitive"});
  o.sensitivity.custom.push_back({"TICKET", {}, {R"(JIRA-\d{4,})"}, "flag"});
  Router r(o);
  auto c = classify_text("status of project falcon and JIRA-12345?", r);
  ASSERT_EQ(c.findings.size(), 2u);
  EXPECT_TRUE(c.sensitive);
  auto t = classify_text("see JIRA-12345", r);
  EXPECT_FALSE(t.sensitive);  // flag level reports but does not make it sensitive
  ASSERT_EQ(t.findings.size(), 1u);
  EXPECT_EQ(t.findings[0].type, "TICKET");
  EXPECT_EQ(t.findings[0].start, 4);
  EXPECT_EQ(t.findings[0].end, 14);
  EXPECT_TRUE(finds("关于雪豹计划的进展", "CODENAME", "雪豹计划", r));
  EXPECT_TRUE(check_custom_regex("(unclosed").has_value());
  EXPECT_FALSE(check_custom_regex(R"(\bACME-\d+)").has_value());
}

TEST(DetectorSelection, DisabledDetectorsDoNotReport) {
  RouterOptions o;
  o.sensitivity.detectors = {"phone"};
  Router r(o);
  EXPECT_FALSE(finds_type("mail anna@firma-budowlana.pl", "EMAIL", r));
  EXPECT_TRUE(finds_type("Phone: (312) 555-2368", "PHONE", r));
}

}  // namespace
}  // namespace sy::router::testing
