//! A parser for the subset of Python literal syntax that `ast.literal_eval` accepts.
//!
//! One pass, one token of lookahead, no backtracking: time is linear in the input and
//! recursion depth is bounded by [`crate::Limits::max_depth`]. Every node remembers the
//! byte offset (in the file) where it starts, so later checks can point at the value
//! they reject.

use crate::error::{Error, ErrorKind};

/// An integer literal. Python integers are unbounded; a magnitude that does not fit
/// `u64` is kept as `None` (it is rejected wherever a size is needed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Int {
    pub negative: bool,
    pub magnitude: Option<u64>,
}

#[derive(Debug)]
pub(crate) enum Value {
    Str(String),
    Bytes,
    Int(Int),
    Float,
    Complex,
    Bool(bool),
    None,
    Tuple(Vec<Node>),
    List(Vec<Node>),
    Set,
    Dict(Vec<(Node, Node)>),
}

#[derive(Debug)]
pub(crate) struct Node {
    pub value: Value,
    /// File offset of the first byte of the literal.
    pub offset: u64,
}

impl Value {
    /// The Python type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "str",
            Value::Bytes => "bytes",
            Value::Int(_) => "int",
            Value::Float => "float",
            Value::Complex => "complex",
            Value::Bool(_) => "bool",
            Value::None => "None",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Set => "set",
            Value::Dict(_) => "dict",
        }
    }
}

/// How the header text is encoded, which decides how bytes inside strings decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Latin1,
    Utf8,
}

pub(crate) struct Options {
    pub encoding: Encoding,
    /// Python 2 wrote `3L`; NumPy strips that suffix for 1.0 and 2.0 headers only.
    pub allow_long_suffix: bool,
    pub max_depth: u32,
}

/// The result of parsing a whole header text.
pub(crate) struct Parsed {
    pub node: Node,
    /// Offset of the first Python 2 `L` suffix that was skipped, if any.
    pub long_suffix_at: Option<u64>,
}

/// Parses `src` (the header text, located at file offset `base`) as one Python literal
/// expression surrounded only by whitespace, comments and blank lines.
pub(crate) fn parse(src: &[u8], base: u64, opts: &Options) -> Result<Parsed, Error> {
    let text = match opts.encoding {
        Encoding::Utf8 => match std::str::from_utf8(src) {
            Ok(s) => Some(s),
            Err(e) => {
                return Err(Error::at(
                    ErrorKind::Encoding,
                    base + e.valid_up_to() as u64,
                    "header text is not valid UTF-8 (required for format 3.0 and 4.0)",
                ))
            }
        },
        Encoding::Latin1 => None,
    };
    if let Some(i) = src.iter().position(|&b| b == 0) {
        return Err(Error::at(
            ErrorKind::Encoding,
            base + i as u64,
            "header text contains a NUL byte, which Python source cannot hold",
        ));
    }
    let mut p = Parser {
        src,
        text,
        pos: 0,
        base,
        opts,
        depth: 0,
        brackets: 0,
        long_suffix_at: None,
        continuation_end: None,
    };
    p.skip_leading()?;
    let node = p.parse_top()?;
    p.skip_trailing()?;
    Ok(Parsed {
        node,
        long_suffix_at: p.long_suffix_at,
    })
}

struct Parser<'a> {
    src: &'a [u8],
    /// The same bytes as `&str` when the encoding is UTF-8 (already validated).
    text: Option<&'a str>,
    pos: usize,
    base: u64,
    opts: &'a Options,
    depth: u32,
    /// Open brackets; inside any, newlines are insignificant (implicit line joining).
    brackets: u32,
    long_suffix_at: Option<u64>,
    /// Where the last line continuation (backslash + newline) outside a string ended.
    continuation_end: Option<usize>,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_continue(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit()
}

impl<'a> Parser<'a> {
    fn offset(&self, pos: usize) -> u64 {
        self.base + pos as u64
    }

