//! The compact hand-off from index.js: for each event, only the fields some signal reads (the
//! `Projection`, built by `catalog::projection`), written into one string per batch and read
//! back here without a JSON parser. One record:
//!
//! ```text
//! <trust digit><type index>|<field>...\n
//! ```
//!
//! with one field per projected key, in the projection's order:
//!
//! | field | what |
//! |---|---|
//! | `-` | absent: undefined, null, NaN, ±Infinity, a function (what JSON.stringify drops) |
//! | `n<number>;` | a finite number as JS prints it |
//! | `t`, `f` | a boolean |
//! | `s<len>:<text>` | a string; `len` counts UTF-16 units, as JS `length` does |
//! | `j<len>:<json>` | any other value as JSON (arrays, an object where a value is read) |
//! | `{<field>...}` | an object whose own keys are projected, each a field as above |
//!
//! A type read whole (log records when logs are on) has one `j` field: the event's JSON.

use super::{parse, parse_value, Event, Malformed, Trust};
use serde_json::{Map, Number, Value};

/// A projected key: a leaf (`whole`: the value travels as it is) or an object of projected keys.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub key: String,
    pub whole: bool,
    pub children: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeShape {
    pub kind: String,
    /// Sent as the event's JSON (the log types when logs are on).
    pub whole: bool,
    pub fields: Vec<Field>,
}

/// The types a generation reads, in type-index order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Projection {
    pub types: Vec<TypeShape>,
}

/// A record that does not follow the projection: the rest of its batch cannot be read.
struct OutOfStep;

/// A field's value: absent, present, or present but undecodable (the event is then malformed).
enum Read {
    Absent,
    Value(Value),
    Bad(Malformed),
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn byte(&mut self) -> Result<u8, OutOfStep> {
        let b = *self.s.as_bytes().get(self.pos).ok_or(OutOfStep)?;
        self.pos += 1;
        Ok(b)
    }

    /// The text up to `end`, which is consumed.
    fn until(&mut self, end: u8) -> Result<&'a str, OutOfStep> {
        let rest = self.s.get(self.pos..).ok_or(OutOfStep)?;
        let n = rest.bytes().position(|b| b == end).ok_or(OutOfStep)?;
        self.pos += n + 1;
        Ok(&rest[..n])
    }

    /// `<len>:` then `len` UTF-16 units of text.
    fn text(&mut self) -> Result<&'a str, OutOfStep> {
        let units: usize = self.until(b':')?.parse().map_err(|_| OutOfStep)?;
        let rest = self.s.get(self.pos..).ok_or(OutOfStep)?;
        // ASCII (almost every value) is one unit per byte.
        let bytes = match rest.as_bytes().get(..units) {
            Some(head) if head.is_ascii() => units,
            _ => {
                let mut counted = 0;
                let mut end = None;
                for (i, c) in rest.char_indices() {
                    if counted == units {
                        end = Some(i);
                        break;
                    }
                    counted += c.len_utf16();
                }
                match end {
                    Some(i) => i,
                    None if counted == units => rest.len(),
                    None => return Err(OutOfStep),
                }
            }
        };
        self.pos += bytes;
        rest.get(..bytes).ok_or(OutOfStep)
    }
}

fn number(text: &str) -> Read {
    // As serde_json reads the same digits: integers that fit stay integers.
    let integral = !text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'));
    if integral {
        if let Ok(u) = text.parse::<u64>() {
            return Read::Value(Value::Number(Number::from(u)));
        }
        if let Ok(i) = text.parse::<i64>() {
            return Read::Value(Value::Number(Number::from(i)));
        }
    }
    match text.parse::<f64>().ok().and_then(Number::from_f64) {
        Some(n) => Read::Value(Value::Number(n)),
        None => Read::Absent,
    }
}

