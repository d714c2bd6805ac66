//! What may leave the process as text: the one funnel every line we print and every status
//! string passes (`printable`), and the credential masking that span and log text share.
//! Attribute keys and metric label values are in `attributes`.

pub mod attributes;
pub use attributes::{
    lane, lane_kept, low_cardinality, low_cardinality_kept, model_id, model_id_kept, session_key_agent, valid_key, UNKNOWN,
};

/// Longest line we hand to the host's logger; the rest is cut and counted.
pub const MAX_LINE: usize = 1000;
/// Longest free-text attribute value (span error text, log attributes).
pub const MAX_TEXT: usize = 256;
pub const REDACTED: &str = "[redacted]";

/// Keys whose value is a secret or personal data wherever they appear (`key=value`,
/// `key: value`, `"key":"value"`), matched case-insensitively on the key's letters only.
const SENSITIVE_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "authorization",
    "auth",
    "cookie",
    "setcookie",
    "credential",
    "credentials",
    "privatekey",
    "sessionkey",
    "chatid",
];

/// A line fit for any log or status: URL user info and credentials masked, control characters
/// escaped (no forged lines), at most `MAX_LINE` characters.
pub fn printable(text: &str) -> String {
    let masked = mask_credentials(text);
    let mut out = String::with_capacity(masked.len().min(MAX_LINE + 32));
    // Escapes count toward the bound: a line of control characters is not five times as long.
    let mut width = 0;
    let mut chars = masked.chars().peekable();
    while let Some(&c) = chars.peek() {
        let escaped = match c {
            '\n' => "\\n".to_string(),
            '\r' => "\\r".to_string(),
            '\t' => " ".to_string(),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202e}') => format!("\\u{{{:x}}}", c as u32),
            c => c.to_string(),
        };
        let n = escaped.chars().count();
        if width + n > MAX_LINE {
            break;
        }
        out.push_str(&escaped);
        width += n;
        chars.next();
    }
    let rest = chars.count();
    if rest > 0 {
        out.push_str(&format!("... ({rest} more characters)"));
    }
    out
}

/// Up to `MAX_TEXT` characters of free text, with anything that looks like a credential masked.
pub fn bounded_text(v: &str) -> String {
    // Most values (providers, models, channels, outcomes) are short and plain.
    if v.len() < 24 && !needs_masking(v) {
        return v.to_string();
    }
    let cut: String = v.chars().take(MAX_TEXT).collect();
    mask_credentials(&cut)
}

/// `bounded_text` of `v` trimmed, reusing `v` when that is what it would return.
pub fn bounded_owned(v: String) -> String {
    let t = v.trim();
    if t.len() == v.len() && t.len() < 24 && !needs_masking(t) {
        return v;
    }
    bounded_text(t)
}

/// `sk-`, `@`, `=` or `:` anywhere; one pass, as it runs for most span text attributes.
fn needs_masking(v: &str) -> bool {
    let b = v.as_bytes();
    b.iter()
        .enumerate()
        .any(|(i, &c)| matches!(c, b'@' | b'=' | b':') || (c == b's' && b.get(i + 1..).is_some_and(|r| r.starts_with(b"k-"))))
}

/// Attribute keys that never leave the process: ids that would name a session, run, message,
/// user or upstream request, and personal data. Compared on lower-cased letters and digits, so
/// `sessionKey`, `session_key` and `session-key` are one key.
const WITHHELD_KEYS: &[&str] = &[
    "callid",
    "chatid",
    "messageid",
    "runid",
    "sessionid",
    "sessionkey",
    "toolcallid",
    "traceid",
    "spanid",
    "parentspanid",
    "requestid",
    "upstreamrequestid",
    "userid",
    "accountid",
    "senderid",
    "email",
    "emailaddress",
    "phone",
    "phonenumber",
    "mobile",
    "username",
    "fullname",
    "ip",
    "ipaddress",
    "clientip",
    "address",
];

