//! What each table of the data file costs (issue 15, point 5): rows and bytes as
//! redb counts them, for `guichet check`.

use redb::{ReadableDatabase, ReadableTableMetadata, TableHandle};

use super::{Db, Result};

/// One table's size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSize {
    pub name: String,
    pub rows: u64,
    /// Keys and values as inserted.
    pub stored_bytes: u64,
    /// Branch pages' keys and other B-tree metadata.
    pub metadata_bytes: u64,
    /// Unused room inside the table's pages.
    pub fragmented_bytes: u64,
}

impl TableSize {
    /// Bytes of the file the table takes: its pages, used or not.
    pub fn bytes(&self) -> u64 {
        self.stored_bytes + self.metadata_bytes + self.fragmented_bytes
    }
}

impl Db {
    /// Every table's rows and bytes, largest first.
    pub fn table_sizes(&self) -> Result<Vec<TableSize>> {
        table_sizes_in(&self.inner.begin_read()?)
    }
}

/// [`Db::table_sizes`] on one read transaction.
pub(crate) fn table_sizes_in(rtx: &redb::ReadTransaction) -> Result<Vec<TableSize>> {
    let mut out = Vec::new();
    for handle in rtx.list_tables()? {
        let name = handle.name().to_string();
        let t = rtx.open_untyped_table(handle)?;
        let stats = t.stats()?;
        out.push(TableSize {
            name,
            rows: t.len()?,
            stored_bytes: stats.stored_bytes(),
            metadata_bytes: stats.metadata_bytes(),
            fragmented_bytes: stats.fragmented_bytes(),
        });
    }
    out.sort_by(|a, b| b.bytes().cmp(&a.bytes()).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// Compacts the (closed) data file at `path`: redb moves pages down and gives the
/// free room at the end back to the file system (after a bulk load or a large
/// housekeeping purge). Returns the file's size before and after.
pub fn compact_data_file(path: &std::path::Path) -> Result<(u64, u64)> {
    let size = || std::fs::metadata(path).map(|m| m.len()).map_err(super::io);
    let before = size()?;
    let mut db = redb::Database::builder()
        .set_cache_size(super::CACHE_BYTES)
        .open(path)?;
    while db
        .compact()
        .map_err(|e| super::Error::Redb(redb::Error::from(e)))?
    {}
    drop(db);
    Ok((before, size()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_listed_with_its_rows_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("s.redb")).unwrap();
        let sizes = db.table_sizes().unwrap();
        let meta = sizes.iter().find(|t| t.name == "meta").unwrap();
        assert!(meta.rows >= 2 && meta.stored_bytes > 0, "{meta:?}");
        assert!(
            sizes
                .iter()
                .any(|t| t.name == "transactions" && t.rows == 0)
        );
        assert!(sizes.windows(2).all(|w| w[0].bytes() >= w[1].bytes()));
        drop(db);
        let (before, after) = compact_data_file(&dir.path().join("s.redb")).unwrap();
        assert!(after <= before, "{before} → {after}");
        assert!(
            Db::open(&dir.path().join("s.redb"))
                .unwrap()
                .check()
                .unwrap()
                .is_ok()
        );
    }
}
