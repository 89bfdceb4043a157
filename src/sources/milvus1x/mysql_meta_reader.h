// Reads Milvus 1.x metadata from MySQL or MariaDB (MariaDB Connector/C), read-only.
#pragma once

#include <string>

#include "core/status.h"
#include "sources/milvus1x/milvus1x_meta.h"
#include "sources/milvus1x/mysql_dsn.h"

namespace mm {

// Unauthenticated for a wrong user or password, Unavailable when the server cannot be
// reached, NotFound for an unknown database, DataLoss when the Tables/TableFiles tables or
// their columns are missing. Messages name the redacted DSN.
Result<Milvus1xMeta> ReadMysqlMeta(const MysqlDsn& dsn);

}  // namespace mm
