//! gzip on every core, with output that does not depend on the number of cores.
//!
//! Deflate is most of a layer's build time. The stream is cut into fixed 1 MiB chunks; each is
//! deflated on its own (level 6) and ends with a sync flush, so the pieces concatenate into
//! one valid deflate stream, as pigz does. The bytes depend only on the input: the same on a
//! laptop and on a 64-core builder. Chunks share no dictionary, which costs well under 1% of
//! size at this chunk length.

use std::io::{self, Write};

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

const CHUNK: usize = 1 << 20;
const LEVEL: u32 = 6;
/// ID1 ID2 CM FLG, MTIME 0, XFL 0 (level 6), OS 255 ("unknown"): no name, no timestamp.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// A gzip writer; call [`ParallelGzEncoder::finish`] to write the end of the stream.
pub struct ParallelGzEncoder<W: Write> {
    out: W,
    threads: usize,
    pending: Vec<u8>,
    crc: Crc,
    header_written: bool,
}

impl<W: Write> ParallelGzEncoder<W> {
    /// Compresses with up to `threads` threads (at least one).
    pub fn new(out: W, threads: usize) -> Self {
        let threads = threads.max(1);
        Self {
            out,
            threads,
            pending: Vec::with_capacity(threads * CHUNK),
            crc: Crc::new(),
            header_written: false,
        }
    }

    /// As many threads as the machine offers.
    pub fn with_available_threads(out: W) -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(out, threads)
    }

    /// Deflates what is buffered (the last chunk ends the stream), writes the trailer, and
    /// returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        let full = self.pending.len() / CHUNK * CHUNK;
        let pending = std::mem::take(&mut self.pending);
        self.write_chunks(&pending[..full], false)?;
        self.write_chunks(&pending[full..], true)?;
        self.out.write_all(&self.crc.sum().to_le_bytes())?;
        self.out.write_all(&self.crc.amount().to_le_bytes())?;
        Ok(self.out)
    }

    /// Deflates `data` (at most `threads` chunks) as `CHUNK`-long pieces, one thread each,
    /// and writes them in order. With `last`, `data` is the one final piece (possibly empty).
    fn write_chunks(&mut self, data: &[u8], last: bool) -> io::Result<()> {
        if !self.header_written {
            self.out.write_all(&HEADER)?;
            self.header_written = true;
        }
        let compressed: Vec<io::Result<Vec<u8>>> = if last {
            vec![deflate(data, true)]
        } else {
            std::thread::scope(|scope| {
                let workers: Vec<_> = data
                    .chunks(CHUNK)
                    .map(|chunk| scope.spawn(move || deflate(chunk, false)))
                    .collect();
                workers
                    .into_iter()
                    .map(|w| {
                        w.join()
                            .unwrap_or_else(|_| Err(io::Error::other("deflate thread panicked")))
                    })
                    .collect()
            })
        };
        for piece in compressed {
            self.out.write_all(&piece?)?;
        }
        Ok(())
    }
}

