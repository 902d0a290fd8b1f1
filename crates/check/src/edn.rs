//! Jepsen histories in EDN: reading them ([`parse_edn`]) and writing them ([`to_edn`]).
//!
//! Jepsen writes a history as Clojure data: one map per event, either one per line or all
//! inside a single vector or list. The reader here understands the whole of EDN that such
//! files contain (strings with escapes, sets, tagged literals, `#_` discards, comments)
//! so that extra keys like `:error "... {:t 18} ..."` are skipped rather than misread,
//! and it never panics: malformed input, or input past the hard limits below, is a
//! [`ParseError`] naming the line and what was expected there.

use crate::history::{Call, History, OpId, Outcome, F};
use std::fmt;
use std::fmt::Write as _;

/// The largest input accepted, in bytes.
pub const MAX_INPUT_BYTES: usize = 64 << 20;
/// The deepest nesting of collections accepted (the enclosing vector counts as one).
pub const MAX_DEPTH: usize = 64;
/// The most operations (invocations) accepted.
pub const MAX_OPERATIONS: usize = 1_000_000;

/// Why a history could not be read: the 1-based line and what was wrong there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The line (1-based) where the problem was found.
    pub line: usize,
    /// What was expected and what was found.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Reads a Jepsen history: one map per line, or a single vector or list of maps.
///
/// Entries whose `:process` is not an integer (the nemesis) are skipped; an invocation is
/// paired with the next completion of the same process. `:time` (nanoseconds) gives the
/// times when every client entry has one and they never go backwards; otherwise the
/// history is untimed and an entry's position stands for its time. `:key` and `:node`
/// (strings, keywords or integers) and `:final true` are read; other keys are ignored.
pub fn parse_edn(input: &str) -> Result<History, ParseError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(ParseError {
            line: 1,
            message: format!(
                "input is {} bytes, more than the limit of {MAX_INPUT_BYTES} bytes",
                input.len()
            ),
        });
    }
    let mut reader = Reader {
        bytes: input.as_bytes(),
        pos: 0,
        line: 1,
    };
    let mut entries = Vec::new();
    let mut invocations = 0usize;
    let mut push = |form: Edn, line: usize| -> Result<(), ParseError> {
        let Edn::Map(pairs) = form else {
            return Err(ParseError {
                line,
                message: format!(
                    "expected a map like {{:process 0, :type :invoke, :f :read}}, found {}",
                    form.describe()
                ),
            });
        };
        if let Some(entry) = Entry::from_map(&pairs, line)? {
            if matches!(entry.kind, EntryKind::Invoke(_)) {
                invocations += 1;
                if invocations > MAX_OPERATIONS {
                    return Err(ParseError {
                        line,
                        message: format!("more than {MAX_OPERATIONS} operations"),
                    });
                }
            }
            entries.push(entry);
        }
        Ok(())
    };

    reader.skip_blank(0)?;
    match reader.peek() {
        Some(open @ (b'[' | b'(')) => {
            let opened_line = reader.line;
            reader.pos += 1;
            let close = if open == b'[' { b']' } else { b')' };
            loop {
                reader.skip_blank(1)?;
                match reader.peek() {
                    None => {
                        return Err(ParseError {
                            line: reader.line,
                            message: format!(
                                "input ended inside the {} opened at line {opened_line}: expected {} or another map",
                                collection_name(open),
                                close as char
                            ),
                        })
                    }
                    Some(byte) if byte == close => {
                        reader.pos += 1;
                        break;
                    }
                    Some(_) => {
                        let line = reader.line;
                        let form = reader.read_form(1)?;
                        push(form, line)?;
                    }
                }
            }
            reader.skip_blank(0)?;
            if reader.peek().is_some() {
                return Err(reader.error(format!(
                    "expected the end of the input after the {} that closed at this point, found {}",
                    collection_name(open),
                    reader.found()
                )));
            }
        }
        _ => loop {
            reader.skip_blank(0)?;
            if reader.peek().is_none() {
                break;
            }
            let line = reader.line;
            let form = reader.read_form(0)?;
            push(form, line)?;
        },
    }
    build(entries)
}

fn collection_name(open: u8) -> &'static str {
    match open {
        b'[' => "vector",
        b'(' => "list",
        b'{' => "map",
        _ => "set",
    }
}

