//! The Rust LangPack's runner, and the types an algorithm may use.
//!
//! An algorithm is a library crate whose root defines
//!
//! ```ignore
//! pub fn apply(input: I) -> Result<O, E>
//! ```
//!
//! The LangPack compiles it with a `main` that calls [`serve`]`(algorithm::apply)`.
//! `I` is any type with `From<Input>`: [`serde_json::Value`] (text is a
//! `Value::String`, binary an array of byte values), [`String`], `Vec<u8>` or
//! [`Input`] itself, which tells text, JSON and binary apart. `O` is any type
//! with `Into<Output>`: `Value` (a `Value::String` is text), `String`, `&str`,
//! `Vec<u8>` (binary) or [`Output`]. `E` is `Box<dyn std::error::Error>` (with
//! or without `+ Send + Sync`), [`Error`], `String` or `&str`.
//!
//! An [`Error`] carries an error type ([`Error::with_type`]) and the stack
//! where it was made; inside a `Box<dyn std::error::Error>` the runner still
//! finds it. Any other error is an `AlgorithmError` whose stack trace lists
//! its `source()` chain. A panic is an `AlgorithmError` with the panic's
//! stack.
//!
//! The runner follows the langserver runner contract: it prints
//! `PIPE_INIT_COMPLETE`, reads one JSON request per line from stdin and writes
//! one JSON response per request to the FIFO named by `$ALGOOUT`
//! (`/tmp/algoout` when unset). EOF on stdin ends the process with exit code 0.
//! stdout and stderr belong to the algorithm.

use std::any::Any;
use std::backtrace::Backtrace;
use std::cell::RefCell;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::os::raw::c_int;
use std::os::unix::io::{AsFd, AsRawFd};
use std::panic::{self, AssertUnwindSafe};
use std::process;

use serde_json::{json, Map, Value};

const DEFAULT_FIFO: &str = "/tmp/algoout";
const INIT_COMPLETE: &str = "PIPE_INIT_COMPLETE";
const DEFAULT_ERROR_TYPE: &str = "AlgorithmError";

/// One request's input, as the caller sent it.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Text, or a JSON string.
    Text(String),
    /// Any JSON value but a string.
    Json(Value),
    /// Binary data.
    Binary(Vec<u8>),
}

/// One request's result: its variant is the response's content type.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Text(String),
    Json(Value),
    Binary(Vec<u8>),
}

impl From<Input> for Value {
    /// Text becomes a `Value::String`, binary an array of byte values (as
    /// serde serialises a `Vec<u8>`).
    fn from(input: Input) -> Value {
        match input {
            Input::Text(text) => Value::String(text),
            Input::Json(value) => value,
            Input::Binary(bytes) => Value::Array(bytes.into_iter().map(Value::from).collect()),
        }
    }
}

impl From<Input> for String {
    /// JSON becomes its compact text; binary is read as UTF-8, invalid
    /// sequences replaced.
    fn from(input: Input) -> String {
        match input {
            Input::Text(text) => text,
            Input::Json(value) => value.to_string(),
            Input::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}

impl From<Input> for Vec<u8> {
    /// Text becomes its UTF-8 bytes, JSON its compact text.
    fn from(input: Input) -> Vec<u8> {
        match input {
            Input::Text(text) => text.into_bytes(),
            Input::Json(value) => value.to_string().into_bytes(),
            Input::Binary(bytes) => bytes,
        }
    }
}

impl From<Value> for Output {
    /// A `Value::String` is text; anything else JSON.
    fn from(value: Value) -> Output {
        match value {
            Value::String(text) => Output::Text(text),
            value => Output::Json(value),
        }
    }
}

impl From<String> for Output {
    fn from(text: String) -> Output {
        Output::Text(text)
    }
}

impl From<&str> for Output {
    fn from(text: &str) -> Output {
        Output::Text(text.to_owned())
    }
}

impl From<Vec<u8>> for Output {
    fn from(bytes: Vec<u8>) -> Output {
        Output::Binary(bytes)
    }
}

impl From<&[u8]> for Output {
    fn from(bytes: &[u8]) -> Output {
        Output::Binary(bytes.to_vec())
    }
}

/// An algorithm error with a message, an error type and the stack where it
/// was made.
///
/// ```ignore
/// return Err(langserver::Error::new("no such model").with_type("ModelNotFound").into());
/// ```
pub struct Error {
    message: String,
    error_type: String,
    backtrace: Backtrace,
}

impl Error {
    /// Returns an `AlgorithmError` with this message and the caller's stack.
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            error_type: DEFAULT_ERROR_TYPE.to_owned(),
            backtrace: Backtrace::force_capture(),
        }
    }