fn field(c: &mut Cursor, f: &Field) -> Result<Read, OutOfStep> {
    Ok(match c.byte()? {
        b'-' => Read::Absent,
        b't' => Read::Value(Value::Bool(true)),
        b'f' => Read::Value(Value::Bool(false)),
        b'n' => number(c.until(b';')?),
        b's' => Read::Value(Value::String(c.text()?.to_string())),
        b'j' => match parse_value(c.text()?) {
            Ok(v) => Read::Value(v),
            Err(e) => Read::Bad(Malformed(format!("`{}`: invalid JSON ({:?})", f.key, e.classify()))),
        },
        b'{' if !f.whole => {
            let mut map = Map::new();
            let mut bad = None;
            for child in &f.children {
                match field(c, child)? {
                    Read::Absent => {}
                    Read::Value(v) => {
                        map.insert(child.key.clone(), v);
                    }
                    Read::Bad(m) => bad = Some(m),
                }
            }
            if c.byte()? != b'}' {
                return Err(OutOfStep);
            }
            match bad {
                Some(m) => Read::Bad(m),
                None => Read::Value(Value::Object(map)),
            }
        }
        _ => return Err(OutOfStep),
    })
}

impl Projection {
    pub fn new(types: Vec<TypeShape>) -> Self {
        Projection { types }
    }

    /// For index.js: `[{"type", "whole", "fields"}]`, a field being its key (a leaf) or
    /// `[key, [fields]]` (an object of projected keys).
    pub fn to_json(&self) -> String {
        fn fields(fs: &[Field]) -> Value {
            Value::Array(
                fs.iter()
                    .map(
                        |f| {
                            if f.whole {
                                Value::String(f.key.clone())
                            } else {
                                Value::Array(vec![f.key.clone().into(), fields(&f.children)])
                            }
                        },
                    )
                    .collect(),
            )
        }
        let types: Vec<Value> =
            self.types.iter().map(|t| serde_json::json!({"type": t.kind, "whole": t.whole, "fields": fields(&t.fields)})).collect();
        Value::Array(types).to_string()
    }

    /// Reads a batch in order, handing each record's trust and event (or why it is malformed) to
    /// `each`. Returns how many records were read: fewer than were sent means the batch went out
    /// of step (a bug, never the event's content) and the rest could not be read.
    pub fn decode(&self, batch: &str, mut each: impl FnMut(Trust, Result<Event, Malformed>)) -> usize {
        let mut c = Cursor { s: batch, pos: 0 };
        let mut read = 0;
        while c.pos < batch.len() {
            match self.record(&mut c) {
                Ok((trust, ev)) => each(trust, ev),
                Err(OutOfStep) => break,
            }
            read += 1;
        }
        read
    }

    fn record(&self, c: &mut Cursor) -> Result<(Trust, Result<Event, Malformed>), OutOfStep> {
        let trust = match c.byte()? {
            d @ b'0'..=b'7' => Trust::from_bits(u32::from(d - b'0')),
            _ => return Err(OutOfStep),
        };
        let index: usize = c.until(b'|')?.parse().map_err(|_| OutOfStep)?;
        let shape = self.types.get(index).ok_or(OutOfStep)?;
        let ev = if shape.whole {
            if c.byte()? != b'j' {
                return Err(OutOfStep);
            }
            parse(c.text()?)
        } else {
            let mut fields = Map::new();
            fields.insert("type".into(), Value::String(shape.kind.clone()));
            let mut bad = None;
            for f in &shape.fields {
                match field(c, f)? {
                    Read::Absent => {}
                    Read::Value(v) => {
                        fields.insert(f.key.clone(), v);
                    }
                    Read::Bad(m) => bad = Some(m),
                }
            }
            match bad {
                Some(m) => Err(m),
                None => Ok(Event { fields }),
            }
        };
        if c.byte()? != b'\n' {
            return Err(OutOfStep);
        }
        Ok((trust, ev))
    }
}

