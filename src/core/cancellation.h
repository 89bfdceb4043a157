// Process-wide cancellation: the first SIGINT or SIGTERM asks every running job to stop at
// its next safe point (between batches, between import polls), so files are abandoned
// cleanly and the checkpoint stays consistent for a rerun; a second signal ends the process
// at once.
#pragma once

#include "core/status.h"

namespace mm {

// Installs the SIGINT/SIGTERM handlers. Call once, from main.
void InstallCancellationHandlers();
// True once a stop was asked for (or RequestCancellation called).
bool CancellationRequested();
void RequestCancellation();
// Clears a request; for tests, which share one process.
void ClearCancellationForTesting();
// Cancelled naming `what` when a stop was asked for, else OK.
Status CheckCancelled(std::string_view what);

}  // namespace mm
