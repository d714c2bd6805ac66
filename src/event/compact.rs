//! The compact hand-off from index.js: for each event, only the fields some signal reads (the
//! `Projection`, built by `catalog::projection`), written into columns per batch and read back
//! here without a JSON parser:
//!
//! - `tags` (one byte per slot) and `vals` (one f64 per slot), reused by index.js batch after
//!   batch, so an event costs no allocation there;
//! - `texts`: the batch's distinct strings joined, with their lengths in UTF-16 units (as JS
//!   `length` counts), each sent once however often the batch uses it.
//!
//! A record is a header slot (`HEADER`, value `type index * 8 + trust bits`) and one slot per
//! node of its type's field tree, depth first, so its length is fixed by its type:
//!
//! | tag | value | what |
//! |---|---|---|
//! | `ABSENT` | | undefined, null, NaN, ±Infinity, a function (what JSON.stringify drops) |
//! | `NUMBER` | the number | |
//! | `TEXT` | text index | a string |
//! | `TRUE`, `FALSE` | | |
//! | `JSON` | text index | any other value as JSON (arrays, an object where a value is read) |
//! | `OBJECT` | | an object node: its children's slots follow |
//!
//! An object node holding something else takes that value's tag and leaves its children's slots
//! `ABSENT`. A type read whole (log records when logs are on) has one `JSON` slot: the event.
//!
//! On arrival the columns are packed (`pack`) for the recording queue: a tag byte per slot, and
//! its value, if it has one, as a varint when it is a whole number below 2^53 (text indexes,
//! counts, times), else as 8 bytes. An event then queues in about 20 bytes.

use super::{parse, parse_value, Event, Fields, Malformed, Trust};
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

pub const ABSENT: u8 = 0;
pub const NUMBER: u8 = 1;
pub const TEXT: u8 = 2;
pub const TRUE: u8 = 3;
pub const FALSE: u8 = 4;
pub const JSON: u8 = 5;
pub const OBJECT: u8 = 6;
pub const HEADER: u8 = 7;

/// A record that does not follow the projection: the rest of its batch cannot be read.
struct OutOfStep;

/// A field's value: absent, present, or present but undecodable (the event is then malformed).
enum Read {
    Absent,
    Value(Value),
    Bad(Malformed),
}

/// One queued batch: its packed slots and its texts, already split.
pub struct Batch<'a> {
    pub packed: &'a [u8],
    pub texts: Vec<&'a str>,
}

/// Marks a packed value stored as 8 bytes, not a varint.
const RAW: u8 = 0x80;
/// A tag index.js never writes: packed as is, read as out of step.
const INVALID: u8 = 0x7f;
const WHOLE_BELOW: f64 = 9_007_199_254_740_992.0;

/// The columns packed for the queue (see the module doc); columns of unequal length pack as
/// one invalid slot, so the batch reads as out of step.
pub fn pack(tags: &[u8], vals: &[f64]) -> Vec<u8> {
    if tags.len() != vals.len() {
        return vec![INVALID];
    }
    let mut out = Vec::with_capacity(tags.len() * 3);
    for (&tag, &val) in tags.iter().zip(vals) {
        match tag {
            NUMBER | TEXT | JSON | HEADER => {
                if val.fract() == 0.0 && (0.0..WHOLE_BELOW).contains(&val) {
                    out.push(tag);
                    let mut v = val as u64;
                    while v >= 0x80 {
                        out.push((v as u8) | 0x80);
                        v >>= 7;
                    }
                    out.push(v as u8);
                } else {
                    out.push(tag | RAW);
                    out.extend_from_slice(&val.to_le_bytes());
                }
            }
            ABSENT | TRUE | FALSE | OBJECT => out.push(tag),
            _ => out.push(INVALID),
        }
    }
    out
}

