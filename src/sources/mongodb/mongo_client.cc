#include "sources/mongodb/mongo_client.h"

#include <mongoc/mongoc.h>

#include <spdlog/spdlog.h>

#include <mutex>

namespace mm {
namespace {

// The driver's own log lines go through spdlog (so they stay out of a progress bar). Its
// warnings are mostly about servers that lack a command it tries on the side (FerretDB and
// endSessions): debug; errors stay warnings, since each is also returned to the caller.
void DriverLog(mongoc_log_level_t level, const char* domain, const char* message, void*) {
  if (level <= MONGOC_LOG_LEVEL_CRITICAL) {
    spdlog::warn("mongodb driver ({}): {}", domain, message);
  } else if (level <= MONGOC_LOG_LEVEL_INFO) {
    spdlog::debug("mongodb driver ({}): {}", domain, message);
  }
}

void InitDriver() {
  static std::once_flag once;
  // mongoc_cleanup is never called: the driver stays up for the life of the process.
  std::call_once(once, [] {
    mongoc_log_set_handler(DriverLog, nullptr);
    mongoc_init();
  });
}

Status FromBsonError(const bson_error_t& error, const std::string& what) {
  return MongoErrorStatus(error.domain, error.code, error.message, what);
}

}  // namespace

BsonDoc::BsonDoc() : doc_(bson_new()) {}
BsonDoc::BsonDoc(const bson_t* doc) : doc_(bson_copy(doc)) {}
BsonDoc::BsonDoc(BsonDoc&& other) noexcept : doc_(other.doc_) { other.doc_ = nullptr; }
BsonDoc& BsonDoc::operator=(BsonDoc&& other) noexcept {
  std::swap(doc_, other.doc_);
  return *this;
}
BsonDoc::BsonDoc(const BsonDoc& other) : doc_(bson_copy(other.get())) {}
BsonDoc& BsonDoc::operator=(const BsonDoc& other) {
  if (this != &other) {
    if (doc_ != nullptr) bson_destroy(doc_);
    doc_ = bson_copy(other.get());
  }
  return *this;
}
BsonDoc::~BsonDoc() {
  if (doc_ != nullptr) bson_destroy(doc_);
}

Result<BsonDoc> BsonDoc::FromJson(const std::string& json, const std::string& what) {
  bson_error_t error;
  bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()),
                                   static_cast<ssize_t>(json.size()), &error);
  if (doc == nullptr) {
    return absl::InvalidArgumentError(
        StrCat(what, " is not a JSON document (", error.message, ")"));
  }
  BsonDoc out;
  bson_destroy(out.doc_);
  out.doc_ = doc;
  return out;
}

const bson_t* BsonDoc::get() const {
  static const bson_t* empty = bson_new();
  return doc_ != nullptr ? doc_ : empty;
}

std::string BsonDoc::ToJson() const {
  size_t len = 0;
  char* json = bson_as_canonical_extended_json(get(), &len);
  std::string out(json, len);
  bson_free(json);
  return out;
}

Status CheckMongoFilter(const std::string& filter, const std::string& what) {
  return BsonDoc::FromJson(filter, what).status();
}

Status MongoErrorStatus(uint32_t domain, uint32_t code, const std::string& message,
                        const std::string& what) {
  const std::string text = StrCat("mongodb: ", what, ": ", message);
  if (domain == MONGOC_ERROR_CLIENT && code == MONGOC_ERROR_CLIENT_AUTHENTICATE) {
    return absl::UnauthenticatedError(
        StrCat(text, " (check the user, password and authSource in source.mongodb.uri)"));
  }
  if (domain == MONGOC_ERROR_SERVER_SELECTION || domain == MONGOC_ERROR_STREAM) {
    return absl::UnavailableError(text);
  }
  if (domain == MONGOC_ERROR_SERVER || domain == MONGOC_ERROR_QUERY ||
      domain == MONGOC_ERROR_WRITE_CONCERN) {
    switch (code) {
      case 18:  // AuthenticationFailed
        return absl::UnauthenticatedError(
            StrCat(text, " (check the user, password and authSource in source.mongodb.uri)"));
      case 13:  // Unauthorized
        return absl::PermissionDeniedError(
            StrCat(text, " (the user needs the read role on the database)"));
      case 26:  // NamespaceNotFound
        return absl::NotFoundError(text);
      case 43:  // CursorNotFound: the cursor timed out or was killed
        return absl::AbortedError(text);
      case 59:   // CommandNotFound
      case 115:  // CommandNotSupported
      case 238:  // NotImplemented
        return absl::UnimplementedError(text);
      case 6:     // HostUnreachable
      case 7:     // HostNotFound
      case 89:    // NetworkTimeout
      case 91:    // ShutdownInProgress
      case 189:   // PrimarySteppedDown
      case 10107: // NotWritablePrimary
      case 11600: // InterruptedAtShutdown
      case 13435: // NotPrimaryNoSecondaryOk
        return absl::UnavailableError(text);
      default: break;
    }
    return absl::InternalError(text);
  }
  return absl::InternalError(text);
}

MongoClient::MongoClient(mongoc_client_pool_t* pool) : pool_(pool) {}
MongoClient::~MongoClient() { mongoc_client_pool_destroy(pool_); }