/// Writes `history` as EDN, one map per event in event order, which [`parse_edn`] reads
/// back to the same history. For example
/// `{:process 0, :type :invoke, :f :write, :key "x", :value 3, :time 1200000}`.
pub fn to_edn(history: &History) -> String {
    let mut out = String::new();
    for event in history.events() {
        let op = history.op(event.op);
        let invoke = event.kind == crate::history::EventKind::Invoke;
        let kind = if invoke {
            "invoke"
        } else {
            match op.outcome {
                Some(Outcome::Ok(_)) => "ok",
                Some(Outcome::Fail) => "fail",
                Some(Outcome::Info) | None => "info",
            }
        };
        let _ = write!(
            out,
            "{{:process {}, :type :{kind}, :f :{}",
            op.process,
            op.f().name()
        );
        if let Some(key) = &op.key {
            let _ = write!(out, ", :key {}", quoted(key));
        }
        let value = match (op.call, invoke) {
            (Call::Read, true) => "nil".to_string(),
            (Call::Read, false) => match op.outcome {
                Some(Outcome::Ok(Some(value))) => value.to_string(),
                _ => "nil".to_string(),
            },
            (Call::Write(value), _) => value.to_string(),
            (Call::Cas { expected, new }, _) => format!("[{expected} {new}]"),
        };
        let _ = write!(out, ", :value {value}");
        if history.is_timed() {
            let time_ns = if invoke {
                op.invoke_ns
            } else {
                op.complete_ns.unwrap_or(op.invoke_ns)
            };
            let _ = write!(out, ", :time {time_ns}");
        }
        if let Some(node) = &op.node {
            // The replica is known when the answer comes, so it sits on the completion
            // (or on the invocation of an operation that never completed).
            if !invoke || op.outcome.is_none() {
                let _ = write!(out, ", :node {}", quoted(node));
            }
        }
        if op.final_read {
            out.push_str(", :final true");
        }
        out.push_str("}\n");
    }
    out
}

fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            _ => out.push(ch),
        }
    }
    out.push('"');
    out
}

