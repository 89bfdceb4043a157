// A client for one Milvus 2.x server (2.2 through 2.5 protocol) over gRPC: connect and
// authenticate, collections and partitions, indexes and loading, bulk import and its
// progress, insert/upsert, flush and row counts.
//
// Thread-safe: after Connect() the client is immutable and gRPC channels and stubs may be
// shared, so one client can serve many threads at once.
//
// Errors: every call checks both the gRPC status and Milvus' own status in the response
// (see milvus/status_mapping.h). Unreachable (or restarting) servers give Unavailable naming
// the endpoint once `retry_budget_s` of retries with exponential backoff are spent; bad
// credentials give
// Unauthenticated naming the user; Milvus errors keep Milvus' reason and name the collection.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.h"
#include "core/schema.h"
#include "core/status.h"

namespace mm {

struct MilvusOptions {
  // "host:port", "http://host:port" or "https://host:port" (https means TLS with the system's
  // root certificates). Without a port: 19530, or 443 for https. "user:password@" in it is
  // used when username and token are empty; messages never show it.
  std::string endpoint;
  // Empty means no authentication. Sent as gRPC metadata authorization=base64("user:password").
  std::string username, password;
  // Alternative to username/password (e.g. "user:password" or a Zilliz Cloud API key); sent as
  // authorization=base64(token). Used when username is empty.
  std::string token;
  // Empty means Milvus' "default" database. Sent as metadata `dbname` and in requests' db_name.
  std::string database;
  // How long one call keeps retrying transient failures (the server unreachable, restarting,
  // not ready, throttled), waiting 200 ms, then doubling up to 5 s between attempts; the
  // config's retry.budgetSeconds. Applies to Connect and to every call.
  int64_t retry_budget_s = 60;
  // Deadline of each RPC attempt.
  int rpc_timeout_s = 60;
  // How long LoadCollection and Flush wait for the server to finish before DeadlineExceeded.
  int wait_timeout_s = 3600;
};

// common.ImportState of the 2.2-2.6 `Import` API. Success is kCompleted; failure is
// kFailed or kFailedAndCleaned; the others mean "still running".
enum class ImportState {
  kPending,
  kStarted,
  kPersisted,
  kCompleted,
  kFailed,
  kFailedAndCleaned,
  kFlushed,
  kUnknown
};
std::string_view ImportStateName(ImportState state);
// True once the task will not change any more (completed or failed).
bool IsImportFinished(ImportState state);
bool IsImportFailed(ImportState state);

struct ImportProgress {
  int64_t task_id = 0;        // set by ListImportTasks
  int64_t create_ts = 0;      // when the task was created (Unix seconds), by ListImportTasks
  ImportState state = ImportState::kUnknown;
  int64_t row_count = 0;      // rows imported so far (0 after a failure)
  std::string failed_reason;  // infos["failed_reason"], empty unless failed
  int progress_percent = 0;   // infos["progress_percent"], 0 when the server does not say
  std::vector<int64_t> segment_ids;
  std::string collection;  // infos["collection"] when given
  std::string files;       // infos["files"] when given: the task's files, comma-separated
};

// Milvus 2.x source (issue 12): what a copy must keep beyond the schema.
struct CollectionLayout {
  int32_t shards_num = 0;
  std::string consistency_level;  // Strong, Session, Bounded, Eventually or Customized
  int64_t num_partitions = 0;     // physical partitions of a partition-key collection
};

// One index of a collection (DescribeIndex), as CreateIndex takes it back.
struct IndexDescription {
  std::string field;
  std::string index_name;
  std::string index_type;   // "" for a scalar index the server chose
  std::string metric_type;  // "" for a scalar index
  std::map<std::string, std::string> params;  // the index's own params (nlist, M, ...)
};

// What DescribeCollection says about an existing collection.
struct CollectionInfo {
  Schema schema;  // fields as the server has them ($meta not included)
  std::map<std::string, std::string> properties;
};

class MilvusClient {
 public:
  // Opens the channel and verifies reachability and credentials with the Connect RPC
  // (GetVersion, then HasCollection, on servers that do not implement it).
  static Result<std::unique_ptr<MilvusClient>> Connect(const MilvusOptions& options);
  ~MilvusClient();
  MilvusClient(const MilvusClient&) = delete;
  MilvusClient& operator=(const MilvusClient&) = delete;

  // The server's version string, e.g. "v2.3.5".
  Result<std::string> ServerVersion();

  Result<bool> HasCollection(const std::string& name);
  // Creates schema.collection. `consistency_level` is one of Strong, Session, Bounded,
  // Eventually (any case); "" means Bounded, pymilvus' default. shards_num <= 0 lets the
  // server choose. AlreadyExists when a collection of that name exists with another schema
  // (Milvus 2.3 silently accepts an identical re-create).
  // `properties` are stored with the collection (DescribeCollection returns them).
  Status CreateCollection(const Schema& schema, int32_t shards_num,
                          const std::string& consistency_level,
                          const std::map<std::string, std::string>& properties = {});
  // The schema and properties of an existing collection; NotFound when there is none.
  Result<CollectionInfo> DescribeCollection(const std::string& name);
  // Sets these properties of the collection, keeping the others (AlterCollection).
  Status SetCollectionProperties(const std::string& name,
                                 const std::map<std::string, std::string>& properties);
  Status DropCollection(const std::string& name);