/// `joined` cut into texts of `lens` UTF-16 units each; None if they do not add up.
pub fn split_texts<'a>(joined: &'a str, lens: &[u32]) -> Option<Vec<&'a str>> {
    let mut out = Vec::with_capacity(lens.len());
    let mut rest = joined;
    for &units in lens {
        let units = units as usize;
        // ASCII (almost every value) is one unit per byte.
        let bytes = match rest.as_bytes().get(..units) {
            Some(head) if head.is_ascii() => units,
            _ => {
                let mut counted = 0;
                let mut end = rest.len();
                for (i, c) in rest.char_indices() {
                    if counted >= units {
                        end = i;
                        break;
                    }
                    counted += c.len_utf16();
                }
                if counted != units {
                    return None;
                }
                end
            }
        };
        let (text, tail) = rest.split_at_checked(bytes)?;
        out.push(text);
        rest = tail;
    }
    rest.is_empty().then_some(out)
}

/// What JSON.stringify then serde_json would make of a JS number: integers below 1e21 (which
/// JS prints without an exponent) stay integers when they fit, as serde_json reads them.
fn number(x: f64) -> Read {
    if !x.is_finite() {
        return Read::Absent;
    }
    if x.fract() == 0.0 && x.abs() < 1e21 {
        if (0.0..18_446_744_073_709_551_616.0).contains(&x) {
            return Read::Value(Value::Number(Number::from(x as u64)));
        }
        if (-9_223_372_036_854_775_808.0..0.0).contains(&x) {
            return Read::Value(Value::Number(Number::from(x as i64)));
        }
    }
    Number::from_f64(x).map_or(Read::Absent, |n| Read::Value(Value::Number(n)))
}

struct Cursor<'a, 'b> {
    batch: &'b Batch<'a>,
    /// A byte offset into `batch.packed`.
    at: usize,
}

impl Cursor<'_, '_> {
    fn byte(&mut self) -> Result<u8, OutOfStep> {
        let b = *self.batch.packed.get(self.at).ok_or(OutOfStep)?;
        self.at += 1;
        Ok(b)
    }

    fn slot(&mut self) -> Result<(u8, f64), OutOfStep> {
        let tag = self.byte()?;
        match tag {
            NUMBER | TEXT | JSON | HEADER => {
                let (mut v, mut shift) = (0u64, 0);
                loop {
                    let b = self.byte()?;
                    if shift > 56 {
                        return Err(OutOfStep);
                    }
                    v |= u64::from(b & 0x7f) << shift;
                    if b & 0x80 == 0 {
                        break;
                    }
                    shift += 7;
                }
                Ok((tag, v as f64))
            }
            t if t & RAW != 0 => {
                let bytes = self.batch.packed.get(self.at..self.at + 8).ok_or(OutOfStep)?;
                self.at += 8;
                let mut raw = [0u8; 8];
                raw.copy_from_slice(bytes);
                Ok((t & !RAW, f64::from_le_bytes(raw)))
            }
            _ => Ok((tag, 0.0)),
        }
    }

    fn text(&self, index: f64) -> Result<&str, OutOfStep> {
        if !(index >= 0.0 && index.fract() == 0.0) {
            return Err(OutOfStep);
        }
        self.batch.texts.get(index as usize).copied().ok_or(OutOfStep)
    }

    /// The slots of `fields` that an object node not holding an object leaves absent.
    fn skip(&mut self, fields: &[Field]) -> Result<(), OutOfStep> {
        for f in fields {
            if self.slot()?.0 != ABSENT {
                return Err(OutOfStep);
            }
            self.skip(&f.children)?;
        }
        Ok(())
    }