/// An EDN value, as much of it as the interpretation of an entry needs.
#[derive(Debug)]
enum Edn {
    Nil,
    Bool(bool),
    Int(i64),
    Str(String),
    Keyword(String),
    Symbol(String),
    Vector(Vec<Edn>),
    List(Vec<Edn>),
    Set,
    Map(Vec<(Edn, Edn)>),
    /// Anything else (floats, big integers, characters, tagged literals): only described.
    Other(&'static str),
}

impl Edn {
    fn describe(&self) -> String {
        match self {
            Edn::Nil => "nil".to_string(),
            Edn::Bool(value) => value.to_string(),
            Edn::Int(value) => value.to_string(),
            Edn::Str(text) => quoted(text),
            Edn::Keyword(name) => format!(":{name}"),
            Edn::Symbol(name) => format!("the symbol {name}"),
            Edn::Vector(_) => "a vector".to_string(),
            Edn::List(_) => "a list".to_string(),
            Edn::Set => "a set".to_string(),
            Edn::Map(_) => "a map".to_string(),
            Edn::Other(what) => (*what).to_string(),
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn error(&self, message: String) -> ParseError {
        ParseError {
            line: self.line,
            message,
        }
    }

    fn found(&self) -> String {
        match self.peek() {
            None => "the end of the input".to_string(),
            Some(byte) if byte.is_ascii_graphic() => format!("'{}'", byte as char),
            Some(byte) => format!("byte 0x{byte:02x}"),
        }
    }

    /// Skips whitespace, commas, `;` comments and `#_` discarded forms.
    fn skip_blank(&mut self, depth: usize) -> Result<(), ParseError> {
        while let Some(byte) = self.peek() {
            match byte {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | b',' | 0x0c => self.pos += 1,
                b';' => {
                    while let Some(byte) = self.peek() {
                        if byte == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                b'#' if self.bytes.get(self.pos + 1) == Some(&b'_') => {
                    // A discarded form nests like a collection, so `#_#_#_...` is bounded too.
                    if depth >= MAX_DEPTH {
                        return Err(self.nesting_error());
                    }
                    self.pos += 2;
                    self.skip_blank(depth + 1)?;
                    if self.peek().is_none() {
                        return Err(self.error("expected a form after #_".to_string()));
                    }
                    self.read_form(depth + 1)?;
                }
                _ => break,
            }
        }
        Ok(())
    }

    /// Reads one form; `depth` counts the collections it sits in.
    fn read_form(&mut self, depth: usize) -> Result<Edn, ParseError> {
        self.skip_blank(depth)?;
        let Some(byte) = self.peek() else {
            return Err(self.error("expected a value, found the end of the input".to_string()));
        };
        match byte {
            b'[' | b'(' | b'{' => {
                self.pos += 1;
                self.read_collection(byte, depth + 1)
            }
            b'#' => self.read_dispatch(depth),
            b'"' => self.read_string().map(Edn::Str),
            b':' => {
                self.pos += 1;
                let token = self.token();
                if token.is_empty() {
                    return Err(self.error(format!(
                        "expected a keyword name after ':', found {}",
                        self.found()
                    )));
                }
                Ok(Edn::Keyword(token.to_string()))
            }
            b'\\' => {
                self.pos += 1;
                // A character literal: one character, then any name or code (`\newline`).
                if self.peek().is_some() {
                    self.pos += 1;
                }
                let _ = self.token();
                Ok(Edn::Other("a character"))
            }
            b']' | b')' | b'}' => Err(self.error(format!(
                "unexpected '{}' with nothing open to close",
                byte as char
            ))),
            _ => {
                let token = self.token();
                if token.is_empty() {
                    return Err(self.error(format!("expected a value, found {}", self.found())));
                }
                Ok(atom(token))
            }
        }
    }

    fn read_dispatch(&mut self, depth: usize) -> Result<Edn, ParseError> {
        self.pos += 1;
        match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                self.read_collection(b'#', depth + 1)?;
                Ok(Edn::Set)
            }
            Some(b'#') => {
                self.pos += 1;
                let _ = self.token();
                Ok(Edn::Other("a symbolic value"))
            }
            Some(byte) if byte.is_ascii_alphabetic() => {
                // A tagged literal such as `#inst "2016-01-01"`: the tag, then its form.
                let _ = self.token();
                if depth >= MAX_DEPTH {
                    return Err(self.nesting_error());
                }
                self.read_form(depth + 1)?;
                Ok(Edn::Other("a tagged literal"))
            }
            _ => Err(self.error(format!(
                "expected '{{', '_' or a tag after '#', found {}",
                self.found()
            ))),
        }
    }

    fn nesting_error(&self) -> ParseError {
        self.error(format!("nesting deeper than {MAX_DEPTH} levels"))
    }

    /// Reads the elements of a collection whose opening byte was consumed.
    fn read_collection(&mut self, open: u8, depth: usize) -> Result<Edn, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.nesting_error());
        }
        let opened_line = self.line;
        let close = match open {
            b'[' => b']',
            b'(' => b')',
            _ => b'}',
        };
        let mut items = Vec::new();
        loop {
            self.skip_blank(depth)?;
            match self.peek() {
                None => {
                    return Err(self.error(format!(
                        "input ended inside the {} opened at line {opened_line}: expected '{}'",
                        collection_name(open),
                        close as char
                    )))
                }
                Some(byte) if byte == close => {
                    self.pos += 1;
                    break;
                }
                Some(byte @ (b']' | b')' | b'}')) => {
                    return Err(self.error(format!(
                        "expected '{}' to close the {} opened at line {opened_line}, found '{}'",
                        close as char,
                        collection_name(open),
                        byte as char
                    )))
                }
                Some(_) => items.push(self.read_form(depth)?),
            }
        }
        Ok(match open {
            b'[' => Edn::Vector(items),
            b'(' => Edn::List(items),
            b'#' => Edn::Set,
            _ => {
                if items.len() % 2 != 0 {
                    return Err(ParseError {
                        line: opened_line,
                        message: "expected a value for every key in this map, but one key has none"
                            .to_string(),
                    });
                }
                let mut pairs = Vec::with_capacity(items.len() / 2);
                let mut items = items.into_iter();
                while let (Some(key), Some(value)) = (items.next(), items.next()) {
                    pairs.push((key, value));
                }
                Edn::Map(pairs)
            }
        })
    }