    /// Sets the error type reported to the caller.
    pub fn with_type(mut self, error_type: impl Into<String>) -> Error {
        self.error_type = error_type.into();
        self
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn error_type(&self) -> &str {
        &self.error_type
    }

    pub fn backtrace(&self) -> &Backtrace {
        &self.backtrace
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}\n{}",
            self.error_type, self.message, self.backtrace
        )
    }
}

impl std::error::Error for Error {}

/// The error part of a response: what an algorithm's error type becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorResponse {
    pub message: String,
    pub error_type: String,
    pub stacktrace: Option<String>,
}

/// Error types an algorithm's `apply` may return.
pub trait IntoErrorResponse {
    fn into_error_response(self) -> ErrorResponse;
}

impl IntoErrorResponse for Error {
    fn into_error_response(self) -> ErrorResponse {
        ErrorResponse {
            stacktrace: Some(algorithm_frames(&self.backtrace.to_string())),
            message: self.message,
            error_type: self.error_type,
        }
    }
}

impl IntoErrorResponse for Box<dyn std::error::Error> {
    fn into_error_response(self) -> ErrorResponse {
        match self.downcast::<Error>() {
            Ok(err) => err.into_error_response(),
            Err(err) => from_std_error(&*err),
        }
    }
}

impl IntoErrorResponse for Box<dyn std::error::Error + Send + Sync> {
    fn into_error_response(self) -> ErrorResponse {
        let err: Box<dyn std::error::Error> = self;
        err.into_error_response()
    }
}

impl IntoErrorResponse for String {
    fn into_error_response(self) -> ErrorResponse {
        ErrorResponse {
            message: self,
            error_type: DEFAULT_ERROR_TYPE.to_owned(),
            stacktrace: None,
        }
    }
}

impl IntoErrorResponse for &str {
    fn into_error_response(self) -> ErrorResponse {
        self.to_owned().into_error_response()
    }
}

/// Describes an error the runner knows only as a `std::error::Error`: its
/// stack trace is its chain of sources, when it has one.
fn from_std_error(err: &dyn std::error::Error) -> ErrorResponse {
    let mut chain = String::new();
    let mut source = err.source();
    while let Some(cause) = source {
        chain.push_str(&format!("caused by: {}\n", cause));
        source = cause.source();
    }
    ErrorResponse {
        message: err.to_string(),
        error_type: DEFAULT_ERROR_TYPE.to_owned(),
        stacktrace: if chain.is_empty() { None } else { Some(chain) },
    }
}

/// Serves the algorithm `apply` until stdin ends, then exits the process.
pub fn serve<I, O, E, F>(mut apply: F) -> !
where
    I: From<Input>,
    O: Into<Output>,
    E: IntoErrorResponse,
    F: FnMut(I) -> Result<O, E>,
{
    let requests = match claim_stdin() {
        Ok(requests) => requests,
        Err(err) => {
            eprintln!("rust runner: taking stdin: {}", err);
            process::exit(1);
        }
    };
    let fifo = std::env::var("ALGOOUT")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| DEFAULT_FIFO.to_owned());
    install_panic_hook();
    println!("{}", INIT_COMPLETE);
    flush_output();
    for line in requests.lines() {
        let line = match line {
            Ok(line) => line,
            Err(err) => {
                eprintln!("rust runner: reading requests: {}", err);
                process::exit(1);
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let response = handle(&mut apply, &line);
        flush_output();
        if let Err(err) = write_response(&fifo, &response) {
            eprintln!("rust runner: writing the response to {}: {}", fifo, err);
            process::exit(1);
        }
    }
    flush_output();
    process::exit(0)
}

extern "C" {
    fn dup2(oldfd: c_int, newfd: c_int) -> c_int;
}

/// Takes the request stream for the runner and gives the algorithm
/// /dev/null as stdin, so that neither it nor a process it starts consumes
/// request lines meant for the runner.
fn claim_stdin() -> io::Result<BufReader<File>> {
    let requests = File::from(io::stdin().as_fd().try_clone_to_owned()?);
    let devnull = File::open("/dev/null")?;
    // SAFETY: dup2 only replaces file descriptor 0, which the runner no
    // longer reads through std's Stdin.
    if unsafe { dup2(devnull.as_raw_fd(), 0) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(BufReader::new(requests))
}

fn flush_output() {
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
}

fn write_response(fifo: &str, response: &Value) -> io::Result<()> {
    let mut payload = response.to_string();
    payload.push('\n');
    let mut file = OpenOptions::new().write(true).open(fifo)?;
    file.write_all(payload.as_bytes())
}

thread_local! {
    /// The stack of the last panic on this thread, kept by the panic hook.
    static PANIC_STACK: RefCell<Option<String>> = RefCell::new(None);
}

/// Keeps each panic's location and stack for its response instead of
/// printing them.
fn install_panic_hook() {
    panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("panicked at {}\n", l))
            .unwrap_or_default();
        let stack = format!(
            "{}{}",
            location,
            algorithm_frames(&Backtrace::force_capture().to_string())
        );
        PANIC_STACK.with(|s| *s.borrow_mut() = Some(stack));
    }));
}