/// True when an attribute with this key must be dropped: an id, personal data, or a secret.
pub fn is_withheld_key(key: &str) -> bool {
    WITHHELD_KEYS.contains(&key_letters(key).as_str()) || is_sensitive_key(key)
}

/// True when a key (of an attribute, a header, a `k=v` pair) names a secret or personal data.
pub fn is_sensitive_key(key: &str) -> bool {
    let letters = key_letters(key);
    SENSITIVE_KEYS.iter().any(|k| letters == *k || (letters.ends_with(k) && k.len() >= 5))
}

/// A key's letters and digits, lower-cased: `sessionKey`, `session_key` and `session-key` are one.
fn key_letters(key: &str) -> String {
    key.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// A word that reads as a secret: long, mixed letters and digits, token alphabet only; or an
/// OpenAI-style `sk-` key.
fn secretish(word: &str) -> bool {
    word.starts_with("sk-")
        || (word.len() >= 24
            && word.chars().any(|c| c.is_ascii_digit())
            && word.chars().any(|c| c.is_ascii_alphabetic())
            && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_.=+/:".contains(c)))
}

/// Masks, word by word: URL user info (`scheme://user:pass@host` keeps only the host), the word
/// after `Bearer`/`Basic` and after a sensitive key (`password=x`, `token: x`, `"apiKey":"x"`,
/// `chat id x`), and secret-shaped words. Whitespace is kept as it was.
pub fn mask_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Set when the previous word asks for the next one to be masked.
    let mut mask_next = false;
    let mut prev_bare = String::new();
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end();
        let space = &piece[word.len()..];
        if word.is_empty() {
            out.push_str(piece);
            continue;
        }
        let lower = word.to_ascii_lowercase();
        let bare = lower.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_string();
        let separator = word.chars().all(|c| matches!(c, ':' | '=' | '"'));
        if mask_next && !separator {
            out.push_str(REDACTED);
        } else {
            out.push_str(&mask_word(word));
        }
        out.push_str(space);
        mask_next = (mask_next && separator)
            || matches!(bare.as_str(), "bearer" | "basic")
            // `password: x`, `token= x`, `"apiKey": x`, `secret = x`, and `chat id x`.
            || (is_sensitive_key(&bare) && (word.ends_with(':') || word.ends_with('=')))
            || (separator && is_sensitive_key(&prev_bare))
            || (bare == "id" && prev_bare == "chat");
        prev_bare = bare;
    }
    out
}