  Result<bool> HasPartition(const std::string& collection, const std::string& partition);
  Status CreatePartition(const std::string& collection, const std::string& partition);

  // Sends index_type, metric_type and `params` (as a JSON object; numeric values as numbers).
  // Returns when the server accepted the request; the index builds in the background.
  Status CreateIndex(const std::string& collection, const std::string& field,
                     const std::string& index_type, const std::string& metric_type,
                     const std::map<std::string, std::string>& params = {});
  // Loads the collection and waits until it is fully loaded.
  Status LoadCollection(const std::string& collection);

  // Starts a bulk import of `files` (paths as the server sees them: object keys in its bucket,
  // or absolute paths with local storage). Returns the task ids. `partition` may be empty.
  // Not retried after a transport failure (Unavailable): the server may have accepted it, so
  // the caller looks for the task (ListImportTasks) before submitting again.
  Result<std::vector<int64_t>> Import(const std::string& collection, const std::string& partition,
                                      const std::vector<std::string>& files,
                                      const std::map<std::string, std::string>& options = {});
  Result<ImportProgress> GetImportState(int64_t task_id);
  // The import tasks the server remembers for `collection`, oldest first, with task_id,
  // create_ts and files set. Milvus 2.2/2.3 keep finished tasks for a while (about a day by
  // default), so this finds a task whose id a crashed client never recorded.
  Result<std::vector<ImportProgress>> ListImportTasks(const std::string& collection);

  // Seals the collection's growing segments and waits until they are persisted.
  Status Flush(const std::string& collection);
  // Rows the server counts for the collection / partition (GetCollectionStatistics row_count).
  // Counts persisted segments only: inserted rows show up after Flush (imported rows once the
  // import completes), and rows replaced by Upsert or deleted are still counted.
  Result<int64_t> CountRows(const std::string& collection);
  Result<int64_t> CountPartitionRows(const std::string& collection, const std::string& partition);
  // Live rows, exactly: a Strong-consistency `count(*)` query (2.2.9+; the collection must be
  // loaded). `partition` empty means the whole collection; `expr` (a Milvus boolean
  // expression, e.g. "id >= 0 && id < 100") counts only the rows it holds for.
  // `guarantee_ts` (from AllocTimestamp), when not 0, reads as of that time (Session
  // consistency with that guarantee timestamp): every read at one timestamp sees the same
  // rows, and only the first waits for the server to catch up (Strong waits each time).
  Result<int64_t> QueryCount(const std::string& collection, const std::string& partition = "",
                             const std::string& expr = "", uint64_t guarantee_ts = 0);
  // The rows `expr` holds for (in `partition`; empty: every partition), at most `limit`
  // (1..16384: Milvus 2.3 refuses offset + limit over 16384, so callers page by expression,
  // not offset), Strong consistency, appended to `rows`, whose schema names the fields to
  // return ("$meta" for the dynamic field) and the layouts (see milvus/proto_convert.h).
  // The collection must be loaded. A pk held by several rows comes back once.
  Status Query(const std::string& collection, const std::string& partition,
               const std::string& expr, int64_t limit, Batch* rows, uint64_t guarantee_ts = 0);
  // A timestamp from the server's clock (AllocTimestamp, 2.3+), for guarantee_ts.
  Result<uint64_t> AllocTimestamp();
  // Whether the collection has an index on any field (DescribeIndex); loading needs one.
  Result<bool> HasIndex(const std::string& collection);
  // The collection's partitions, "_default" included (ShowPartitions).
  Result<std::vector<std::string>> ListPartitions(const std::string& collection);

  // Sends `batch` (columns in schema order; see milvus/proto_convert.h for layouts). Insert
  // leaves out an auto-ID primary key column. `partition` empty means the batch's partition,
  // then the collection's default. Keep a request under the server's limit (64 MiB default).
  Status Insert(const std::string& collection, const std::string& partition, const Batch& batch);
  Status Upsert(const std::string& collection, const std::string& partition, const Batch& batch);

  // The normalized "host:port" this client talks to.
  const std::string& endpoint() const;

  // --- Load by Insert/Upsert and Milvus Lite (issue 12, pipeline/insert_sink.h) ---
  // The server's databases (ListDatabases, 2.2.9+). Unimplemented on a server without
  // databases (Milvus Lite).
  Result<std::vector<std::string>> ListDatabases();
  // Creates database `name` (CreateDatabase). Connect with an empty MilvusOptions::database:
  // a server refuses calls naming a database that does not exist yet.
  Status CreateDatabase(const std::string& name);
  // Whether the server takes bulk imports: false when it answers ListImportTasks with
  // Unimplemented (Milvus Lite), true when it answers at all.
  Result<bool> SupportsBulkImport();

  // --- Milvus 2.x source (issue 12) ---
  // Shards, consistency level and partition-key partitions of a collection; NotFound when
  // there is none.
  Result<CollectionLayout> DescribeCollectionLayout(const std::string& name);
  // The collection's indexes (DescribeIndex); empty when it has none.
  Result<std::vector<IndexDescription>> DescribeIndexes(const std::string& collection);
  // The collections of this client's database (ShowCollections), by name.
  Result<std::vector<std::string>> ListCollections();
  // True when the collection is loaded (GetLoadState is LoadStateLoaded).
  Result<bool> IsLoaded(const std::string& collection);

 private:
  struct Impl;
  explicit MilvusClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mm