/// Decodes one request line, calls the algorithm and returns the response.
fn handle<I, O, E, F>(apply: &mut F, line: &str) -> Value
where
    I: From<Input>,
    O: Into<Output>,
    E: IntoErrorResponse,
    F: FnMut(I) -> Result<O, E>,
{
    let input = match decode_input(line) {
        Ok(input) => input,
        Err(message) => {
            return error_response(ErrorResponse {
                message: format!("invalid request: {}", message),
                error_type: "SystemError".to_owned(),
                stacktrace: None,
            })
        }
    };
    match panic::catch_unwind(AssertUnwindSafe(|| apply(I::from(input)))) {
        Ok(Ok(output)) => result_response(output.into()),
        Ok(Err(err)) => error_response(err.into_error_response()),
        Err(payload) => error_response(ErrorResponse {
            message: panic_message(&*payload),
            error_type: DEFAULT_ERROR_TYPE.to_owned(),
            stacktrace: PANIC_STACK.with(|s| s.borrow_mut().take()),
        }),
    }
}

/// Keeps the frames of a backtrace that belong to the algorithm: it drops
/// those of the capture itself (`Error::new`, the panic machinery) at the
/// top, and those of the runner from the call of `apply` down.
fn algorithm_frames(backtrace: &str) -> String {
    let mut frames: Vec<Vec<&str>> = Vec::new();
    for line in backtrace.lines() {
        let is_frame = line
            .trim_start()
            .split_once(": ")
            .map_or(false, |(n, _)| n.parse::<usize>().is_ok());
        match frames.last_mut() {
            Some(frame) if !is_frame => frame.push(line),
            _ => frames.push(vec![line]),
        }
    }
    let symbol = |frame: &Vec<&str>| {
        frame[0]
            .trim_start()
            .split_once(": ")
            .map_or(String::new(), |(_, s)| s.to_owned())
    };
    const CAPTURE: [&str; 8] = [
        "std::backtrace",
        "langserver::Error::new",
        "langserver::install_panic_hook",
        "std::panicking::",
        "core::panicking::",
        "rust_begin_unwind",
        "__rustc::rust_begin_unwind",
        "std::sys::backtrace::__rust_end_short_backtrace",
    ];
    const RUNNER: [&str; 3] = [
        "core::ops::function::FnMut::call_mut",
        "langserver::handle",
        "<core::panic::unwind_safe::AssertUnwindSafe",
    ];
    let end = frames
        .iter()
        .position(|f| RUNNER.iter().any(|r| symbol(f).starts_with(r)))
        .unwrap_or(frames.len());
    let start = frames[..end]
        .iter()
        .rposition(|f| CAPTURE.iter().any(|c| symbol(f).starts_with(c)))
        .map_or(0, |n| n + 1);
    if start >= end {
        return backtrace.to_owned();
    }
    let mut out = String::new();
    for line in frames[start..end].iter().flatten() {
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_owned()
    }
}

/// Returns the input a request line carries, or why it is invalid.
fn decode_input(line: &str) -> Result<Input, String> {
    let request: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let mut request = match request {
        Value::Object(map) => map,
        _ => return Err("request is not a JSON object".to_owned()),
    };
    let data = request.remove("data").unwrap_or(Value::Null);
    match (request.get("content_type").and_then(Value::as_str), data) {
        (Some("text"), Value::String(text)) | (Some("json"), Value::String(text)) => {
            Ok(Input::Text(text))
        }
        (Some("json"), value) => Ok(Input::Json(value)),
        (Some("binary"), Value::String(encoded)) => base64_decode(&encoded).map(Input::Binary),
        (Some("text"), _) | (Some("binary"), _) => Err("data is not a string".to_owned()),
        (content_type, _) => Err(format!(
            "unknown content_type {}",
            content_type.unwrap_or("(none)")
        )),
    }
}

