//! The producer of an export stream: rows fetched in chunks, formatted on two
//! threads, written in order into any sink. Storage is reached only through the
//! `fetch` function the caller gives.

use std::io::{self, Write};

use super::{Format, footer, text_writer, write_xlsx};
use crate::domain::Lang;
use crate::domain::transaction::Transaction;
use crate::domain::user::Merchant;
use crate::domain::zone::Zone;

/// Rows read per fetch (one read transaction each), so a long export never pins old
/// pages for long.
pub const CHUNK: usize = 2_000;
/// Threads formatting chunks in parallel.
const WORKERS: usize = 2;

/// Reads the rows in chunks on one thread (each chunk from a fresh read transaction)
/// while two workers format alternate chunks and this thread sends them in order:
/// both cores share the work and memory holds only a few chunks. Words in `lang`,
/// dates for people local to `zone`.
pub fn produce<F>(
    fetch: &F,
    ids: Vec<u64>,
    format: Format,
    merchants: &[Merchant],
    (lang, zone): (Lang, &Zone),
    mut out: impl Write,
) -> io::Result<()>
where
    F: Fn(&[u64]) -> io::Result<Vec<Transaction>> + Sync,
{
    if format == Format::Xlsx {
        let mut rows = ids.chunks(CHUNK).flat_map(|chunk| match fetch(chunk) {
            Ok(txs) => txs.into_iter().map(Ok).collect::<Vec<_>>(),
            Err(e) => vec![Err(e)],
        });
        let file = tempfile::NamedTempFile::new()?;
        write_xlsx(file.path(), &mut rows, merchants, (lang, zone))?;
        io::copy(&mut std::fs::File::open(file.path())?, &mut out)?;
        return out.flush();
    }
    std::thread::scope(|s| {
        let mut to_workers = Vec::new();
        let mut from_workers = Vec::new();
        for _ in 0..WORKERS {
            let (in_tx, in_rx) = std::sync::mpsc::sync_channel::<(bool, Vec<Transaction>)>(1);
            let (out_tx, out_rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(1);
            s.spawn(move || {
                for (first, rows) in in_rx {
                    if out_tx
                        .send(format_chunk(format, &rows, merchants, (lang, zone), first))
                        .is_err()
                    {
                        break;
                    }
                }
            });
            to_workers.push(in_tx);
            from_workers.push(out_rx);
        }
        let reader = s.spawn(move || -> io::Result<()> {
            let mut chunks = ids.chunks(CHUNK).enumerate().peekable();
            if chunks.peek().is_none() {
                // No row: the first (empty) chunk still carries the header.
                let _ = to_workers[0].send((true, Vec::new()));
            }
            for (k, chunk) in chunks {
                let rows = fetch(chunk)?;
                if to_workers[k % WORKERS].send((k == 0, rows)).is_err() {
                    break;
                }
            }
            Ok(())
        });
        let mut k = 0;
        while let Ok(bytes) = from_workers[k % WORKERS].recv() {
            out.write_all(&bytes?)?;
            k += 1;
        }
        reader
            .join()
            .map_err(|_| io::Error::other("export reader panicked"))??;
        out.write_all(footer(format).as_bytes())?;
        out.flush()
    })
}

/// Formats one chunk of rows into bytes.
fn format_chunk(
    format: Format,
    rows: &[Transaction],
    merchants: &[Merchant],
    reader: (Lang, &Zone),
    first: bool,
) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(rows.len() * 256 + 1024);
    let mut w = text_writer(format, &mut buf, merchants, reader, first)?;
    for row in rows {
        w.row(row)?;
    }
    w.finish()?;
    Ok(buf)
}