/// What index.js writes for one event, here for tests, fuzzing and the instruction bench: `ev` (any JSON
/// object) projected by `shape`, as one record. Numbers print as Rust prints them, which the
/// decoder reads like JS's.
pub fn encode(projection: &Projection, ev: &Value, trust: Trust) -> Option<String> {
    fn js_len(s: &str) -> usize {
        s.encode_utf16().count()
    }
    fn leaf(v: Option<&Value>, out: &mut String) {
        match v {
            None | Some(Value::Null) => out.push('-'),
            Some(Value::Bool(b)) => out.push(if *b { 't' } else { 'f' }),
            Some(Value::Number(n)) => {
                out.push('n');
                out.push_str(&n.to_string());
                out.push(';');
            }
            Some(Value::String(s)) => out.push_str(&format!("s{}:{s}", js_len(s))),
            Some(other) => {
                let j = other.to_string();
                out.push_str(&format!("j{}:{j}", js_len(&j)));
            }
        }
    }
    fn fields(fs: &[Field], obj: &Map<String, Value>, out: &mut String) {
        for f in fs {
            match obj.get(&f.key) {
                Some(Value::Object(inner)) if !f.whole => {
                    out.push('{');
                    fields(&f.children, inner, out);
                    out.push('}');
                }
                v => leaf(v, out),
            }
        }
    }
    let obj = ev.as_object()?;
    let kind = obj.get("type")?.as_str()?;
    let index = projection.types.iter().position(|t| t.kind == kind)?;
    let shape = &projection.types[index];
    let mut out = format!("{}{index}|", trust.bits());
    if shape.whole {
        leaf(Some(ev), &mut out);
    } else {
        fields(&shape.fields, obj, &mut out);
    }
    out.push('\n');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn projection() -> Projection {
        let leaf = |k: &str| Field { key: k.into(), whole: true, children: vec![] };
        Projection::new(vec![
            TypeShape {
                kind: "model.usage".into(),
                whole: false,
                fields: vec![
                    leaf("channel"),
                    Field { key: "usage".into(), whole: false, children: vec![leaf("input"), leaf("output")] },
                    leaf("tags"),
                ],
            },
            TypeShape { kind: "log.record".into(), whole: true, fields: vec![] },
        ])
    }

    fn decoded(batch: &str) -> (usize, Vec<Result<Value, Malformed>>) {
        let mut out = Vec::new();
        let read = projection().decode(batch, |_, ev| out.push(ev.map(|e| Value::Object(e.fields))));
        (read, out)
    }

    #[test]
    fn records_decode_to_the_projected_fields() {
        let batch = "10|s7:webchat{n12;n-3.5e-7;}j9:[\"a\",\"b\"]\n01|j30:{\"type\":\"log.record\",\"n\":1e21}\n";
        let (read, evs) = decoded(batch);
        assert_eq!(read, 2);
        assert_eq!(
            evs[0].as_ref().unwrap(),
            &json!({"type":"model.usage","channel":"webchat","usage":{"input":12,"output":-3.5e-7},"tags":["a","b"]})
        );
        assert_eq!(evs[1].as_ref().unwrap()["n"].as_f64(), Some(1e21));
    }

    #[test]
    fn lengths_count_utf16_units_like_js() {
        // "é" is 1 unit (2 bytes), "😀" 2 units (4 bytes), U+FFFD (a lone surrogate after napi) 1.
        let batch = "00|s6:é😀\u{FFFD}|\n{--}-\n";
        let (read, evs) = decoded(batch);
        assert_eq!(read, 1);
        assert_eq!(evs[0].as_ref().unwrap()["channel"], json!("é😀\u{FFFD}|\n"));
    }

    #[test]
    fn a_scalar_where_an_object_is_projected_travels_as_it_is() {
        let (_, evs) = decoded("00|-s4:lots-\n");
        let ev = Event { fields: evs[0].as_ref().unwrap().as_object().unwrap().clone() };
        assert!(ev.num("usage.input").is_err(), "as with the JSON: a parent that is not an object is malformed");
    }

    #[test]
    fn undecodable_json_costs_its_event_and_a_broken_record_stops_the_batch() {
        let (read, evs) = decoded("00|-{--}j2:[x\n00|--\n");
        assert_eq!(read, 1, "the second record is out of step");
        assert!(evs[0].is_err());
        let (read, _) = decoded("09|---\n");
        assert_eq!(read, 0, "no such type index");
    }

    #[test]
    fn the_test_encoder_round_trips() {
        let p = projection();
        let ev = json!({"type":"model.usage","channel":"a😀b","usage":{"input":5,"x":1},"tags":["t"],"message":"not projected"});
        let line = encode(&p, &ev, Trust::from_bits(5)).unwrap();
        let mut got = None;
        assert_eq!(p.decode(&line, |t, e| got = Some((t.bits(), e.map(|e| Value::Object(e.fields))))), 1);
        assert_eq!(got.unwrap(), (5, Ok(json!({"type":"model.usage","channel":"a😀b","usage":{"input":5},"tags":["t"]}))));
    }
}