fn result_response(output: Output) -> Value {
    let (result, content_type) = match output {
        Output::Text(text) => (Value::String(text), "text"),
        Output::Json(value) => (value, "json"),
        Output::Binary(bytes) => (Value::String(base64_encode(&bytes)), "binary"),
    };
    json!({"result": result, "metadata": {"content_type": content_type}})
}

fn error_response(err: ErrorResponse) -> Value {
    let mut body = Map::new();
    body.insert("message".to_owned(), Value::String(err.message));
    body.insert("error_type".to_owned(), Value::String(err.error_type));
    if let Some(stack) = err.stacktrace {
        body.insert("stacktrace".to_owned(), Value::String(stack));
    }
    json!({ "error": body })
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity((bytes.len() + 2) / 3 * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64; padding is optional, whitespace is not allowed.
fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let trimmed = text.trim_end_matches('=');
    if text.len() - trimmed.len() > 2 || trimmed.len() % 4 == 1 {
        return Err("invalid base64 data".to_owned());
    }
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for (i, c) in trimmed.bytes().enumerate() {
        let v = match BASE64.iter().position(|&b| b == c) {
            Some(v) => v as u32,
            None => return Err(format!("invalid base64 data at byte {}", i)),
        };
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for (raw, encoded) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"\x00\x01\xff", "AAH/"),
        ] {
            assert_eq!(base64_encode(raw), encoded);
            assert_eq!(base64_decode(encoded).unwrap(), raw);
        }
        assert_eq!(base64_decode("Zg").unwrap(), b"f");
        assert!(base64_decode("Z").is_err());
        assert!(base64_decode("Zm9v!").is_err());
    }

    fn echo(input: Input) -> Result<Output, Box<dyn std::error::Error>> {
        match input {
            Input::Text(t) if t == "fail" => {
                Err(Error::new("typed failure").with_type("TypedError").into())
            }
            Input::Text(t) if t == "plain" => Err("plain failure".into()),
            Input::Text(t) if t == "panic" => panic!("boom"),
            Input::Text(t) => Ok(Output::Text(t)),
            Input::Json(v) => Ok(Output::Json(v)),
            Input::Binary(b) => Ok(Output::Binary(b)),
        }
    }

    #[test]
    fn handles_requests() {
        install_panic_hook();
        let cases = [
            (
                r#"{"content_type":"text","data":"hi"}"#,
                json!({"result": "hi", "metadata": {"content_type": "text"}}),
            ),
            (
                r#"{"content_type":"json","data":"s"}"#,
                json!({"result": "s", "metadata": {"content_type": "text"}}),
            ),
            (
                r#"{"content_type":"json","data":{"a":[1,null]},"x":1}"#,
                json!({"result": {"a": [1, null]}, "metadata": {"content_type": "json"}}),
            ),
            (
                r#"{"content_type":"binary","data":"AAH/"}"#,
                json!({"result": "AAH/", "metadata": {"content_type": "binary"}}),
            ),
            (
                r#"{"content_type":"xml","data":"x"}"#,
                json!({"error": {"message": "invalid request: unknown content_type xml", "error_type": "SystemError"}}),
            ),
            (
                r#"{"content_type":"text","data":"plain"}"#,
                json!({"error": {"message": "plain failure", "error_type": "AlgorithmError"}}),
            ),
        ];
        for (line, want) in cases {
            assert_eq!(handle(&mut echo, line), want, "{}", line);
        }
        let typed = handle(&mut echo, r#"{"content_type":"text","data":"fail"}"#);
        assert_eq!(typed["error"]["error_type"], "TypedError");
        assert!(
            typed["error"]["stacktrace"]
                .as_str()
                .unwrap()
                .contains("echo"),
            "{}",
            typed
        );
        let panicked = handle(&mut echo, r#"{"content_type":"text","data":"panic"}"#);
        assert_eq!(panicked["error"]["message"], "boom");
        assert!(
            panicked["error"]["stacktrace"]
                .as_str()
                .unwrap()
                .contains("panicked at"),
            "{}",
            panicked
        );
    }

    #[test]
    fn converts_input() {
        assert_eq!(Value::from(Input::Binary(vec![1, 2])), json!([1, 2]));
        assert_eq!(String::from(Input::Json(json!({"a": 1}))), r#"{"a":1}"#);
        assert_eq!(Output::from(json!("x")), Output::Text("x".to_owned()));
    }
}