impl<W: Write> Write for ParallelGzEncoder<W> {
    /// Takes at most what fills the buffer: at most `threads` chunks are ever held.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let batch = self.threads * CHUNK;
        let take = buf.len().min(batch - self.pending.len());
        self.crc.update(&buf[..take]);
        self.pending.extend_from_slice(&buf[..take]);
        if self.pending.len() == batch {
            let mut pending = std::mem::take(&mut self.pending);
            self.write_chunks(&pending, false)?;
            pending.clear();
            self.pending = pending;
        }
        Ok(take)
    }

    /// Buffered chunks stay buffered: flushing one early would change the output bytes.
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Raw deflate of one piece: a sync flush at its end, or the final block with `last`.
fn deflate(data: &[u8], last: bool) -> io::Result<Vec<u8>> {
    let mut compress = Compress::new(Compression::new(LEVEL), false);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(1 << 16));
        }
        let consumed = usize::try_from(compress.total_in()).map_err(io::Error::other)?;
        let status = compress
            .compress_vec(&data[consumed..], &mut out, flush)
            .map_err(io::Error::other)?;
        let all_in = usize::try_from(compress.total_in()).map_err(io::Error::other)? == data.len();
        // Done when the input is consumed and the flush left room to spare (so nothing is
        // still held back), or, for the last piece, at the end of the stream.
        let done = match status {
            Status::StreamEnd => true,
            _ => !last && all_in && out.len() < out.capacity(),
        };
        if done {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gzip(data: &[u8], threads: usize, write_size: usize) -> Vec<u8> {
        let mut gz = ParallelGzEncoder::new(Vec::new(), threads);
        for piece in data.chunks(write_size.max(1)) {
            gz.write_all(piece).expect("write");
        }
        gz.finish().expect("finish")
    }

    /// Compressible but not trivial: a few MiB of text-like bytes.
    fn sample(len: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_u32;
        (0..len)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                if i % 7 == 0 {
                    b' '
                } else {
                    b'a' + (state % 16) as u8
                }
            })
            .collect()
    }

    #[test]
    fn round_trips_through_a_standard_decoder() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 5 * CHUNK / 2] {
            let data = sample(len);
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&gzip(&data, 3, 100_000)[..])
                .read_to_end(&mut back)
                .expect("decodes");
            assert!(back == data, "length {len} did not round-trip");
        }
    }

    #[test]
    fn same_bytes_whatever_the_threads_and_write_sizes() {
        let data = sample(4 * CHUNK + 12_345);
        let one = gzip(&data, 1, data.len());
        for (threads, write_size) in [(2, 4096), (4, 1), (16, CHUNK), (3, 3 * CHUNK + 7)] {
            if write_size == 1 {
                // Byte-by-byte writes of 4 MiB are slow in debug builds; a shorter input
                // exercises the same boundaries.
                let short = &data[..2 * CHUNK + 3];
                assert_eq!(gzip(short, threads, 1), gzip(short, 1, short.len()));
                continue;
            }
            assert!(
                gzip(&data, threads, write_size) == one,
                "{threads} threads, writes of {write_size}"
            );
        }
    }

    /// Text-like bytes in which earlier stretches recur (3 to 1000 bytes long, up to 40 KiB
    /// back, runs of one byte among them), so that deflate finds matches of every length and
    /// distance and slides its window: the paths where zlib-rs picks code by CPU feature.
    fn matches_sample(len: usize) -> Vec<u8> {
        let mut state = 0x9e37_79b9_u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let mut data = sample(4096);
        while data.len() < len {
            let length = 3 + (next() % 998) as usize;
            match next() % 4 {
                0 => data.extend(std::iter::repeat_n(next() as u8, length)),
                1 => data.extend(sample(length).iter().map(|b| b ^ (next() as u8 & 1))),
                _ => {
                    let from = data.len() - 1 - (next() as usize % data.len().min(40 << 10));
                    for i in 0..length {
                        data.push(data[from + i]);
                    }
                }
            }
        }
        data.truncate(len);
        data
    }

    /// The bytes are pinned: a layer's digest is the same on every machine. zlib-rs picks
    /// AVX2/BMI2 (x86_64) or NEON (aarch64) versions of two deflate helpers at run time
    /// (compare256: the length of a match; slide_hash: window sliding), both exact functions
    /// whose every version returns the same result; tools/test runs this test again under
    /// `qemu-x86_64 -cpu qemu64`, a CPU without AVX2, where the portable versions run.
    #[test]
    fn pinned_bytes_whatever_the_cpu() {
        use sha2::{Digest, Sha256};
        #[cfg(target_arch = "x86_64")]
        println!(
            "avx2 and bmi2 detected: {}",
            std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("bmi2")
        );
        let data = matches_sample(3 * CHUNK + 54_321);
        let compressed = gzip(&data, 2, 65_536);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_end(&mut back)
            .expect("decodes");
        assert!(back == data);
        assert_eq!(
            (compressed.len(), hex::encode(Sha256::digest(&compressed))),
            (
                497_367,
                "f63908e4fbd6051bfc3f7da83fa2535292a610adb1af95623447c7609779252d".to_string()
            )
        );
    }

    #[test]
    fn gzip_reads_it_and_the_header_has_no_name_or_time() {
        let data = sample(2 * CHUNK + 99);
        let compressed = gzip(&data, 2, 65_536);
        assert_eq!(compressed[..10], HEADER);
        let mut child = std::process::Command::new("gzip")
            .args(["-dc"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("gzip is installed");
        let mut stdin = child.stdin.take().expect("stdin");
        let writer = std::thread::spawn(move || stdin.write_all(&compressed));
        let out = child.wait_with_output().expect("gzip -dc");
        writer.join().expect("join").expect("write");
        assert!(out.status.success());
        assert!(out.stdout == data);
    }
}