    fn field(&mut self, f: &Field) -> Result<Read, OutOfStep> {
        let (tag, val) = self.slot()?;
        let read = match tag {
            ABSENT => Read::Absent,
            NUMBER => number(val),
            TEXT => Read::Value(Value::String(self.text(val)?.to_string())),
            TRUE => Read::Value(Value::Bool(true)),
            FALSE => Read::Value(Value::Bool(false)),
            JSON => match parse_value(self.text(val)?) {
                Ok(v) => Read::Value(v),
                Err(e) => Read::Bad(Malformed(format!("`{}`: invalid JSON ({:?})", f.key, e.classify()))),
            },
            OBJECT if !f.whole => {
                let mut map = Map::new();
                return Ok(
                    match self.fields(&f.children, |k, v| {
                        map.insert(k, v);
                    })? {
                        Some(m) => Read::Bad(m),
                        None => Read::Value(Value::Object(map)),
                    },
                );
            }
            _ => return Err(OutOfStep),
        };
        self.skip(&f.children)?;
        Ok(read)
    }

    /// Reads `fields`, handing each present one to `put`; the first undecodable value, if any
    /// (the rest is still read).
    fn fields(&mut self, fields: &[Field], mut put: impl FnMut(String, Value)) -> Result<Option<Malformed>, OutOfStep> {
        let mut bad = None;
        for f in fields {
            match self.field(f)? {
                Read::Absent => {}
                Read::Value(v) => put(f.key.clone(), v),
                Read::Bad(m) => bad = bad.or(Some(m)),
            }
        }
        Ok(bad)
    }
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
    pub fn decode(&self, batch: &Batch, mut each: impl FnMut(Trust, Result<Event, Malformed>)) -> usize {
        let mut c = Cursor { batch, at: 0 };
        let mut read = 0;
        while c.at < batch.packed.len() {
            match self.record(&mut c) {
                Ok((trust, ev)) => each(trust, ev),
                Err(OutOfStep) => break,
            }
            read += 1;
        }
        read
    }

    fn record(&self, c: &mut Cursor) -> Result<(Trust, Result<Event, Malformed>), OutOfStep> {
        let (tag, head) = c.slot()?;
        if tag != HEADER || !(head >= 0.0 && head.fract() == 0.0 && head < 1e9) {
            return Err(OutOfStep);
        }
        let head = head as u64;
        let trust = Trust::from_bits((head % 8) as u32);
        let shape = self.types.get((head / 8) as usize).ok_or(OutOfStep)?;
        if shape.whole {
            let (tag, val) = c.slot()?;
            if tag != JSON {
                return Err(OutOfStep);
            }
            return Ok((trust, parse(c.text(val)?)));
        }
        let mut fields = Fields::with_capacity_and_hasher(shape.fields.len() + 1, Default::default());
        fields.insert("type".into(), Value::String(shape.kind.clone()));
        let bad = c.fields(&shape.fields, |k, v| {
            fields.insert(k, v);
        })?;
        Ok((
            trust,
            match bad {
                Some(m) => Err(m),
                None => Ok(Event::of(fields)),
            },
        ))
    }
}

/// A batch being written, as index.js writes it: here for tests, fuzzing and the instruction
/// bench.
#[derive(Default, Clone, Debug)]
pub struct Columns {
    pub tags: Vec<u8>,
    pub vals: Vec<f64>,
    pub texts: Vec<String>,
}

impl Columns {
    /// The columns packed, as the queue holds them.
    pub fn packed(&self) -> Vec<u8> {
        pack(&self.tags, &self.vals)
    }

    /// The texts joined and their UTF-16 lengths, as `pushColumns` receives them.
    pub fn joined(&self) -> (String, Vec<u32>) {
        (self.texts.concat(), self.texts.iter().map(|t| t.encode_utf16().count() as u32).collect())
    }

    fn put(&mut self, tag: u8, val: f64) {
        self.tags.push(tag);
        self.vals.push(val);
    }

    fn text(&mut self, tag: u8, s: String) {
        let i = match self.texts.iter().position(|t| *t == s) {
            Some(i) => i,
            None => {
                self.texts.push(s);
                self.texts.len() - 1
            }
        };
        self.put(tag, i as f64);
    }

