#include "sources/milvus1x/mysql_dsn.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

MysqlDsn MustParse(const std::string& text) {
  auto dsn = ParseMysqlDsn(text);
  EXPECT_TRUE(dsn.ok()) << text << ": " << dsn.status();
  return dsn.ok() ? *dsn : MysqlDsn{};
}

TEST(MysqlDsnTest, GoToolForm) {
  MysqlDsn d = MustParse("root:123456@tcp(localhost:3306)/milvus?charset=utf8mb4&parseTime=True&loc=Local");
  EXPECT_EQ(d.user, "root");
  EXPECT_EQ(d.password, "123456");
  EXPECT_EQ(d.protocol, "tcp");
  EXPECT_EQ(d.host, "localhost");
  EXPECT_EQ(d.port, 3306);
  EXPECT_EQ(d.database, "milvus");
  EXPECT_EQ(d.params.at("charset"), "utf8mb4");
  EXPECT_EQ(d.params.at("parseTime"), "True");
  EXPECT_EQ(d.params.at("loc"), "Local");
  EXPECT_EQ(d.params.size(), 3u);
}

TEST(MysqlDsnTest, PasswordMayHoldColonAtAndSlash) {
  MysqlDsn d = MustParse("milvus:p:a@s/s@w@tcp(10.0.0.5:13306)/meta");
  EXPECT_EQ(d.user, "milvus");
  EXPECT_EQ(d.password, "p:a@s/s@w");
  EXPECT_EQ(d.host, "10.0.0.5");
  EXPECT_EQ(d.port, 13306);
  EXPECT_EQ(d.database, "meta");
}

TEST(MysqlDsnTest, NoPercentDecoding) {
  MysqlDsn d = MustParse("us%40er:p%40ss@tcp(h:1)/db");
  EXPECT_EQ(d.user, "us%40er");
  EXPECT_EQ(d.password, "p%40ss");
}

TEST(MysqlDsnTest, UnixSocket) {
  MysqlDsn d = MustParse("milvus@unix(/var/run/mysqld/mysqld.sock)/milvus");
  EXPECT_EQ(d.user, "milvus");
  EXPECT_EQ(d.password, "");
  EXPECT_EQ(d.protocol, "unix");
  EXPECT_EQ(d.socket, "/var/run/mysqld/mysqld.sock");
  EXPECT_EQ(d.database, "milvus");
}

TEST(MysqlDsnTest, OmittedProtocolMeansLocalTcp) {
  MysqlDsn d = MustParse("user:pw@/db");
  EXPECT_EQ(d.protocol, "tcp");
  EXPECT_EQ(d.host, "127.0.0.1");
  EXPECT_EQ(d.port, 3306);
  EXPECT_EQ(d.database, "db");
  MysqlDsn e = MustParse("/db");
  EXPECT_EQ(e.user, "");
  EXPECT_EQ(e.host, "127.0.0.1");
}

TEST(MysqlDsnTest, HostWithoutPortAndIpv6) {
  MysqlDsn d = MustParse("u:p@tcp(db.example.com)/x");
  EXPECT_EQ(d.host, "db.example.com");
  EXPECT_EQ(d.port, 3306);
  MysqlDsn v6 = MustParse("u:p@tcp([::1]:3307)/x");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 3307);
  MysqlDsn v6bare = MustParse("u:p@tcp(::1)/x");
  EXPECT_EQ(v6bare.host, "::1");
  EXPECT_EQ(v6bare.port, 3306);
  MysqlDsn tcp6 = MustParse("u:p@tcp6([fe80::1])/x");
  EXPECT_EQ(tcp6.protocol, "tcp");
  EXPECT_EQ(tcp6.host, "fe80::1");
  EXPECT_EQ(tcp6.port, 3306);
}

TEST(MysqlDsnTest, ParamsWithoutEqualsAreSkipped) {
  MysqlDsn d = MustParse("u:p@tcp(h:1)/x?flag&a=1&=z&b=x=y");
  EXPECT_EQ(d.params.size(), 2u);
  EXPECT_EQ(d.params.at("a"), "1");
  EXPECT_EQ(d.params.at("b"), "x=y");
}