/// One word: user info in a URL, `key=value` / `key:value` / `"key":"value"` with a sensitive
/// key, or a secret-shaped word.
fn mask_word(word: &str) -> String {
    let mut w = word.to_string();
    if let Some(i) = w.find("://") {
        let after = i + 3;
        let end = w[after..].find(['/', '?', '#', '"', '\'', ')', ']', ',']).map_or(w.len(), |j| after + j);
        if let Some(at) = w[after..end].rfind('@') {
            w.replace_range(after..after + at + 1, "***@");
        }
    }
    let trim = |v: &str| v.trim_matches(|c: char| matches!(c, '"' | '\'' | ',' | ';' | '(' | ')' | '[' | ']' | '{' | '}')).to_string();
    // `key=value` / `key:value` (not a URL): the key decides, else only the value can be a secret.
    if !w.contains("://") {
        if let Some(i) = w.find(['=', ':']) {
            let (key, value) = (&w[..i], &w[i + 1..]);
            if is_sensitive_key(key) && !value.is_empty() {
                return format!("{}{REDACTED}", &w[..=i]);
            }
            let core = trim(value);
            if !core.is_empty() && secretish(&core) {
                return format!("{}{}", &w[..=i], value.replacen(&core, REDACTED, 1));
            }
            return w;
        }
    }
    let core = trim(&w);
    if secretish(&core) && !core.contains("://") {
        return w.replacen(&core, REDACTED, 1);
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_user_info_never_survives() {
        let line = printable("invalid endpoint 'http://user:PASSWORD@%zz:1/v1/metrics'");
        assert!(!line.contains("PASSWORD") && !line.contains("user:"), "{line}");
        assert!(line.contains("http://***@%zz:1/v1/metrics"), "{line}");
        assert_eq!(printable("to https://collector:4318/v1/metrics every 30s"), "to https://collector:4318/v1/metrics every 30s");
        // A long but plain key=value is not a secret (the startup line's service name).
        let startup = "logs via OTLP to http://127.0.0.1:4318/v1/logs (service.name=openclaw-e2e-gateway-42, events via onDiagnosticEvent)";
        assert_eq!(printable(startup), startup);
        assert_eq!(mask_credentials("id=ghp_0123456789abcdefABCDEF0123,"), "id=[redacted],");
    }

    #[test]
    fn credentials_are_masked_in_free_text() {
        assert_eq!(
            bounded_text("failed: Bearer sk-abc123 and key ghp_0123456789abcdefABCDEF0123"),
            "failed: Bearer [redacted] and key [redacted]"
        );
        assert_eq!(mask_credentials("Authorization: Basic dXNlcjpwYXNz="), "Authorization: [redacted] [redacted]");
        assert_eq!(mask_credentials("password=hunter2 user=bob"), "password=[redacted] user=bob");
        assert_eq!(mask_credentials("{\"apiKey\":\"abc\"}"), "{\"apiKey\":[redacted]");
        assert_eq!(mask_credentials("token: abc next"), "token: [redacted] next");
        assert_eq!(mask_credentials("client secret = abc next"), "client secret = [redacted] next");
        assert_eq!(mask_credentials("failed for chat id chat-4242 after 3 tries"), "failed for chat id [redacted] after 3 tries");
        assert_eq!(mask_credentials("chatId=4242"), "chatId=[redacted]");
        assert_eq!(bounded_text(&"x".repeat(400)).len(), MAX_TEXT);
        assert_eq!(bounded_text("openai"), "openai");
        assert_eq!(bounded_text("timeout after 30000 ms: upstream said 503"), "timeout after 30000 ms: upstream said 503");
    }

    #[test]
    fn lines_are_escaped_and_bounded() {
        let forged = printable("bad value \"x\ndiagnostics-otel: all good\"");
        assert!(!forged.contains('\n'), "{forged}");
        assert!(forged.contains("x\\ndiagnostics-otel"), "{forged}");
        assert!(printable("a\u{1b}[31mred").contains("\\u{1b}"));
        // Found by fuzzing: escapes once made a line of control characters 5x the bound.
        let escapes = printable(&"\u{1}".repeat(3000));
        assert_eq!(escapes.chars().filter(|c| *c == '\\').count(), MAX_LINE / 5, "{escapes}");
        assert!(escapes.ends_with("(2800 more characters)"), "{escapes}");
        let long = printable(&"y".repeat(1_000_000));
        assert!(long.len() < MAX_LINE + 40, "{}", long.len());
        assert!(long.ends_with("(999000 more characters)"), "{}", &long[long.len() - 40..]);
    }

    #[test]
    fn withheld_attribute_keys() {
        for k in [
            "sessionKey",
            "session_key",
            "runId",
            "upstreamRequestId",
            "userId",
            "email",
            "phone",
            "password",
            "cookie",
            "apiKey",
            "chatId",
        ] {
            assert!(is_withheld_key(k), "{k}");
        }
        for k in ["channel", "provider", "model", "durationMs", "outcome", "subsystem", "lane"] {
            assert!(!is_withheld_key(k), "{k}");
        }
    }

    #[test]
    fn sensitive_keys() {
        for k in [
            "password",
            "Password",
            "db_password",
            "X-Api-Key",
            "api_key",
            "authorization",
            "cookie",
            "Set-Cookie",
            "session_key",
            "chatId",
            "client_secret",
            "accessToken",
        ] {
            assert!(is_sensitive_key(k), "{k}");
        }
        for k in ["channel", "provider", "model", "outcome", "tokens", "author", "message"] {
            assert!(!is_sensitive_key(k), "{k}");
        }
    }
}
