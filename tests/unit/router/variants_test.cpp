// Formats, languages and providers beyond the public corpus: the held-out
// set differs in values, surrounding text, languages and secret providers.
#include <gtest/gtest.h>

#include "test_helpers.hpp"

namespace sy::router::testing {
namespace {

TEST(Variants, Phones) {
  EXPECT_TRUE(finds("Rufen Sie mich an: 030 12345678", "PHONE", "030 12345678"));
  EXPECT_TRUE(finds("Mi móvil es 612 345 678.", "PHONE", "612 345 678"));
  EXPECT_TRUE(finds("Chiamami al 347 123 4567", "PHONE", "347 123 4567"));
  EXPECT_TRUE(finds("WhatsApp: +55 11 91234-5678", "PHONE", "+55 11 91234-5678"));
  EXPECT_TRUE(finds("联系电话：021-6234 5678", "PHONE", "021-6234 5678"));
  EXPECT_TRUE(finds("연락처: 010-1234-5678", "PHONE", "010-1234-5678"));
  EXPECT_TRUE(finds("call 415.837.2291 after 5pm", "PHONE", "415.837.2291"));
  EXPECT_TRUE(finds("Téléphone : 06 12 34 56 78", "PHONE", "06 12 34 56 78"));
}

TEST(Variants, Cards) {
  EXPECT_TRUE(finds_type("Discover 6011 8190 9378 6579 please", "CREDIT_CARD"));
  EXPECT_TRUE(finds_type("JCB: 3530-9754-3231-9487", "CREDIT_CARD"));
  EXPECT_TRUE(finds_type("Diners 3689 555979 7114", "CREDIT_CARD"));
  EXPECT_TRUE(finds("card 4526.0181.5908.3012", "CREDIT_CARD", "4526.0181.5908.3012"));
}

TEST(Variants, Ibans) {
  EXPECT_TRUE(finds_type("Rekening NL37 ABNA 0417 1643 99", "IBAN"));
  EXPECT_TRUE(finds_type("Numer konta: PL65 1090 1014 0000 0712 1981 2899", "IBAN"));
  EXPECT_TRUE(finds_type("IBAN: DE44-5001-0517-5407-3249-31", "IBAN"));
}

TEST(Variants, Secrets) {
  EXPECT_TRUE(finds("ANTHROPIC_API_KEY=sk-ant-api03-Zx8Qw2Lk9Vb4Nm7Tr3Yp6Hs1Dg5Jf0Ka", "API_KEY",
                    "sk-ant-api03-Zx8Qw2Lk9Vb4Nm7Tr3Yp6Hs1Dg5Jf0Ka"));
  EXPECT_TRUE(finds("HF_TOKEN=hf_Vb8kRmZq2LxT7wNpC4yHdJ9sFgA1eKu3Mo", "API_KEY", "hf_Vb8kRmZq2LxT7wNpC4yHdJ9sFgA1eKu3Mo"));
  EXPECT_TRUE(finds("DD_API_KEY: 9f8e7d6c5b4a39281706f5e4d3c2b1a0", "API_KEY", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"));
  EXPECT_TRUE(finds("AccountKey=Xk29dLq8ZmR3tYp7Vw4nHs6JbC1eF5gA0uIoP2yT9rE8wQ==;EndpointSuffix=core.windows.net", "API_KEY",
                    "Xk29dLq8ZmR3tYp7Vw4nHs6JbC1eF5gA0uIoP2yT9rE8wQ=="));
  EXPECT_TRUE(finds_type("client_secret = \"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\"", "API_KEY"));
  EXPECT_TRUE(finds("阿里云 AccessKey ID：LTAI5tQx8Zr2LmN9vBc4", "API_KEY", "LTAI5tQx8Zr2LmN9vBc4"));
}

TEST(Variants, Passwords) {
  EXPECT_TRUE(finds("The password for the admin account is Qw3rty!23", "PASSWORD", "Qw3rty!23"));
  EXPECT_TRUE(finds("Пароль: Zima2024!", "PASSWORD", "Zima2024!"));
  EXPECT_TRUE(finds("パスワード：Sakura#2025", "PASSWORD", "Sakura#2025"));
  EXPECT_TRUE(finds("contraseña: Verano_2023", "PASSWORD", "Verano_2023"));
  EXPECT_TRUE(finds("mysql --user=root --password=Gr8Scott! -h db", "PASSWORD", "Gr8Scott!"));
  EXPECT_FALSE(finds_type("Password requirements: at least twelve characters", "PASSWORD"));
  EXPECT_FALSE(finds_type("Reset your password: click the link below", "PASSWORD"));
}

TEST(Variants, Medical) {
  EXPECT_TRUE(finds_type("El paciente Juan Pérez fue diagnosticado con diabetes tipo 2 y toma metformina 850 mg.", "MEDICAL"));
  EXPECT_TRUE(finds_type("姓名：张伟\n性别：男\n诊断：2型糖尿病\n用药：二甲双胍 0.5g", "MEDICAL"));
  EXPECT_TRUE(finds_type("Mme Claire Martin est atteinte d'une sclérose en plaques, traitée par ocrelizumab.", "MEDICAL"));
  EXPECT_FALSE(finds_type("Metformin is usually started at 500 mg once daily with meals.", "MEDICAL"));
  EXPECT_FALSE(finds_type("What are the symptoms of type 2 diabetes?", "MEDICAL"));
}

TEST(Variants, Markers) {
  EXPECT_TRUE(finds_type("Acme Corp | Confidential", "CONFIDENTIAL_MARKER"));
  EXPECT_TRUE(finds_type("CONFIDENTIAL. Do not forward.\nQ3 plan follows.", "CONFIDENTIAL_MARKER"));
  EXPECT_TRUE(finds_type("内部资料，请勿外传\n一、目标", "CONFIDENTIAL_MARKER"));
  EXPECT_TRUE(finds_type("VERTROUWELIJK\nNotulen van de directie", "CONFIDENTIAL_MARKER"));
  EXPECT_FALSE(finds_type("Confidential computing protects data in use. Explain it.", "CONFIDENTIAL_MARKER"));
  EXPECT_FALSE(finds_type("Is 'internal only' a good label for our wiki pages?", "CONFIDENTIAL_MARKER"));
}

TEST(Variants, Emails) {
  EXPECT_TRUE(finds("Schreib an jürgen.müller@bücher-haus.de bitte", "EMAIL", "jürgen.müller@bücher-haus.de"));
  EXPECT_TRUE(finds("联系wang.fang@163.com谢谢", "EMAIL", "wang.fang@163.com"));
}

}  // namespace
}  // namespace sy::router::testing

namespace sy::router::testing {
namespace {

TEST(Variants, MoreProviders) {
  EXPECT_TRUE(finds("TELEGRAM_BOT_TOKEN=7081234567:AAHk3Zr9Qx2LmV7bN4cT8yW1pD6sF0gJ5eK", "API_KEY",
                    "7081234567:AAHk3Zr9Qx2LmV7bN4cT8yW1pD6sF0gJ5eK"));
  EXPECT_TRUE(finds("curl -H 'Authorization: Basic YWRtaW46UzNjcjN0UGFzc3dvcmQh' https://api.acme-corp.io", "API_KEY",
                    "YWRtaW46UzNjcjN0UGFzc3dvcmQh"));
  EXPECT_TRUE(finds_type("SENDGRID_API_KEY=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", "API_KEY"));
  EXPECT_FALSE(finds_type("Use basic auth for the internal wiki", "API_KEY"));
}

}  // namespace
}  // namespace sy::router::testing

namespace sy::router::testing {
namespace {

TEST(Variants, DocumentedExamplesAreNotFindings) {
  EXPECT_FALSE(finds_type("Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6"
                          "IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
                          "API_KEY"));
  EXPECT_FALSE(finds_type("docker run -e MYSQL_ROOT_PASSWORD=my-secret-pw -d mysql", "PASSWORD"));
  EXPECT_FALSE(finds_type("Call +44 7700 900123 in the screenplay", "PHONE"));
  EXPECT_FALSE(finds_type("The GitHub docs show ghp_16C7e42F292c6912E7710c838347Ae178B4a", "API_KEY"));
}

}  // namespace
}  // namespace sy::router::testing

namespace sy::router::testing {
namespace {

TEST(Variants, ContextualForms) {
  EXPECT_TRUE(finds_type("Write a sick note for my employee John Miller, who has been diagnosed with COVID-19.", "MEDICAL"));
  EXPECT_TRUE(finds("*** STRICTLY PRIVATE AND CONFIDENTIAL ***\nSalary review", "CONFIDENTIAL_MARKER",
                    "STRICTLY PRIVATE AND CONFIDENTIAL"));
  EXPECT_TRUE(finds("jdbc:mysql://db.acme-corp.io:3306/shop?user=app&password=Mz7#kQ2vLp&useSSL=true", "PASSWORD",
                    "Mz7#kQ2vLp"));
  EXPECT_TRUE(finds("git remote set-url origin https://oauth2:glpat-8xKq2LmZ9vBn4RtY7wPc@gitlab.com/acme/app.git",
                    "API_KEY", "glpat-8xKq2LmZ9vBn4RtY7wPc"));
  EXPECT_FALSE(finds_type("请问 400-820-8820 是哪家公司的客服电话？", "PHONE"));
  EXPECT_FALSE(finds_type("export DATABASE_URL=postgres://user:password@localhost:5432/db", "PASSWORD"));
  EXPECT_FALSE(finds_type("password = getpass.getpass(\"Password: \")", "PASSWORD"));
}

}  // namespace
}  // namespace sy::router::testing

namespace sy::router::testing {
namespace {

TEST(Variants, LowerCaseIbanAndShortPasswordNames) {
  EXPECT_TRUE(finds("iban: de44 5001 0517 5407 3249 31", "IBAN", "de44 5001 0517 5407 3249 31"));
  EXPECT_FALSE(finds_type("see section es12 of the spec for 2100 0418 4502 0005 1399 rules", "IBAN"));
  EXPECT_TRUE(finds("wifi pw: Lx9#mQ2vZk", "PASSWORD", "Lx9#mQ2vZk"));
  EXPECT_TRUE(finds("DB_PW=Rk7!pZ2qWm", "PASSWORD", "Rk7!pZ2qWm"));
}

}  // namespace
}  // namespace sy::router::testing

namespace sy::router::testing {
namespace {

TEST(Variants, AuthSchemesCliFormsAndKorean) {
  EXPECT_TRUE(finds("\"Authorization\": \"Token 9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6\"", "API_KEY",
                    "9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6"));
  EXPECT_TRUE(finds("aws configure set aws_secret_access_key 'Hk8Zq2Lm9XvB4nTy7WpC1dF5gH0jKaE3rS6uVb8x'", "API_KEY",
                    "Hk8Zq2Lm9XvB4nTy7WpC1dF5gH0jKaE3rS6uVb8x"));
  EXPECT_TRUE(finds_type("김민수 환자는 당뇨병 진단을 받았고 메트포르민 500mg을 복용 중입니다.", "MEDICAL"));
  EXPECT_TRUE(finds_type("件名：【社外秘】2025年度 価格改定案", "CONFIDENTIAL_MARKER"));
}

}  // namespace
}  // namespace sy::router::testing

namespace sy::router::testing {
namespace {

TEST(Variants, XmlElements) {
  EXPECT_TRUE(finds("<user>ops</user><password>Vx7!kQ2mZp</password>", "PASSWORD", "Vx7!kQ2mZp"));
  EXPECT_TRUE(finds("<apiKey>Zq8Rk2Lm9XvB4nTy7WpC1dF5</apiKey>", "API_KEY", "Zq8Rk2Lm9XvB4nTy7WpC1dF5"));
  EXPECT_FALSE(finds_type("<password>${DB_PASSWORD}</password>", "PASSWORD"));
}

}  // namespace
}  // namespace sy::router::testing

namespace sy::router::testing {
namespace {

TEST(Variants, GeneralMedicalQuestionsInOtherLanguages) {
  EXPECT_FALSE(finds_type("糖尿病患者应该注意什么饮食？", "MEDICAL"));
  EXPECT_FALSE(finds_type("高血压患者可以喝咖啡吗？服用氨氯地平5mg期间要注意什么？", "MEDICAL"));
  EXPECT_FALSE(finds_type("患者さんが高血圧と診断された場合、どんな薬が処方されますか？", "MEDICAL"));
  EXPECT_FALSE(finds_type("선생님, 당뇨병 진단을 받으면 어떤 약을 먹나요?", "MEDICAL"));
  EXPECT_FALSE(finds_type("《机密》是一部电影吗？", "CONFIDENTIAL_MARKER"));
  EXPECT_TRUE(finds_type("患者王建国，男，58岁，诊断为冠心病。", "MEDICAL"));
}

}  // namespace
}  // namespace sy::router::testing

namespace sy::router::testing {
namespace {

TEST(Variants, CapitalisedDiseasesAndDrugsAreNotPatients) {
  EXPECT_FALSE(finds_type("Crohn's Disease is usually treated with adalimumab 40 mg every two weeks.", "MEDICAL"));
  EXPECT_FALSE(finds_type("Metformin Hydrochloride is taken 500 mg twice daily. Side effects?", "MEDICAL"));
  EXPECT_FALSE(finds_type("Tylenol Extra Strength has 500 mg acetaminophen. Can kids take it?", "MEDICAL"));
  EXPECT_FALSE(finds_type("Hashimoto Thyroiditis is diagnosed by TPO antibodies. Explain.", "MEDICAL"));
}

}  // namespace
}  // namespace sy::router::testing