TEST(MysqlDsnTest, Redacted) {
  EXPECT_EQ(MustParse("milvus:s3cr:et@tcp(127.0.0.1:19990)/milvus?timeout=5s").Redacted(),
            "milvus:***@tcp(127.0.0.1:19990)/milvus?timeout=5s");
  EXPECT_EQ(MustParse("milvus@unix(/s.sock)/m").Redacted(), "milvus@unix(/s.sock)/m");
  EXPECT_EQ(MustParse("u:p@tcp([::1]:5)/m").Redacted(), "u:***@tcp([::1]:5)/m");
}

TEST(MysqlDsnTest, ErrorsNeverEchoThePassword) {
  const std::string secret = "Sekr1tPw";
  for (const std::string& text : {
           "u:" + secret + "@tcp(h:1)",             // no '/'
           "u:" + secret + "@tcp(h:1)/",            // no database
           "u:" + secret + "@tcp(h:1/db",           // no ')'
           "u:" + secret + "@tcp(h:99999)/db",      // bad port
           "u:" + secret + "@tcp(h:x)/db",          // bad port
           "u:" + secret + "@udp(h:1)/db",          // bad protocol
           "u:" + secret + "@h:3306/db",            // protocol forgotten
           "u:" + secret + "/x",                    // '/' in the password, nothing else
           "u:" + secret,                           // nothing but credentials
           "u:" + secret + "@tcp(h:1)/db?loc=Asia/Shanghai",  // unescaped '/' in a param
           "u:" + secret + "@tcp(h:1)/db?timeout=5x",
       }) {
    auto dsn = ParseMysqlDsn(text);
    ASSERT_TRUE(absl::IsInvalidArgument(dsn.status())) << text << ": " << dsn.status();
    EXPECT_THAT(std::string(dsn.status().message()), Not(HasSubstr("Sekr1t"))) << text;
    EXPECT_THAT(std::string(dsn.status().message()), HasSubstr("MySQL DSN")) << text;
  }
}

TEST(MysqlDsnTest, SpecificMessages) {
  EXPECT_THAT(std::string(ParseMysqlDsn("u:p@tcp(h:70000)/db").status().message()),
              HasSubstr("port '70000'"));
  EXPECT_THAT(std::string(ParseMysqlDsn("u:p@tcp(h:1)/db?loc=Asia/Shanghai").status().message()),
              HasSubstr("%2F"));
  EXPECT_THAT(std::string(ParseMysqlDsn("u:p@tcp(h:1)/").status().message()),
              HasSubstr("no database name"));
  EXPECT_THAT(std::string(ParseMysqlDsn("u:p@tcp(h:1)/d?timeout=ten").status().message()),
              HasSubstr("timeout=ten"));
}

TEST(MysqlDsnTest, Durations) {
  auto ms = [](const std::string& value) {
    MysqlDsn d;
    d.params["timeout"] = value;
    return MysqlDsnDurationMs(d, "timeout", 10000);
  };
  EXPECT_EQ(*ms("5s"), 5000);
  EXPECT_EQ(*ms("500ms"), 500);
  EXPECT_EQ(*ms("1m30s"), 90000);
  EXPECT_EQ(*ms("1.5h"), 5400000);
  EXPECT_EQ(*ms("1500us"), 2);  // rounded up
  EXPECT_EQ(*ms("1ns"), 1);
  EXPECT_EQ(*ms(".5s"), 500);
  EXPECT_EQ(*ms("0"), 0);
  EXPECT_EQ(*ms("+2s"), 2000);
  for (const char* bad : {"", "5", "-5s", "s", "5 s", "5sec", "1.s2", ".s", "1e3s"}) {
    auto r = ms(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << "'" << bad << "' gave " << r.status();
  }
  MysqlDsn none;
  EXPECT_EQ(*MysqlDsnDurationMs(none, "timeout", 10000), 10000);
}

}  // namespace
}  // namespace mm