    fn read_string(&mut self) -> Result<String, ParseError> {
        let opened_line = self.line;
        self.pos += 1;
        let mut bytes = Vec::new();
        loop {
            let Some(byte) = self.peek() else {
                return Err(ParseError {
                    line: opened_line,
                    message: "a string opened on this line never ends: expected a closing '\"'"
                        .to_string(),
                });
            };
            self.pos += 1;
            match byte {
                b'"' => break,
                b'\n' => {
                    self.line += 1;
                    bytes.push(byte);
                }
                b'\\' => {
                    let Some(escaped) = self.peek() else {
                        continue;
                    };
                    self.pos += 1;
                    match escaped {
                        b'n' => bytes.push(b'\n'),
                        b't' => bytes.push(b'\t'),
                        b'r' => bytes.push(b'\r'),
                        b'b' => bytes.push(0x08),
                        b'f' => bytes.push(0x0c),
                        b'u' => {
                            let hex = self.bytes.get(self.pos..self.pos + 4);
                            let code = hex
                                .and_then(|hex| std::str::from_utf8(hex).ok())
                                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                                .and_then(char::from_u32);
                            match code {
                                Some(ch) => {
                                    self.pos += 4;
                                    let mut buffer = [0u8; 4];
                                    bytes.extend_from_slice(ch.encode_utf8(&mut buffer).as_bytes());
                                }
                                None => bytes.push(b'u'),
                            }
                        }
                        b'\n' => {
                            self.line += 1;
                            bytes.push(b'\n');
                        }
                        other => bytes.push(other),
                    }
                }
                _ => bytes.push(byte),
            }
        }
        // The input is a `&str` and escapes only add whole characters, so this is UTF-8;
        // the lossy conversion is a guard, not a path that runs.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Reads the bytes up to the next delimiter.
    fn token(&mut self) -> &str {
        let start = self.pos;
        while let Some(byte) = self.peek() {
            if byte.is_ascii_whitespace()
                || matches!(
                    byte,
                    b',' | b'[' | b']' | b'(' | b')' | b'{' | b'}' | b'"' | b';'
                )
            {
                break;
            }
            self.pos += 1;
        }
        // Delimiters are ASCII, so the slice ends on a character boundary.
        std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or("")
    }
}

fn atom(token: &str) -> Edn {
    match token {
        "nil" => return Edn::Nil,
        "true" => return Edn::Bool(true),
        "false" => return Edn::Bool(false),
        _ => {}
    }
    let first = token.as_bytes()[0];
    let numeric = first.is_ascii_digit()
        || (matches!(first, b'+' | b'-')
            && token.len() > 1
            && token.as_bytes()[1].is_ascii_digit());
    if !numeric {
        return Edn::Symbol(token.to_string());
    }
    let digits = token.strip_suffix('N').unwrap_or(token);
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    match digits.parse::<i64>() {
        Ok(value) => Edn::Int(value),
        Err(_) if digits.bytes().skip(1).all(|byte| byte.is_ascii_digit()) => {
            Edn::Other("an integer too large for 64 bits")
        }
        Err(_) => Edn::Other("a non-integer number"),
    }
}

/// One client entry of the file, before pairing.
#[derive(Debug)]
struct Entry {
    line: usize,
    process: u64,
    kind: EntryKind,
    key: Option<String>,
    node: Option<String>,
    final_read: bool,
    time_ns: Option<u64>,
}

#[derive(Debug)]
enum EntryKind {
    Invoke(Call),
    Complete(F, Outcome),
}

impl Entry {
    /// Interprets one map; `None` for entries that are not client operations.
    fn from_map(pairs: &[(Edn, Edn)], line: usize) -> Result<Option<Entry>, ParseError> {
        let error = |message: String| ParseError { line, message };
        let get = |name: &str| {
            pairs.iter().find_map(|(key, value)| match key {
                Edn::Keyword(key) if key == name => Some(value),
                _ => None,
            })
        };
        let process = match get("process") {
            None => return Err(error("expected a :process in this map".to_string())),
            Some(Edn::Int(process)) => u64::try_from(*process).map_err(|_| {
                error(format!(
                    "expected :process to be a non-negative integer, found {process}"
                ))
            })?,
            // The nemesis and other non-client actors are not operations on the register.
            Some(_) => return Ok(None),
        };
        let kind_name = match get("type") {
            None => return Err(error("expected a :type in this map".to_string())),
            Some(Edn::Keyword(name)) => name.as_str(),
            Some(other) => {
                return Err(error(format!(
                    "expected :type to be :invoke, :ok, :fail or :info, found {}",
                    other.describe()
                )))
            }
        };
        let f = match get("f") {
            None => return Err(error("expected an :f in this map".to_string())),
            Some(Edn::Keyword(name)) if name == "read" => F::Read,
            Some(Edn::Keyword(name)) if name == "write" => F::Write,
            Some(Edn::Keyword(name)) if name == "cas" => F::Cas,
            Some(other) => {
                return Err(error(format!(
                    "expected :f to be :read, :write or :cas, found {}",
                    other.describe()
                )))
            }
        };
        let value = get("value").unwrap_or(&Edn::Nil);
        let kind = match kind_name {
            "invoke" => EntryKind::Invoke(match f {
                F::Read => Call::Read,
                F::Write => match value {
                    Edn::Int(value) => Call::Write(*value),
                    other => {
                        return Err(error(format!(
                            "expected an integer :value for a :write, found {}",
                            other.describe()
                        )))
                    }
                },
                F::Cas => match value {
                    Edn::Vector(items) | Edn::List(items) => match items.as_slice() {
                        [Edn::Int(expected), Edn::Int(new)] => Call::Cas {
                            expected: *expected,
                            new: *new,
                        },
                        _ => {
                            return Err(error(
                                "expected a :value like [old new] with two integers for a :cas"
                                    .to_string(),
                            ))
                        }
                    },
                    other => {
                        return Err(error(format!(
                            "expected a :value like [old new] for a :cas, found {}",
                            other.describe()
                        )))
                    }
                },
            }),
            "ok" => EntryKind::Complete(
                f,
                Outcome::Ok(match (f, value) {
                    (F::Read, Edn::Int(value)) => Some(*value),
                    (F::Read, Edn::Nil) | (F::Write | F::Cas, _) => None,
                    (F::Read, other) => {
                        return Err(error(format!(
                            "expected the :value of an :ok :read to be an integer or nil, found {}",
                            other.describe()
                        )))
                    }
                }),
            ),
            "fail" => EntryKind::Complete(f, Outcome::Fail),
            "info" => EntryKind::Complete(f, Outcome::Info),
            other => {
                return Err(error(format!(
                    "unknown :type :{other}: expected :invoke, :ok, :fail or :info"
                )))
            }
        };
        let name = |field: &str| -> Result<Option<String>, ParseError> {
            match get(field) {
                None | Some(Edn::Nil) => Ok(None),
                Some(Edn::Str(text)) => Ok(Some(text.clone())),
                Some(Edn::Keyword(text)) => Ok(Some(text.clone())),
                Some(Edn::Int(number)) => Ok(Some(number.to_string())),
                Some(other) => Err(error(format!(
                    "expected :{field} to be a string, keyword or integer, found {}",
                    other.describe()
                ))),
            }
        };
        let time_ns = match get("time") {
            None | Some(Edn::Nil) => None,
            Some(Edn::Int(time)) if *time >= 0 => Some(*time as u64),
            Some(other) => {
                return Err(error(format!(
                    "expected :time to be non-negative nanoseconds, found {}",
                    other.describe()
                )))
            }
        };
        let final_read = match get("final") {
            None | Some(Edn::Nil) | Some(Edn::Bool(false)) => false,
            Some(Edn::Bool(true)) => true,
            Some(other) => {
                return Err(error(format!(
                    "expected :final to be true or false, found {}",
                    other.describe()
                )))
            }
        };
        Ok(Some(Entry {
            line,
            process,
            kind,
            key: name("key")?,
            node: name("node")?,
            final_read,
            time_ns,
        }))
    }
}

/// Pairs entries into operations.
fn build(entries: Vec<Entry>) -> Result<History, ParseError> {
    let timed = !entries.is_empty()
        && entries.iter().all(|entry| entry.time_ns.is_some())
        && entries
            .windows(2)
            .all(|pair| pair[0].time_ns <= pair[1].time_ns);
    let mut history = if timed {
        History::new()
    } else {
        History::untimed()
    };
    for (position, entry) in entries.into_iter().enumerate() {
        let time_ns = match (timed, entry.time_ns) {
            (true, Some(time_ns)) => time_ns,
            _ => position as u64,
        };
        match entry.kind {
            EntryKind::Invoke(call) => {
                let op = history.push_invoke(entry.process, call, entry.key.as_deref(), time_ns);
                annotate(&mut history, op, &entry.node, entry.final_read);
            }
            EntryKind::Complete(f, outcome) => {
                let Some(op) = history.in_flight(entry.process) else {
                    return Err(ParseError {
                        line: entry.line,
                        message: format!(
                            "expected an :invoke by process {} before this completion",
                            entry.process
                        ),
                    });
                };
                let invoked = history.op(op).f();
                if invoked != f {
                    return Err(ParseError {
                        line: entry.line,
                        message: format!(
                            "this completes a :{} but process {}'s operation in flight is a :{}",
                            f.name(),
                            entry.process,
                            invoked.name()
                        ),
                    });
                }
                history.complete(op, outcome, time_ns);
                annotate(&mut history, op, &entry.node, entry.final_read);
            }
        }
    }
    Ok(history)
}

fn annotate(history: &mut History, op: OpId, node: &Option<String>, final_read: bool) {
    if let Some(node) = node {
        history.set_node(op, node);
    }
    if final_read {
        history.set_final_read(op, true);
    }
}