    fn err(&self, pos: usize, msg: impl Into<String>) -> Error {
        Error::at(ErrorKind::Syntax, self.offset(pos), msg)
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    /// Describes the byte at `pos` for an error message.
    fn describe(&self, pos: usize) -> String {
        match self.src.get(pos) {
            None => "end of header".to_string(),
            Some(b'\n') => "end of line".to_string(),
            Some(&b) if b.is_ascii_graphic() => format!("'{}'", b as char),
            Some(&b) => format!("byte 0x{b:02x}"),
        }
    }

    fn at_newline(&self) -> bool {
        matches!(self.peek(), Some(b'\n' | b'\r'))
    }

    fn bump_newline(&mut self) {
        if self.peek() == Some(b'\r') && self.peek_at(1) == Some(b'\n') {
            self.pos += 2;
        } else {
            self.pos += 1;
        }
    }

    fn skip_comment(&mut self) {
        if self.peek() == Some(b'#') {
            while let Some(b) = self.peek() {
                if b == b'\n' || b == b'\r' {
                    break;
                }
                self.pos += 1;
            }
        }
    }

    /// Skips whitespace and comments between tokens. Inside brackets newlines are
    /// whitespace; outside, they end the logical line and are left in place.
    fn skip_trivia(&mut self) -> Result<(), Error> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | 0x0c) => self.pos += 1,
                Some(b'#') => self.skip_comment(),
                Some(b'\n' | b'\r') if self.brackets > 0 => self.bump_newline(),
                Some(b'\\') => {
                    let at = self.pos;
                    self.pos += 1;
                    if self.at_newline() {
                        self.bump_newline();
                        self.continuation_end = Some(self.pos);
                    } else {
                        return Err(
                            self.err(at, "unexpected character after line continuation character")
                        );
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// The indentation column of the line starting at `self.pos`, as CPython 3.11's
    /// tokenizer counts it (a space is one column, a tab goes to the next multiple of 8, a
    /// form feed resets the count). A line continuation in the indentation joins the next
    /// line, whose whitespace keeps counting; if the first continuation comes after a
    /// non-zero column, that column is the line's indentation ("indentation cannot be
    /// split over multiple physical lines"). Leaves `self.pos` after the whitespace.
    fn indentation(&mut self) -> u64 {
        let mut col = 0u64;
        let mut continued_at = 0u64;
        loop {
            match self.peek() {
                Some(b' ') => col += 1,
                Some(b'\t') => col = (col / 8 + 1) * 8,
                Some(0x0c) => col = 0,
                Some(b'\\') if matches!(self.peek_at(1), Some(b'\n' | b'\r')) => {
                    if continued_at == 0 {
                        continued_at = col;
                    }
                    self.pos += 1;
                    self.bump_newline();
                    self.continuation_end = Some(self.pos);
                    continue;
                }
                _ => return if continued_at > 0 { continued_at } else { col },
            }
            self.pos += 1;
        }
    }

    /// Before the literal: `ast.literal_eval` strips leading spaces and tabs, then the
    /// tokenizer skips blank and comment-only lines; the line holding the first token
    /// must not be indented.
    fn skip_leading(&mut self) -> Result<(), Error> {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        loop {
            let line_start = self.pos;
            let col = self.indentation();
            self.skip_comment();
            match self.peek() {
                Some(b'\n' | b'\r') => self.bump_newline(),
                None => return Ok(()),
                Some(_) if col > 0 => {
                    return Err(
                        self.err(line_start, "unexpected indentation before the header dict")
                    )
                }
                Some(_) => return Ok(()),
            }
        }
    }

    /// After the literal only whitespace, comments and blank lines may follow. CPython
    /// refuses two layouts of that tail: a last line of only indentation with no newline
    /// after it, and a line continuation at the very end.
    fn skip_trailing(&mut self) -> Result<(), Error> {
        loop {
            self.skip_trivia()?;
            match self.peek() {
                None if self.continuation_end == Some(self.src.len()) => {
                    let at = self.src.len() - if self.src.ends_with(b"\r\n") { 3 } else { 2 };
                    return Err(self.err(at, "the header ends with a line continuation"));
                }
                None => return Ok(()),
                Some(b'\n' | b'\r') => {
                    self.bump_newline();
                    let line_start = self.pos;
                    let col = self.indentation();
                    if self.pos == self.src.len() && col > 0 {
                        return Err(self.err(
                            line_start,
                            "the header's last line holds only indentation (end it with a newline)",
                        ));
                    }
                }
                Some(_) => {
                    return Err(self.err(
                        self.pos,
                        format!(
                            "unexpected {} after the end of the header literal",
                            self.describe(self.pos)
                        ),
                    ))
                }
            }
        }
    }

    fn enter(&mut self, pos: usize) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > self.opts.max_depth {
            return Err(Error::at(
                ErrorKind::NestTooDeep {
                    limit: self.opts.max_depth,
                },
                self.offset(pos),
                format!(
                    "header nests brackets deeper than the limit of {}",
                    self.opts.max_depth
                ),
            ));
        }
        self.brackets += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
        self.brackets -= 1;
    }

    /// The whole text is one expression; a bare top-level tuple (`{...}, `) is legal
    /// Python, so it is parsed and later rejected as "not a dict".
    fn parse_top(&mut self) -> Result<Node, Error> {
        let start = self.pos;
        if self.peek().is_none() {
            return Err(self.err(start, "header text is empty"));
        }
        let first = self.parse_expr()?;
        self.skip_trivia()?;
        if self.peek() != Some(b',') {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek() == Some(b',') {
            self.pos += 1;
            self.skip_trivia()?;
            if matches!(self.peek(), None | Some(b'\n' | b'\r' | b'#')) {
                break;
            }
            items.push(self.parse_expr()?);
            self.skip_trivia()?;
        }
        Ok(Node {
            value: Value::Tuple(items),
            offset: self.offset(start),
        })
    }

    /// expr := signed [('+' | '-') signed]   (only `real ± imaginary` is a literal)
    fn parse_expr(&mut self) -> Result<Node, Error> {
        self.skip_trivia()?;
        let start = self.pos;
        let (left, _) = self.parse_signed()?;
        self.skip_trivia()?;
        let Some(op @ (b'+' | b'-')) = self.peek() else {
            return Ok(left);
        };
        let op_pos = self.pos;
        self.pos += 1;
        self.skip_trivia()?;
        let (right, right_signed) = self.parse_signed()?;
        // literal_eval: BinOp(Add|Sub) with a (signed) int/float on the left and an
        // unsigned complex constant on the right; nothing else.
        let ok = matches!(left.value, Value::Int(_) | Value::Float)
            && matches!(right.value, Value::Complex)
            && !right_signed;
        if !ok {
            return Err(self.err(
                op_pos,
                format!(
                    "'{}' is not allowed here: a header holds literals, not expressions",
                    op as char
                ),
            ));
        }
        self.skip_trivia()?;
        if let Some(b'+' | b'-') = self.peek() {
            return Err(self.err(
                self.pos,
                "only one '+' or '-' may join the parts of a complex literal",
            ));
        }
        Ok(Node {
            value: Value::Complex,
            offset: self.offset(start),
        })
    }

    /// signed := ['+' | '-'] atom, where a signed atom must be a number constant.
    fn parse_signed(&mut self) -> Result<(Node, bool), Error> {
        let start = self.pos;
        let Some(sign @ (b'+' | b'-')) = self.peek() else {
            return Ok((self.parse_atom()?, false));
        };
        self.pos += 1;
        self.skip_trivia()?;
        let operand_pos = self.pos;
        if let Some(b'+' | b'-') = self.peek() {
            return Err(self.err(operand_pos, "a sign may be applied only once to a number"));
        }
        let (mut node, nested_sign) = self.parse_grouped_number()?;
        if nested_sign {
            return Err(self.err(operand_pos, "a sign may be applied only once to a number"));
        }
        match &mut node.value {
            Value::Int(i) => {
                if sign == b'-' {
                    i.negative = !i.negative && i.magnitude != Some(0);
                }
            }
            Value::Float | Value::Complex => {}
            other => {
                return Err(self.err(
                    operand_pos,
                    format!(
                        "a sign may only precede a number, not a {}",
                        other.type_name()
                    ),
                ))
            }
        }
        node.offset = self.offset(start);
        Ok((node, true))
    }

    /// The operand of a unary sign: an atom, possibly in parentheses (`-(1)` is the
    /// same AST as `-1`). Reports whether the operand itself carried a sign.
    fn parse_grouped_number(&mut self) -> Result<(Node, bool), Error> {
        if self.peek() == Some(b'(') {
            let open = self.pos;
            self.enter(open)?;
            self.pos += 1;
            self.skip_trivia()?;
            if self.peek() == Some(b')') {
                self.leave();
                return Err(self.err(open, "a sign may only precede a number, not a tuple"));
            }
            let (inner, signed) = match self.peek() {
                Some(b'+' | b'-') => (self.parse_signed()?.0, true),
                _ => self.parse_grouped_number()?,
            };
            self.skip_trivia()?;
            if self.peek() != Some(b')') {
                self.leave();
                return Err(self.err(self.pos, "a sign may only precede a number"));
            }
            self.pos += 1;
            self.leave();
            return Ok((inner, signed));
        }
        Ok((self.parse_atom()?, false))
    }

    fn parse_atom(&mut self) -> Result<Node, Error> {
        self.skip_trivia()?;
        let start = self.pos;
        let Some(b) = self.peek() else {
            return Err(self.err(start, "header ends where a value was expected"));
        };
        let value = match b {
            b'{' => self.parse_brace()?,
            b'[' => Value::List(self.parse_seq(b'[', b']')?.0),
            b'(' => return self.parse_paren(),
            b'\'' | b'"' => self.parse_strings()?,
            b'0'..=b'9' => self.parse_number()?,
            b'.' if self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => self.parse_number()?,
            _ if is_ident_start(b) => self.parse_name()?,
            _ => {
                return Err(self.err(
                    start,
                    format!("expected a value, found {}", self.describe(start)),
                ))
            }
        };
        Ok(Node {
            value,
            offset: self.offset(start),
        })
    }

    /// Comma-separated items up to `close`, trailing comma allowed. Returns the items and
    /// whether any comma was seen (which makes `(x,)` a tuple).
    fn parse_seq(&mut self, open: u8, close: u8) -> Result<(Vec<Node>, bool), Error> {
        let open_pos = self.pos;
        debug_assert_eq!(self.peek(), Some(open));
        self.enter(open_pos)?;
        self.pos += 1;
        let mut items = Vec::new();
        let mut comma = false;
        loop {
            self.skip_trivia()?;
            if self.peek() == Some(close) {
                self.pos += 1;
                break;
            }
            items.push(self.parse_expr()?);
            self.skip_trivia()?;
            match self.peek() {
                Some(b',') => {
                    comma = true;
                    self.pos += 1;
                }
                Some(c) if c == close => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.expected_sep(open_pos, close)),
            }
        }
        self.leave();
        Ok((items, comma))
    }

    fn expected_sep(&self, open_pos: usize, close: u8) -> Error {
        if self.peek().is_none() {
            return self.err(
                open_pos,
                format!("'{}' is never closed", self.src[open_pos] as char),
            );
        }
        self.err(
            self.pos,
            format!(
                "expected ',' or '{}', found {}",
                close as char,
                self.describe(self.pos)
            ),
        )
    }

    fn parse_paren(&mut self) -> Result<Node, Error> {
        let start = self.pos;
        let (mut items, comma) = self.parse_seq(b'(', b')')?;
        if items.len() == 1 && !comma {
            // A parenthesized expression, not a tuple: `(3)` is the int 3.
            let mut inner = items.pop().expect("one item");
            inner.offset = self.offset(start);
            return Ok(inner);
        }
        Ok(Node {
            value: Value::Tuple(items),
            offset: self.offset(start),
        })
    }

    fn parse_brace(&mut self) -> Result<Value, Error> {
        let open_pos = self.pos;
        self.enter(open_pos)?;
        self.pos += 1;
        self.skip_trivia()?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.leave();
            return Ok(Value::Dict(Vec::new()));
        }
        let first = self.parse_expr()?;
        self.skip_trivia()?;
        let value = if self.peek() == Some(b':') {
            self.pos += 1;
            let v = self.parse_expr()?;
            let mut pairs = vec![(first, v)];
            while self.brace_continues(open_pos)? {
                let k = self.parse_expr()?;
                self.skip_trivia()?;
                if self.peek() != Some(b':') {
                    return Err(self.err(
                        self.pos,
                        format!(
                            "expected ':' after a dict key, found {}",
                            self.describe(self.pos)
                        ),
                    ));
                }
                self.pos += 1;
                let v = self.parse_expr()?;
                pairs.push((k, v));
            }
            Value::Dict(pairs)
        } else {
            let mut items = vec![first];
            while self.brace_continues(open_pos)? {
                items.push(self.parse_expr()?);
            }
            drop(items);
            Value::Set
        };
        self.leave();
        Ok(value)
    }