    fn leaf(&mut self, v: Option<&Value>) {
        match v {
            None | Some(Value::Null) => self.put(ABSENT, 0.0),
            Some(Value::Bool(b)) => self.put(if *b { TRUE } else { FALSE }, 0.0),
            Some(Value::Number(n)) => self.put(NUMBER, n.as_f64().unwrap_or(f64::NAN)),
            Some(Value::String(s)) => self.text(TEXT, s.clone()),
            Some(other) => self.text(JSON, other.to_string()),
        }
    }

    fn absent(&mut self, fs: &[Field]) {
        for f in fs {
            self.put(ABSENT, 0.0);
            self.absent(&f.children);
        }
    }

    fn fields(&mut self, fs: &[Field], obj: &Map<String, Value>) {
        for f in fs {
            match obj.get(&f.key) {
                Some(Value::Object(inner)) if !f.whole => {
                    self.put(OBJECT, 0.0);
                    self.fields(&f.children, inner);
                }
                v => {
                    self.leaf(v);
                    self.absent(&f.children);
                }
            }
        }
    }

    /// Appends `ev` (any JSON object) projected as index.js would; false (nothing written) for a
    /// type outside the projection, which index.js only counts.
    pub fn push(&mut self, projection: &Projection, ev: &Value, trust: Trust) -> bool {
        let Some(obj) = ev.as_object() else { return false };
        let Some(kind) = obj.get("type").and_then(Value::as_str) else { return false };
        let Some(index) = projection.types.iter().position(|t| t.kind == kind) else { return false };
        let shape = &projection.types[index];
        self.put(HEADER, (index * 8) as f64 + f64::from(trust.bits()));
        if shape.whole {
            self.text(JSON, ev.to_string());
        } else {
            self.fields(&shape.fields, obj);
        }
        true
    }
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

    fn decoded(tags: &[u8], vals: &[f64], texts: &[&str]) -> (usize, Vec<Result<Value, Malformed>>) {
        let mut out = Vec::new();
        let packed = pack(tags, vals);
        let batch = Batch { packed: &packed, texts: texts.to_vec() };
        let read = projection().decode(&batch, |_, ev| out.push(ev.map(|e| e.to_value())));
        (read, out)
    }

