#include "core/redact.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedactUrlTest, TextWithoutSecretsIsUnchanged) {
  for (const char* url : {"http://localhost:9200", "https://es.example.com:443/", "es:9200",
                          "127.0.0.1:19530", "http://[::1]:9200", "", "http://h/x?pretty=1",
                          "s3.us-east-1.amazonaws.com", "grpc://milvus:19530"}) {
    EXPECT_EQ(RedactUrl(url), url);
  }
}

TEST(RedactUrlTest, PasswordInUserinfo) {
  // The user part goes too: it may be an S3 access key or a token.
  EXPECT_EQ(RedactUrl("http://elastic:S3cret@es:9200"), "http://***@es:9200");
  EXPECT_EQ(RedactUrl("https://root:Milvus@host:19530/"), "https://***@host:19530/");
  EXPECT_EQ(RedactUrl("http://AKIAEXAMPLE:sk@h"), "http://***@h");
}

TEST(RedactUrlTest, UserinfoWithoutColonIsMaskedWhole) {
  EXPECT_EQ(RedactUrl("https://ghp_T0KEN@host"), "https://***@host");
}

TEST(RedactUrlTest, WithoutScheme) {
  EXPECT_EQ(RedactUrl("root:Milvus1@10.0.0.1:19530"), "***@10.0.0.1:19530");
  EXPECT_EQ(RedactUrl("tok@host"), "***@host");
}

TEST(RedactUrlTest, PasswordHoldingDelimitersIsMaskedWhole) {
  // Unencoded '@', '/', '?' and '#' in a password: everything up to the last '@' goes.
  for (const char* url : {"http://u:p@ss@host:9200", "http://u:pa/ss@host:9200",
                          "http://u:pa?ss@host:9200", "http://u:pa#ss@host:9200/x"}) {
    std::string out = RedactUrl(url);
    EXPECT_THAT(out, Not(HasSubstr("ss@"))) << url;
    EXPECT_THAT(out, HasSubstr("//***@host:9200")) << url;
  }
}

TEST(RedactUrlTest, SecretQueryParameters) {
  EXPECT_EQ(RedactUrl("http://h:1/p?token=abc&pretty=1"), "http://h:1/p?token=***&pretty=1");
  EXPECT_EQ(RedactUrl("https://b.s3.amazonaws.com/k?X-Amz-Credential=AK%2F1&X-Amz-Signature="
                      "ff&X-Amz-Expires=60"),
            "https://b.s3.amazonaws.com/k?X-Amz-Credential=***&X-Amz-Signature=***&"
            "X-Amz-Expires=60");
  EXPECT_EQ(RedactUrl("http://h?api_key=1;password=2#frag"),
            "http://h?api_key=***;password=***#frag");
  EXPECT_EQ(RedactUrl("http://u:p@h/x?sig=1"), "http://***@h/x?sig=***");
  // A name without '=' has no value to hide.
  EXPECT_EQ(RedactUrl("http://h?token"), "http://h?token");
}

TEST(RedactUrlTest, SecretParameterNames) {
  for (const char* name : {"token", "access_token", "X-Amz-Security-Token", "secret", "sk_secret",
                           "password", "passwd", "pwd", "apiKey", "api_key", "sig",
                           "X-Amz-Signature", "X-Amz-Credential", "auth", "Authorization",
                           "sessionId", "jwt"}) {
    EXPECT_TRUE(IsSecretParameter(name)) << name;
  }
  for (const char* name : {"pretty", "charset", "parseTime", "loc", "timeout", "scroll", "size"}) {
    EXPECT_FALSE(IsSecretParameter(name)) << name;
  }
}

TEST(RedactMysqlDsnTest, Shapes) {
  EXPECT_EQ(RedactMysqlDsn("root:123456@tcp(localhost:3306)/milvus?charset=utf8mb4"),
            "root:***@tcp(localhost:3306)/milvus?charset=utf8mb4");
  EXPECT_EQ(RedactMysqlDsn("milvus:p:a@s/s@w@tcp(10.0.0.5:13306)/meta"),
            "milvus:***@tcp(10.0.0.5:13306)/meta");
  EXPECT_EQ(RedactMysqlDsn("root@unix(/run/mysqld.sock)/milvus"),
            "root@unix(/run/mysqld.sock)/milvus");
  EXPECT_EQ(RedactMysqlDsn("u:pw@/milvus"), "u:***@/milvus");
  EXPECT_EQ(RedactMysqlDsn("tcp(h:3306)/milvus"), "tcp(h:3306)/milvus");
  EXPECT_EQ(RedactMysqlDsn("u:pw@tcp(h)/db?tls=custom&serverPubKey=k1&x=1"),
            "u:***@tcp(h)/db?tls=custom&serverPubKey=***&x=1");
  // Malformed: no '/' at all; the last '@' still ends the credentials.
  EXPECT_EQ(RedactMysqlDsn("u:pw@tcp(h)"), "u:***@tcp(h)");
}

TEST(RedactTextTest, UrlsAndDsnsInsideMessages) {
  EXPECT_EQ(RedactText("elasticsearch GET http://elastic:pw@es:9200/: refused"),
            "elasticsearch GET http://***@es:9200/: refused");
  EXPECT_EQ(RedactText("source_id elasticsearch:http://e:pw@h:9200/idx (5 documents)"),
            "source_id elasticsearch:http://***@h:9200/idx (5 documents)");
  EXPECT_EQ(RedactText("at 'https://t0k@h' and \"http://a:b@c\""),
            "at 'https://***@h' and \"http://***@c\"");
  EXPECT_EQ(RedactText("MySQL root:pw@tcp(h:3306)/m failed"),
            "MySQL root:***@tcp(h:3306)/m failed");
  EXPECT_EQ(RedactText("no secrets: user@example.com at host:9200"),
            "no secrets: user@example.com at host:9200");
  EXPECT_EQ(RedactText(""), "");
}

}  // namespace
}  // namespace mm