    /// After an item inside braces: `,` (then `}` if the comma trails) or `}`. Returns
    /// whether another item follows.
    fn brace_continues(&mut self, open_pos: usize) -> Result<bool, Error> {
        self.skip_trivia()?;
        match self.peek() {
            Some(b',') => self.pos += 1,
            Some(b'}') => {
                self.pos += 1;
                return Ok(false);
            }
            _ => return Err(self.expected_sep(open_pos, b'}')),
        }
        self.skip_trivia()?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(false);
        }
        Ok(true)
    }

    fn parse_name(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        while self.peek().is_some_and(is_ident_continue) {
            self.pos += 1;
        }
        let name = &self.src[start..self.pos];
        if matches!(self.peek(), Some(b'\'' | b'"')) {
            if name.len() <= 2
                && name
                    .iter()
                    .all(|c| matches!(c.to_ascii_lowercase(), b'r' | b'u' | b'b' | b'f'))
            {
                self.pos = start;
                return self.parse_strings();
            }
            return Err(self.err(
                start,
                format!(
                    "'{}' is not a valid string prefix",
                    String::from_utf8_lossy(name)
                ),
            ));
        }
        match name {
            b"True" => Ok(Value::Bool(true)),
            b"False" => Ok(Value::Bool(false)),
            b"None" => Ok(Value::None),
            b"set" => {
                // literal_eval's one call: `set()` is the empty set.
                let save = self.pos;
                self.skip_trivia()?;
                if self.peek() == Some(b'(') {
                    self.pos += 1;
                    self.skip_trivia()?;
                    if self.peek() == Some(b')') {
                        self.pos += 1;
                        return Ok(Value::Set);
                    }
                }
                self.pos = save;
                Err(self.err(start, "name 'set' is not a literal (only 'set()' is)"))
            }
            _ => Err(self.err(
                start,
                format!(
                    "name '{}' is not a literal: expected a string, number, True, False or None",
                    String::from_utf8_lossy(name)
                ),
            )),
        }
    }

    /// One or more adjacent string literals, concatenated as Python does.
    fn parse_strings(&mut self) -> Result<Value, Error> {
        let mut out = String::new();
        let mut kind: Option<bool> = None; // Some(true) = bytes
        loop {
            let lit_start = self.pos;
            let is_bytes = self.parse_one_string(&mut out)?;
            if kind.is_some_and(|k| k != is_bytes) {
                return Err(self.err(lit_start, "cannot mix bytes and str literals"));
            }
            kind = Some(is_bytes);
            self.skip_trivia()?;
            let save = self.pos;
            // A following string literal (with or without prefix) concatenates.
            let mut p = self.pos;
            while p < self.src.len() && p - save < 3 && self.src[p].is_ascii_alphabetic() {
                p += 1;
            }
            if !matches!(self.src.get(p), Some(b'\'' | b'"')) {
                break;
            }
            if !self.src[save..p]
                .iter()
                .all(|c| matches!(c.to_ascii_lowercase(), b'r' | b'u' | b'b' | b'f'))
            {
                break;
            }
        }
        Ok(if kind == Some(true) {
            Value::Bytes
        } else {
            Value::Str(out)
        })
    }

    /// Parses one literal with optional prefix, appending its text to `out` (for str).
    /// Returns whether it was a bytes literal.
    fn parse_one_string(&mut self, out: &mut String) -> Result<bool, Error> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        let mut prefix = [0u8; 2];
        let written = &self.src[start..self.pos];
        if written.len() <= 2 {
            for (p, c) in prefix.iter_mut().zip(written) {
                *p = c.to_ascii_lowercase();
            }
        }
        let prefix = if written.len() <= 2 {
            &prefix[..written.len()]
        } else {
            b"?!"
        };
        let (raw, bytes) = match prefix {
            b"" | b"u" => (false, false),
            b"r" => (true, false),
            b"b" => (false, true),
            b"br" | b"rb" => (true, true),
            b"f" | b"fr" | b"rf" => {
                return Err(self.err(start, "f-strings are not literals"));
            }
            _ => {
                return Err(self.err(
                    start,
                    format!(
                        "'{}' is not a valid string prefix",
                        String::from_utf8_lossy(&self.src[start..self.pos])
                    ),
                ))
            }
        };
        let quote = self.peek().expect("caller saw a quote");
        let triple = self.peek_at(1) == Some(quote) && self.peek_at(2) == Some(quote);
        self.pos += if triple { 3 } else { 1 };
        loop {
            // Copy a run of ordinary characters at once: ASCII (valid UTF-8 in either
            // encoding) or, in UTF-8 text, any bytes up to the next special ASCII byte.
            let run = self.src[self.pos..]
                .iter()
                .position(|&c| {
                    c == quote
                        || c == b'\\'
                        || c == b'\n'
                        || c == b'\r'
                        || (c >= 0x80 && self.text.is_none())
                })
                .unwrap_or(self.src.len() - self.pos);
            if run > 0 {
                let chunk = &self.src[self.pos..self.pos + run];
                if bytes && !chunk.is_ascii() {
                    let at = self.pos + chunk.iter().position(|c| !c.is_ascii()).unwrap_or(0);
                    return Err(self.err(at, "bytes literals may only contain ASCII characters"));
                }
                out.push_str(
                    std::str::from_utf8(chunk)
                        .expect("ASCII, or a run of validated UTF-8 between ASCII bytes"),
                );
                self.pos += run;
            }
            let Some(b) = self.peek() else {
                return Err(self.err(start, "string literal is never closed"));
            };
            if b == quote {
                if !triple {
                    self.pos += 1;
                    return Ok(bytes);
                }
                if self.peek_at(1) == Some(quote) && self.peek_at(2) == Some(quote) {
                    self.pos += 3;
                    return Ok(bytes);
                }
            }
            if (b == b'\n' || b == b'\r') && !triple {
                return Err(self.err(start, "string literal is never closed on its line"));
            }
            if b == b'\\' {
                self.pos += 1;
                if raw {
                    // In raw strings a backslash keeps the next character, even a quote.
                    out.push('\\');
                    if let Some(_c) = self.peek() {
                        let (c, len) = self.char_at(self.pos);
                        self.check_bytes_char(bytes, c)?;
                        out.push(c);
                        self.pos += len;
                    }
                    continue;
                }
                self.parse_escape(out, bytes)?;
                continue;
            }
            let (c, len) = self.char_at(self.pos);
            self.check_bytes_char(bytes, c)?;
            if c == '\r' {
                // Python reads source with universal newlines.
                if self.peek_at(1) == Some(b'\n') {
                    self.pos += 1;
                }
                out.push('\n');
            } else {
                out.push(c);
            }
            self.pos += len;
        }
    }

    fn check_bytes_char(&self, bytes: bool, c: char) -> Result<(), Error> {
        if bytes && !c.is_ascii() {
            return Err(self.err(self.pos, "bytes literals may only contain ASCII characters"));
        }
        Ok(())
    }

    /// Decodes the character at `pos` in the header's encoding.
    fn char_at(&self, pos: usize) -> (char, usize) {
        match self.text {
            Some(text) => {
                let c = text[pos..]
                    .chars()
                    .next()
                    .expect("pos is on a char boundary");
                (c, c.len_utf8())
            }
            None => (char::from(self.src[pos]), 1),
        }
    }

    /// After a backslash in a non-raw literal.
    fn parse_escape(&mut self, out: &mut String, bytes: bool) -> Result<(), Error> {
        let esc_pos = self.pos - 1;
        let Some(b) = self.peek() else {
            return Err(self.err(esc_pos, "string literal is never closed"));
        };
        let simple = match b {
            b'\n' | b'\r' => {
                self.bump_newline();
                return Ok(());
            }
            b'\\' => Some('\\'),
            b'\'' => Some('\''),
            b'"' => Some('"'),
            b'a' => Some('\x07'),
            b'b' => Some('\x08'),
            b'f' => Some('\x0c'),
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            b'v' => Some('\x0b'),
            _ => None,
        };
        if let Some(c) = simple {
            self.pos += 1;
            out.push(c);
            return Ok(());
        }
        match b {
            b'0'..=b'7' => {
                let mut v: u32 = 0;
                let mut n = 0;
                while n < 3 && matches!(self.peek(), Some(b'0'..=b'7')) {
                    v = v * 8 + u32::from(self.src[self.pos] - b'0');
                    self.pos += 1;
                    n += 1;
                }
                if bytes && v > 0xff {
                    return Err(self.err(
                        esc_pos,
                        "octal escape value is larger than 0o377 in a bytes literal",
                    ));
                }
                out.push(char::from_u32(v).expect("at most 0o777"));
            }
            b'x' => {
                self.pos += 1;
                let v = self.hex_digits(2, esc_pos, "\\xXX")?;
                out.push(char::from_u32(v).expect("two hex digits"));
            }
            b'u' | b'U' | b'N' if !bytes => {
                self.pos += 1;
                if b == b'N' {
                    return Err(self.err(
                        esc_pos,
                        "\\N{...} escapes are not supported (write the character itself or use \\u)",
                    ));
                }
                let (n, form) = if b == b'u' {
                    (4, "\\uXXXX")
                } else {
                    (8, "\\UXXXXXXXX")
                };
                let v = self.hex_digits(n, esc_pos, form)?;
                match char::from_u32(v) {
                    Some(c) => out.push(c),
                    None if v > 0x10ffff => {
                        return Err(
                            self.err(esc_pos, "escape is beyond the last Unicode code point")
                        )
                    }
                    None => {
                        return Err(self.err(
                            esc_pos,
                            "escape names a lone surrogate, which cannot be represented",
                        ))
                    }
                }
            }
            _ => {
                // Unknown escapes keep the backslash (Python warns but accepts).
                out.push('\\');
            }
        }
        Ok(())
    }

    fn hex_digits(&mut self, n: usize, esc_pos: usize, form: &str) -> Result<u32, Error> {
        let mut v: u32 = 0;
        for _ in 0..n {
            match self.peek() {
                Some(c) if c.is_ascii_hexdigit() => {
                    v = v * 16 + (c as char).to_digit(16).expect("hex digit");
                    self.pos += 1;
                }
                _ => return Err(self.err(esc_pos, format!("truncated {form} escape"))),
            }
        }
        Ok(v)
    }

    /// Python's number grammar: integers (decimal, 0x, 0o, 0b, with single underscores
    /// between digits), floats, and imaginary literals.
    fn parse_number(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        let radix = match (self.peek(), self.peek_at(1).map(|c| c.to_ascii_lowercase())) {
            (Some(b'0'), Some(b'x')) => 16,
            (Some(b'0'), Some(b'o')) => 8,
            (Some(b'0'), Some(b'b')) => 2,
            _ => 10,
        };
        let value = if radix != 10 {
            self.pos += 2;
            // After the prefix an underscore may come before the first digit.
            if self.peek() == Some(b'_') {
                self.pos += 1;
            }
            let mag = self.digits(radix, start)?;
            let Some(mag) = mag else {
                return Err(self.err(start, "integer literal has no digits after its prefix"));
            };
            Value::Int(Int {
                negative: false,
                magnitude: mag,
            })
        } else {
            let int_part = if self.peek() == Some(b'.') {
                None
            } else {
                self.digits(10, start)?
            };
            let int_text_end = self.pos;
            let mut is_float = false;
            if self.peek() == Some(b'.') {
                is_float = true;
                self.pos += 1;
                if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.digits(10, start)?;
                }
            }
            if matches!(self.peek(), Some(b'e' | b'E')) {
                let save = self.pos;
                self.pos += 1;
                if matches!(self.peek(), Some(b'+' | b'-')) {
                    self.pos += 1;
                }
                if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.digits(10, start)?;
                    is_float = true;
                } else {
                    self.pos = save;
                    return Err(self.err(start, "invalid float literal: exponent has no digits"));
                }
            }
            if matches!(self.peek(), Some(b'j' | b'J')) {
                self.pos += 1;
                Value::Complex
            } else if is_float {
                Value::Float
            } else {
                let text = &self.src[start..int_text_end];
                if text.len() > 1
                    && text[0] == b'0'
                    && text.iter().any(|&c| c.is_ascii_digit() && c != b'0')
                {
                    return Err(self.err(
                        start,
                        "leading zeros in decimal integer literals are not permitted (use 0o for octal)",
                    ));
                }
                Value::Int(Int {
                    negative: false,
                    magnitude: int_part.expect("decimal integer has digits"),
                })
            }
        };
        if self.opts.allow_long_suffix {
            self.skip_long_suffixes();
        }
        if self.peek().is_some_and(is_ident_continue) {
            return Err(self.err(start, "invalid number literal"));
        }
        Ok(value)
    }

    /// NumPy re-tokenizes a 1.0/2.0 header that fails to parse and drops every `L` name
    /// token that follows a number, even after whitespace or another dropped `L`.
    fn skip_long_suffixes(&mut self) {
        loop {
            let save = self.pos;
            loop {
                match self.peek() {
                    Some(b' ' | b'\t' | 0x0c) => self.pos += 1,
                    Some(b'\\') if matches!(self.peek_at(1), Some(b'\n' | b'\r')) => {
                        self.pos += 1;
                        self.bump_newline();
                    }
                    _ => break,
                }
            }
            if self.peek() == Some(b'L') && !self.peek_at(1).is_some_and(is_ident_continue) {
                self.long_suffix_at.get_or_insert(self.offset(self.pos));
                self.pos += 1;
            } else {
                self.pos = save;
                return;
            }
        }
    }

    /// Digits in `radix` with single underscores between them. Returns `Some(value)`
    /// (the value `None` if it overflows `u64`), or `None` if there were no digits.
    fn digits(&mut self, radix: u32, start: usize) -> Result<Option<Option<u64>>, Error> {
        let mut value: Option<u64> = Some(0);
        let mut any = false;
        loop {
            match self.peek() {
                Some(c) if (c as char).is_digit(radix) => {
                    let d = u64::from((c as char).to_digit(radix).expect("digit"));
                    value = value
                        .and_then(|v| v.checked_mul(u64::from(radix)))
                        .and_then(|v| v.checked_add(d));
                    any = true;
                    self.pos += 1;
                }
                Some(b'_') if any => {
                    self.pos += 1;
                    if !self.peek().is_some_and(|c| (c as char).is_digit(radix)) {
                        return Err(self.err(start, "invalid number literal: misplaced '_'"));
                    }
                }
                Some(c) if radix < 10 && c.is_ascii_digit() => {
                    return Err(self.err(
                        self.pos,
                        format!("invalid digit '{}' in base-{radix} literal", c as char),
                    ));
                }
                _ => break,
            }
        }
        Ok(any.then_some(value))
    }
}