    #[test]
    fn records_decode_to_the_projected_fields() {
        let tags = [HEADER, TEXT, OBJECT, NUMBER, NUMBER, JSON, HEADER, JSON];
        let vals = [1.0, 0.0, 0.0, 12.0, -3.5e-7, 1.0, 8.0, 2.0];
        let (read, evs) = decoded(&tags, &vals, &["webchat", r#"["a","b"]"#, r#"{"type":"log.record","n":1e21}"#]);
        assert_eq!(read, 2);
        assert_eq!(
            evs[0].as_ref().unwrap(),
            &json!({"type":"model.usage","channel":"webchat","usage":{"input":12,"output":-3.5e-7},"tags":["a","b"]})
        );
        assert_eq!(evs[1].as_ref().unwrap()["n"].as_f64(), Some(1e21));
    }

    #[test]
    fn numbers_read_as_serde_json_reads_what_json_stringify_prints() {
        // What JSON.stringify prints for each (JS prints integers below 1e21 whole).
        let printed = [
            (12.0, "12"),
            (-0.0, "0"),
            (-7.0, "-7"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (2f64.powi(60), "1152921504606846976"),
            (2f64.powi(64), "18446744073709552000"),
        ];
        for (x, printed) in printed {
            let Read::Value(v) = number(x) else { panic!("{x}") };
            assert_eq!(v, serde_json::from_str::<Value>(printed).unwrap(), "{x}");
        }
        assert!(matches!(number(f64::NAN), Read::Absent));
    }

    #[test]
    fn packing_keeps_every_value_and_whole_numbers_small() {
        let vals = [0.0, 127.0, 128.0, 1_795_332_880_000.0, -7.0, 0.5, 2f64.powi(53), f64::NAN, 1e300];
        let tags = [NUMBER; 9];
        let packed = pack(&tags, &vals);
        let batch = Batch { packed: &packed, texts: vec![] };
        let mut c = Cursor { batch: &batch, at: 0 };
        for v in vals {
            let (tag, got) = c.slot().ok().unwrap();
            assert_eq!(tag, NUMBER);
            assert_eq!(got.to_bits(), v.to_bits(), "{v}");
        }
        assert_eq!(c.at, packed.len());
        // 1 + 2 + 3 + 7 bytes for the four whole numbers, 9 for each of the others.
        assert_eq!(packed.len(), 2 + 2 + 3 + 7 + 5 * 9);
        assert_eq!(pack(&[NUMBER, 99], &[1.0, 0.0]), vec![NUMBER, 1, INVALID]);
        assert_eq!(pack(&[NUMBER], &[]), vec![INVALID], "columns of unequal length");
    }

    #[test]
    fn texts_split_by_utf16_lengths_like_js() {
        // "é" is 1 unit (2 bytes), "😀" 2 units (4 bytes), U+FFFD (a lone surrogate after napi) 1.
        assert_eq!(split_texts("abé😀\u{FFFD}|x", &[2, 4, 1, 1]), Some(vec!["ab", "é😀\u{FFFD}", "|", "x"]));
        assert_eq!(split_texts("abc", &[2]), None, "left over");
        assert_eq!(split_texts("a😀", &[2]), None, "half a pair");
        assert_eq!(split_texts("", &[]), Some(vec![]));
    }

    #[test]
    fn a_scalar_where_an_object_is_projected_travels_as_it_is() {
        let (_, evs) = decoded(&[HEADER, ABSENT, TEXT, ABSENT, ABSENT, ABSENT], &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0], &["lots"]);
        let ev = Event::from_fields(evs[0].as_ref().unwrap().as_object().unwrap().clone()).unwrap();
        assert!(ev.num("usage.input").is_err(), "as with the JSON: a parent that is not an object is malformed");
    }

    #[test]
    fn undecodable_json_costs_its_event_and_a_broken_record_stops_the_batch() {
        let (read, evs) = decoded(&[HEADER, ABSENT, OBJECT, ABSENT, ABSENT, JSON, HEADER, ABSENT], &[0.0; 8], &["[x"]);
        assert_eq!(read, 1, "the second record is cut short");
        assert!(evs[0].is_err());
        assert_eq!(decoded(&[HEADER, ABSENT], &[72.0, 0.0], &[]).0, 0, "no such type index");
        assert_eq!(decoded(&[HEADER, TEXT, ABSENT, ABSENT, ABSENT, ABSENT], &[0.0, 5.0, 0.0, 0.0, 0.0, 0.0], &[]).0, 0, "no such text");
        assert_eq!(
            decoded(&[HEADER, ABSENT, TEXT, NUMBER, ABSENT, ABSENT], &[0.0, 0.0, 0.0, 1.0, 0.0, 0.0], &["x"]).0,
            0,
            "a child of a scalar"
        );
    }

    #[test]
    fn the_test_writer_round_trips() {
        let p = projection();
        let ev = json!({"type":"model.usage","channel":"a😀b","usage":{"input":5,"x":1},"tags":["t"],"message":"not projected"});
        let mut cols = Columns::default();
        assert!(cols.push(&p, &ev, Trust::from_bits(5)));
        assert!(cols.push(&p, &ev, Trust::from_bits(0)));
        assert!(!cols.push(&p, &json!({"type":"run.progress"}), Trust::default()));
        assert_eq!(cols.texts.len(), 2, "a batch sends each distinct text once");
        let (joined, lens) = cols.joined();
        let packed = cols.packed();
        let batch = Batch { packed: &packed, texts: split_texts(&joined, &lens).unwrap() };
        let mut got = Vec::new();
        assert_eq!(p.decode(&batch, |t, e| got.push((t.bits(), e.map(|e| e.to_value())))), 2);
        assert_eq!(got[0], (5, Ok(json!({"type":"model.usage","channel":"a😀b","usage":{"input":5},"tags":["t"]}))));
    }
}