Result<std::shared_ptr<MongoClient>> MongoClient::Connect(const std::string& uri_text) {
  InitDriver();
  bson_error_t error;
  mongoc_uri_t* uri = mongoc_uri_new_with_error(uri_text.c_str(), &error);
  if (uri == nullptr) {
    // The driver's message may quote the URI, password and all: say only what is wrong.
    return absl::InvalidArgumentError(
        "[source.mongodb.uri] is not a valid MongoDB connection string (see "
        "https://www.mongodb.com/docs/manual/reference/connection-string/)");
  }
  if (mongoc_uri_get_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 0) == 0) {
    mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 15000);
  }
  mongoc_client_pool_t* pool = mongoc_client_pool_new(uri);
  mongoc_uri_destroy(uri);
  if (pool == nullptr) {
    return absl::InvalidArgumentError(
        "[source.mongodb.uri] cannot be used (a TLS option the driver was built without?)");
  }
  mongoc_client_pool_set_error_api(pool, MONGOC_ERROR_API_VERSION_2);
  mongoc_client_pool_set_appname(pool, "milvus-migration");
  std::shared_ptr<MongoClient> client(new MongoClient(pool));
  BsonDoc ping;
  BSON_APPEND_INT32(const_cast<bson_t*>(ping.get()), "ping", 1);
  RETURN_IF_ERROR(client->Command("admin", ping, "connecting").status());
  return client;
}

Result<BsonDoc> MongoClient::Command(const std::string& database, const BsonDoc& command,
                                     const std::string& what) const {
  mongoc_client_t* c = mongoc_client_pool_pop(pool_);
  bson_t reply;
  bson_error_t error;
  const bool ok =
      mongoc_client_command_simple(c, database.c_str(), command.get(), nullptr, &reply, &error);
  mongoc_client_pool_push(pool_, c);
  BsonDoc out(&reply);
  bson_destroy(&reply);
  if (!ok) return FromBsonError(error, what);
  return out;
}

Result<std::unique_ptr<MongoCursor>> MongoClient::Find(const std::string& database,
                                                       const std::string& collection,
                                                       const BsonDoc& filter,
                                                       const BsonDoc& opts) const {
  mongoc_client_t* c = mongoc_client_pool_pop(pool_);
  mongoc_collection_t* coll =
      mongoc_client_get_collection(c, database.c_str(), collection.c_str());
  mongoc_cursor_t* cursor =
      mongoc_collection_find_with_opts(coll, filter.get(), opts.get(), nullptr);
  mongoc_collection_destroy(coll);  // the cursor keeps what it needs
  return std::make_unique<MongoCursor>(pool_, c, cursor,
                                       StrCat("reading ", database, ".", collection));
}

Result<std::unique_ptr<MongoCursor>> MongoClient::Aggregate(const std::string& database,
                                                            const std::string& collection,
                                                            const BsonDoc& pipeline) const {
  mongoc_client_t* c = mongoc_client_pool_pop(pool_);
  mongoc_collection_t* coll =
      mongoc_client_get_collection(c, database.c_str(), collection.c_str());
  mongoc_cursor_t* cursor =
      mongoc_collection_aggregate(coll, MONGOC_QUERY_NONE, pipeline.get(), nullptr, nullptr);
  mongoc_collection_destroy(coll);
  return std::make_unique<MongoCursor>(pool_, c, cursor,
                                       StrCat("aggregating ", database, ".", collection));
}

Result<int64_t> MongoClient::Count(const std::string& database, const std::string& collection,
                                   const BsonDoc& filter) const {
  mongoc_client_t* c = mongoc_client_pool_pop(pool_);
  mongoc_collection_t* coll =
      mongoc_client_get_collection(c, database.c_str(), collection.c_str());
  bson_error_t error;
  const int64_t n =
      mongoc_collection_count_documents(coll, filter.get(), nullptr, nullptr, nullptr, &error);
  mongoc_collection_destroy(coll);
  mongoc_client_pool_push(pool_, c);
  if (n < 0) return FromBsonError(error, StrCat("counting ", database, ".", collection));
  return n;
}

Result<std::vector<std::string>> MongoClient::CollectionNames(
    const std::string& database) const {
  mongoc_client_t* c = mongoc_client_pool_pop(pool_);
  mongoc_database_t* db = mongoc_client_get_database(c, database.c_str());
  bson_error_t error;
  char** names = mongoc_database_get_collection_names_with_opts(db, nullptr, &error);
  mongoc_database_destroy(db);
  mongoc_client_pool_push(pool_, c);
  if (names == nullptr) {
    return FromBsonError(error, StrCat("listing the collections of ", database));
  }
  std::vector<std::string> out;
  for (char** p = names; *p != nullptr; ++p) out.emplace_back(*p);
  bson_strfreev(names);
  return out;
}

MongoCursor::MongoCursor(mongoc_client_pool_t* pool, mongoc_client_t* client,
                         mongoc_cursor_t* cursor, std::string what)
    : pool_(pool), client_(client), cursor_(cursor), what_(std::move(what)) {}

MongoCursor::~MongoCursor() {
  mongoc_cursor_destroy(cursor_);  // kills the server-side cursor when it is still open
  mongoc_client_pool_push(pool_, client_);
}

Status MongoCursor::Next(const bson_t** doc) {
  *doc = nullptr;
  if (mongoc_cursor_next(cursor_, doc)) return absl::OkStatus();
  *doc = nullptr;
  bson_error_t error;
  if (mongoc_cursor_error(cursor_, &error)) return FromBsonError(error, what_);
  return absl::OkStatus();
}

}  // namespace mm
