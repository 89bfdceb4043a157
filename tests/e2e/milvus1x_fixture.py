"""Milvus 1.x data directories for the e2e tests, made by tests/fixtures/make_milvus1x_fixtures.py
from a seed, and small helpers to look into and damage them."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GENERATOR = REPO / "tests" / "fixtures" / "make_milvus1x_fixtures.py"
LIVE_RAW = (1, 2, 7)  # RAW, TO_INDEX, BACKUP


def generate(out: Path, *args: str) -> Path:
    subprocess.run([sys.executable, str(GENERATOR), str(out), *args], check=True,
                   capture_output=True, text=True)
    return out


def generate_sample_test1w(out: Path) -> Path:
    """The Go tool's sample: OUT/tables/test1w/... and OUT/meta.json."""
    subprocess.run([sys.executable, str(GENERATOR), "--sample-test1w", str(out)], check=True,
                   capture_output=True, text=True)
    return out


@dataclass
class Milvus1xDir:
    """A generated 1.x instance: OUT/db/meta.sqlite and OUT/db/tables."""

    root: Path

    @property
    def sqlite(self) -> Path:
        return self.root / "db" / "meta.sqlite"

    @property
    def tables(self) -> Path:
        return self.root / "db" / "tables"

    def copy_to(self, dest: Path) -> "Milvus1xDir":
        shutil.copytree(self.root, dest)
        return Milvus1xDir(dest)

    def sql(self, statement: str, *params) -> list[tuple]:
        with sqlite3.connect(self.sqlite) as db:
            rows = db.execute(statement, params).fetchall()
            db.commit()
        return rows

    def live_collections(self) -> list[str]:
        return [r[0] for r in self.sql(
            "SELECT table_id FROM Tables WHERE state <> 1 AND owner_table = '' ORDER BY table_id")]

    def live_segments(self) -> list[tuple[str, str, int]]:
        """(table_id, segment_id, row_count) of live raw files of live tables with rows."""
        return self.sql(
            "SELECT f.table_id, f.segment_id, f.row_count FROM TableFiles f "
            "JOIN Tables t ON t.table_id = f.table_id "
            f"WHERE t.state <> 1 AND f.file_type IN {LIVE_RAW} AND f.row_count > 0 "
            "ORDER BY f.table_id, f.segment_id")

    def segment_dir(self, table_id: str, segment_id: str) -> Path:
        return self.tables / table_id / segment_id
