//! A small reader of MIME messages for the outbox tests, written apart from the library that
//! builds them: headers (folded lines joined), multipart bodies split on their boundary, and
//! base64 and quoted-printable bodies decoded.

/// One part of a message (the message itself is the outermost part).
#[derive(Debug)]
pub(crate) struct Part {
    headers: Vec<(String, String)>,
    /// The body as it travelled, still encoded.
    raw_body: String,
}

impl Part {
    /// Reads a whole message, or one part of a multipart body.
    pub(crate) fn parse(text: &str) -> Part {
        let (head, body) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no blank line after the headers in:\n{text}"));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                let (_, value) = headers.last_mut().expect("a folded line follows a header");
                value.push_str(line);
            } else {
                let (name, value) = line
                    .split_once(':')
                    .unwrap_or_else(|| panic!("not a header: {line:?}"));
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
        Part {
            headers,
            raw_body: body.to_owned(),
        }
    }

    /// A header's value, folded lines joined.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The media type, lower case, without its parameters (`text/plain` when none is given).
    pub(crate) fn mime_type(&self) -> String {
        self.header("Content-Type")
            .map_or("text/plain", |v| v.split(';').next().unwrap_or(""))
            .trim()
            .to_ascii_lowercase()
    }

    /// The name of an attachment: `Content-Disposition: attachment; filename="..."`.
    pub(crate) fn attachment_name(&self) -> Option<String> {
        let disposition = self.header("Content-Disposition")?;
        if !disposition
            .trim()
            .to_ascii_lowercase()
            .starts_with("attachment")
        {
            return None;
        }
        parameter(disposition, "filename")
    }

    /// The parts of a multipart body, in order.
    pub(crate) fn children(&self) -> Vec<Part> {
        let content_type = self.header("Content-Type").unwrap_or("");
        let boundary = parameter(content_type, "boundary")
            .unwrap_or_else(|| panic!("no boundary in {content_type:?}"));
        let delimiter = format!("--{boundary}");
        let close = format!("--{boundary}--");
        let mut parts = Vec::new();
        let mut current: Option<Vec<&str>> = None;
        let mut closed = false;
        for line in self.raw_body.split("\r\n") {
            if line == delimiter || line == close {
                if let Some(lines) = current.take() {
                    parts.push(Part::parse(&lines.join("\r\n")));
                }
                if line == close {
                    closed = true;
                    break;
                }
                current = Some(Vec::new());
            } else if let Some(lines) = current.as_mut() {
                lines.push(line);
            }
        }
        assert!(closed, "the multipart body is not closed by {close}");
        parts
    }

    /// The body decoded from its `Content-Transfer-Encoding`.
    pub(crate) fn decoded(&self) -> Vec<u8> {
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or("7bit")
            .to_ascii_lowercase();
        match encoding.as_str() {
            "base64" => base64(&self.raw_body),
            "quoted-printable" => quoted_printable(&self.raw_body),
            "7bit" | "8bit" => self.raw_body.as_bytes().to_vec(),
            other => panic!("unexpected transfer encoding {other}"),
        }
    }

    /// The body decoded as UTF-8 text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.decoded()).expect("a UTF-8 body")
    }
}

/// A parameter of a header value: `name=value`, `name="value"`, or split into RFC 2231
/// continuations (`name*0="..."; name*1="..."`, percent-encoded when written `name*0*=utf-8''...`).
fn parameter(value: &str, name: &str) -> Option<String> {
    let mut pieces: Vec<(usize, Vec<u8>)> = Vec::new();
    for p in value.split(';').skip(1) {
        let Some((key, val)) = p.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let val = val.trim();
        let unquoted = val
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .map_or_else(
                || val.to_owned(),
                |v| v.replace("\\\"", "\"").replace("\\\\", "\\"),
            );
        if key == name {
            return Some(unquoted);
        }
        let Some(rest) = key.strip_prefix(&format!("{name}*")) else {
            continue;
        };
        let (number, extended) = match rest.strip_suffix('*') {
            Some(n) => (n, true),
            None => (rest, false),
        };
        let number: usize = number.parse().ok()?;
        let text = if extended {
            let encoded = unquoted
                .split_once("''")
                .map_or(unquoted.as_str(), |(_, v)| v);
            percent_decoded(encoded)
        } else {
            unquoted.into_bytes()
        };
        pieces.push((number, text));
    }
    pieces.sort();
    (!pieces.is_empty()).then(|| {
        String::from_utf8(pieces.into_iter().flat_map(|(_, t)| t).collect())
            .expect("a UTF-8 parameter")
    })
}

fn percent_decoded(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("a %XX escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn base64(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0_u32, 0_u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            break;
        }
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            other => panic!("not base64: {:?}", char::from(other)),
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if bytes[i + 1..].starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("an =XX escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}
