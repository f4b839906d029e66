//! A static-file HTTP/1.1 server on 127.0.0.1 for the tests that run the lock tool (with curl)
//! against local archives: GET and HEAD of files under a directory, 404 otherwise, optional
//! basic authentication, and a log of the requests it answered.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A running server; it stops when the test process ends.
pub struct Server {
    pub url: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Serves the files under `root`; with `credentials` (`user:password`), only to requests
    /// that send them (401 otherwise).
    pub fn start(root: &Path, credentials: Option<&str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let root = root.to_path_buf();
        let expected = credentials.map(|c| format!("Basic {}", base64(c.as_bytes())));
        let server_log = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let root = root.clone();
                let expected = expected.clone();
                let log = Arc::clone(&server_log);
                std::thread::spawn(move || {
                    let _ = serve(stream, &root, expected.as_deref(), &log);
                });
            }
        });
        Self { url, log }
    }

    /// `STATUS PATH` of every request answered so far.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }
}

fn serve(
    stream: TcpStream,
    root: &Path,
    credentials: Option<&str>,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request)? == 0 {
            return Ok(());
        }
        let mut authorization = None;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("authorization") {
                    authorization = Some(value.trim().to_string());
                }
            }
        }
        let mut words = request.split_whitespace();
        let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let path = target.split('?').next().unwrap_or("");
        let (status, body) = if credentials.is_some() && authorization.as_deref() != credentials {
            ("401 Unauthorized", None)
        } else {
            match resolve(root, path).and_then(|p| std::fs::read(p).ok()) {
                Some(bytes) => ("200 OK", Some(bytes)),
                None => ("404 Not Found", None),
            }
        };
        log.lock()
            .expect("log")
            .push(format!("{} {path}", &status[..3]));
        let body = body.unwrap_or_default();
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\n{}\r\n",
            body.len(),
            if status.starts_with("401") {
                "WWW-Authenticate: Basic realm=\"test\"\r\n"
            } else {
                ""
            }
        )?;
        if method != "HEAD" {
            stream.write_all(&body)?;
        }
        stream.flush()?;
    }
}

/// The file under `root` for a URL path (`.` segments ignored, as web servers do: apt asks
/// for `/./InRelease` of a `./` flat repository); none for paths that would leave it.
fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return None;
    }
    let file = root.join(relative);
    file.is_file().then_some(file)
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
