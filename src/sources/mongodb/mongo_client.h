// A small door to a MongoDB deployment through the C driver (libmongoc): a client pool shared
// by the tasks, the commands the source needs, and cursors. Driver errors become Status here
// and nowhere else (MongoErrorStatus). The URI holds the credentials; no message shows it.
// Thread-safe: each call takes a client from the pool.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

typedef struct _bson_t bson_t;                           // NOLINT: libbson's spelling
typedef struct _mongoc_client_pool_t mongoc_client_pool_t;  // NOLINT
typedef struct _mongoc_client_t mongoc_client_t;            // NOLINT
typedef struct _mongoc_cursor_t mongoc_cursor_t;            // NOLINT

namespace mm {

// An owned BSON document (a query, a bound {"_id": value}); movable, immutable.
class BsonDoc {
 public:
  BsonDoc();  // {}
  explicit BsonDoc(const bson_t* doc);  // copies
  BsonDoc(BsonDoc&&) noexcept;
  BsonDoc& operator=(BsonDoc&&) noexcept;
  BsonDoc(const BsonDoc& other);
  BsonDoc& operator=(const BsonDoc& other);
  ~BsonDoc();
  // From (extended) JSON; InvalidArgument naming `what` when it is not a JSON document.
  static Result<BsonDoc> FromJson(const std::string& json, const std::string& what);
  const bson_t* get() const;
  // Canonical extended JSON: reads back with FromJson to the same bytes.
  std::string ToJson() const;

 private:
  bson_t* doc_;
};

// InvalidArgument naming `what` unless `filter` is a JSON document.
Status CheckMongoFilter(const std::string& filter, const std::string& what);

// A driver error as a Status: authentication failures Unauthenticated, missing privileges
// PermissionDenied, no reachable server Unavailable, a missing namespace NotFound, an
// unknown or refused command Unimplemented; others Internal. `what` says what was done.
Status MongoErrorStatus(uint32_t domain, uint32_t code, const std::string& message,
                        const std::string& what);

class MongoCursor;

class MongoClient {
 public:
  // Opens a pool for `uri` and runs `ping` (and so the authentication) once: a wrong
  // password is Unauthenticated here, before anything is planned. Without a
  // serverSelectionTimeoutMS in the URI, an unreachable server fails after 15 s.
  static Result<std::shared_ptr<MongoClient>> Connect(const std::string& uri);
  ~MongoClient();

  // Runs `command` on `database`; the reply document.
  Result<BsonDoc> Command(const std::string& database, const BsonDoc& command,
                          const std::string& what) const;
  // Opens find(filter, opts) on database.collection.
  Result<std::unique_ptr<MongoCursor>> Find(const std::string& database,
                                            const std::string& collection,
                                            const BsonDoc& filter, const BsonDoc& opts) const;
  // Opens aggregate(pipeline) on database.collection; `pipeline` is {"pipeline": [...]}.
  Result<std::unique_ptr<MongoCursor>> Aggregate(const std::string& database,
                                                 const std::string& collection,
                                                 const BsonDoc& pipeline) const;
  // Documents of database.collection that match `filter`.
  Result<int64_t> Count(const std::string& database, const std::string& collection,
                        const BsonDoc& filter) const;
  // The collection names of `database`.
  Result<std::vector<std::string>> CollectionNames(const std::string& database) const;

 private:
  explicit MongoClient(mongoc_client_pool_t* pool);
  mongoc_client_pool_t* pool_;
};

// The documents of a find or aggregate, in order. Holds a pooled client until destroyed.
// Not thread-safe.
class MongoCursor {
 public:
  MongoCursor(mongoc_client_pool_t* pool, mongoc_client_t* client, mongoc_cursor_t* cursor,
              std::string what);
  ~MongoCursor();
  // Sets *doc to the next document (valid until the next call), or nullptr at the end.
  // (An out-parameter: libbson's bson_t carries an alignment attribute that a template
  // argument such as Result<const bson_t*> would drop.)
  Status Next(const bson_t** doc);

 private:
  mongoc_client_pool_t* pool_;
  mongoc_client_t* client_;
  mongoc_cursor_t* cursor_;
  std::string what_;
};

}  // namespace mm
