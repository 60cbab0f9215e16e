//! Policy conditions, in OVHcloud's shape: `{operator: AND | OR | NOT | MATCH, conditions[],
//! values{key: value}}`, at most [`MAX_DEPTH`] levels deep.
//!
//! A `MATCH` holds when every one of its `values` does; `AND` when all its `conditions` do, `OR`
//! when one does, `NOT` when its one condition does not. A key names what is compared and, after
//! a last dot, how (`EQ` when no operator is given):
//!
//! | key | operators | value |
//! | --- | --- | --- |
//! | `resource.Tag(<key>)`, `resource.Name`, `resource.Type` | `EQ`, `IN`, `STARTS_WITH`, `ENDS_WITH` | text; `IN`: a comma-separated list |
//! | `request.IP` | `EQ`, `IN`, `IN_RANGE` | an address; `IN`: a list; `IN_RANGE`: CIDR blocks, comma-separated |
//! | `date(<IANA zone>).WeekDay` | `EQ`, `IN`, `GE`, `GT`, `LE`, `LT`, `BEFORE`, `AFTER` | `monday` … `sunday` (Monday first) |
//! | `date(<IANA zone>).Hour` | the same | `0` … `23` |
//! | `date(<IANA zone>).Date` | the same | `YYYY-MM-DD` |
//!
//! Operators are read without regard to case or underscores (`IN_RANGE`, `InRange`, `.In`), as
//! OVHcloud's own examples spell them both ways. A policy's conditions are checked per decision
//! against [`Facts`]: the time, the caller's address, and the resource's name, type and tags.
//! A fact that is missing (no address, a tag the resource lacks) fails every comparison, so a
//! condition on it holds only under `NOT`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// How deep conditions may nest (the top level counts as one).
pub const MAX_DEPTH: usize = 3;
/// Most values one `MATCH` may hold.
pub const MAX_VALUES: usize = 20;
/// Most conditions one `AND` or `OR` may hold.
pub const MAX_CONDITIONS: usize = 20;
/// Most items of one list value (`IN`, `IN_RANGE`).
pub const MAX_LIST: usize = 100;
/// Longest value.
pub const MAX_VALUE_LEN: usize = 2048;

/// How a condition combines what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operator {
    And,
    Or,
    Not,
    Match,
}

/// A condition as OVHcloud's API spells it: what a request gives and an answer shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionDocument {
    pub operator: Operator,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<ConditionDocument>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<BTreeMap<String, String>>,
}

/// A validated condition: the document it was read from, and its compiled form.
#[derive(Debug, Clone)]
pub struct Condition {
    document: ConditionDocument,
    node: Node,
}

impl PartialEq for Condition {
    fn eq(&self, other: &Self) -> bool {
        self.document == other.document
    }
}

impl Eq for Condition {}

#[derive(Debug, Clone)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Match(Vec<Test>),
}

/// What a condition is checked against.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts<'a> {
    pub now: DateTime<Utc>,
    /// The caller's address, when known.
    pub ip: Option<IpAddr>,
    pub resource: ResourceFacts<'a>,
}

/// What a condition may read of the resource acted on.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResourceFacts<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub tags: Option<&'a BTreeMap<String, String>>,
}

impl<'a> ResourceFacts<'a> {
    /// The name and type a resource URN spells (`urn:v1:{plate}:resource:{type}:{name}`), for a
    /// resource nothing registered: no tags.
    pub fn of_urn(urn: &'a str) -> Self {
        let mut parts = urn.splitn(6, ':');
        let kind = parts.nth(4).unwrap_or("");
        let name = parts.next().unwrap_or("");
        Self {
            name,
            kind,
            tags: None,
        }
    }
}

impl Condition {
    /// Checks a document: operators, keys, values and depth; the error names the fault.
    pub fn parse(document: ConditionDocument) -> Result<Self> {
        let node = compile(&document, 1)?;
        Ok(Self { document, node })
    }

    pub fn document(&self) -> &ConditionDocument {
        &self.document
    }

    /// Whether the condition holds for `facts`.
    pub fn holds(&self, facts: &Facts<'_>) -> bool {
        self.node.holds(facts)
    }
}

fn compile(doc: &ConditionDocument, depth: usize) -> Result<Node> {
    if depth > MAX_DEPTH {
        return Err(Error::invalid(format!(
            "conditions nest at most {MAX_DEPTH} levels deep"
        )));
    }
    let name = match doc.operator {
        Operator::And => "AND",
        Operator::Or => "OR",
        Operator::Not => "NOT",
        Operator::Match => "MATCH",
    };
    let children = doc.conditions.as_deref().unwrap_or_default();
    let values = doc.values.as_ref();
    if doc.operator == Operator::Match {
        if !children.is_empty() {
            return Err(Error::invalid(
                "a MATCH condition holds values, not conditions; combine conditions with AND, \
                 OR or NOT",
            ));
        }
        let values = values.filter(|v| !v.is_empty()).ok_or_else(|| {
            Error::invalid("a MATCH condition needs at least one entry in values")
        })?;
        if values.len() > MAX_VALUES {
            return Err(Error::invalid(format!(
                "a MATCH condition holds at most {MAX_VALUES} values"
            )));
        }
        let tests = values
            .iter()
            .map(|(k, v)| Test::parse(k, v))
            .collect::<Result<_>>()?;
        return Ok(Node::Match(tests));
    }
    if values.is_some_and(|v| !v.is_empty()) {
        return Err(Error::invalid(format!(
            "an {name} condition combines conditions and holds no values; put the values in a \
             MATCH condition"
        )));
    }
    if children.is_empty() {
        return Err(Error::invalid(format!(
            "an {name} condition needs at least one entry in conditions"
        )));
    }
    if doc.operator == Operator::Not && children.len() != 1 {
        return Err(Error::invalid(
            "a NOT condition negates exactly one condition; combine several with AND or OR \
             inside it",
        ));
    }
    if children.len() > MAX_CONDITIONS {
        return Err(Error::invalid(format!(
            "an {name} condition holds at most {MAX_CONDITIONS} conditions"
        )));
    }
    let nodes = children
        .iter()
        .map(|c| compile(c, depth + 1))
        .collect::<Result<Vec<_>>>()?;
    Ok(match doc.operator {
        Operator::And => Node::All(nodes),
        Operator::Or => Node::Any(nodes),
        _ => Node::Not(Box::new(
            nodes.into_iter().next().unwrap_or(Node::All(Vec::new())),
        )),
    })
}

impl Node {
    fn holds(&self, facts: &Facts<'_>) -> bool {
        match self {
            Node::All(nodes) => nodes.iter().all(|n| n.holds(facts)),
            Node::Any(nodes) => nodes.iter().any(|n| n.holds(facts)),
            Node::Not(node) => !node.holds(facts),
            Node::Match(tests) => tests.iter().all(|t| t.holds(facts)),
        }
    }
}

/// One entry of a `MATCH`: a key's subject compared with its value.
#[derive(Debug, Clone)]
enum Test {
    Text(TextSubject, TextTest),
    Ip(IpTest),
    Clock(Tz, Field, Ordered),
}

#[derive(Debug, Clone)]
enum TextSubject {
    Tag(String),
    Name,
    Type,
}

#[derive(Debug, Clone)]
enum TextTest {
    Eq(String),
    In(Vec<String>),
    StartsWith(String),
    EndsWith(String),
}

#[derive(Debug, Clone)]
enum IpTest {
    Eq(IpAddr),
    In(Vec<IpAddr>),
    InRange(Vec<IpNet>),
}

#[derive(Debug, Clone, Copy)]
enum Field {
    WeekDay,
    Hour,
    Date,
}

/// A comparison of an ordered field (weekday number, hour, day number) with values.
#[derive(Debug, Clone)]
enum Ordered {
    In(Vec<i64>),
    Ge(i64),
    Gt(i64),
    Le(i64),
    Lt(i64),
}

/// The operators, as a key's suffix names them once case and underscores are set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    In,
    InRange,
    StartsWith,
    EndsWith,
    Ge,
    Gt,
    Le,
    Lt,
    Before,
    After,
}

impl Op {
    fn read(s: &str) -> Option<Self> {
        let norm: String = s
            .chars()
            .filter(|c| *c != '_')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        Some(match norm.as_str() {
            "EQ" => Op::Eq,
            "IN" => Op::In,
            "INRANGE" => Op::InRange,
            "STARTSWITH" => Op::StartsWith,
            "ENDSWITH" => Op::EndsWith,
            "GE" => Op::Ge,
            "GT" => Op::Gt,
            "LE" => Op::Le,
            "LT" => Op::Lt,
            "BEFORE" => Op::Before,
            "AFTER" => Op::After,
            _ => return None,
        })
    }
}

const TEXT_OPS: &str = "EQ, IN, STARTS_WITH or ENDS_WITH";
const IP_OPS: &str = "EQ, IN or IN_RANGE";
const CLOCK_OPS: &str = "EQ, IN, GE, GT, LE, LT, BEFORE or AFTER";

/// Whether `s` is a valid tag key (OVHcloud's `^[a-zA-Z0-9_.:/=+@-]{1,128}$`).
pub fn is_tag_key(s: &str) -> bool {
    (1..=128).contains(&s.len()) && s.chars().all(is_tag_char)
}

/// Whether `s` is a valid tag value (OVHcloud's `^[a-zA-Z0-9_.:/=+@-]{0,256}$`).
pub fn is_tag_value(s: &str) -> bool {
    s.len() <= 256 && s.chars().all(is_tag_char)
}

fn is_tag_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_.:/=+@-".contains(c)
}

impl Test {
    fn parse(key: &str, value: &str) -> Result<Self> {
        let bad = |why: String| Error::invalid(format!("condition key {key:?}: {why}"));
        if value.len() > MAX_VALUE_LEN {
            return Err(bad(format!(
                "the value is longer than {MAX_VALUE_LEN} characters"
            )));
        }
        // `subject[.OPERATOR]`, where the subject may hold dots inside parentheses.
        let (subject, op) = split_operator(key);
        let op = match op {
            None => Op::Eq,
            Some(o) => Op::read(o).ok_or_else(|| {
                bad(format!(
                    "{o:?} is not an operator; use EQ, IN, IN_RANGE, STARTS_WITH, ENDS_WITH, \
                     GE, GT, LE, LT, BEFORE or AFTER"
                ))
            })?,
        };
        if let Some(tag) = subject
            .strip_prefix("resource.Tag(")
            .and_then(|r| r.strip_suffix(')'))
        {
            if !is_tag_key(tag) {
                return Err(bad(format!(
                    "{tag:?} is not a tag key (1 to 128 of a-z A-Z 0-9 _ . : / = + @ -)"
                )));
            }
            return text(TextSubject::Tag(tag.to_owned()), op, value).map_err(bad);
        }
        match subject {
            "resource.Name" => return text(TextSubject::Name, op, value).map_err(bad),
            "resource.Type" => return text(TextSubject::Type, op, value).map_err(bad),
            "request.IP" => return ip(op, value).map_err(bad),
            _ => {}
        }
        if let Some(rest) = subject.strip_prefix("date(")
            && let Some((zone, field)) = rest.split_once(").")
        {
            let tz = Tz::from_str(zone)
                .map_err(|_| bad(format!("{zone:?} is not an IANA time zone")))?;
            let field = match field {
                "WeekDay" => Field::WeekDay,
                "Hour" => Field::Hour,
                "Date" => Field::Date,
                other => {
                    return Err(bad(format!(
                        "{other:?} is not a date field; use WeekDay, Hour or Date"
                    )));
                }
            };
            return clock(field, op, value)
                .map(|o| Test::Clock(tz, field, o))
                .map_err(bad);
        }
        Err(bad(
            "unknown key; use resource.Tag(<key>), resource.Name, resource.Type, request.IP or \
             date(<time zone>).WeekDay, .Hour or .Date, each with an optional .OPERATOR"
                .to_owned(),
        ))
    }

    fn holds(&self, facts: &Facts<'_>) -> bool {
        match self {
            Test::Text(subject, test) => {
                let r = &facts.resource;
                let text = match subject {
                    TextSubject::Tag(k) => match r.tags.and_then(|t| t.get(k)) {
                        Some(v) => v.as_str(),
                        None => return false,
                    },
                    TextSubject::Name => r.name,
                    TextSubject::Type => r.kind,
                };
                match test {
                    TextTest::Eq(v) => text == v,
                    TextTest::In(vs) => vs.iter().any(|v| v == text),
                    TextTest::StartsWith(v) => text.starts_with(v.as_str()),
                    TextTest::EndsWith(v) => text.ends_with(v.as_str()),
                }
            }
            Test::Ip(test) => {
                let Some(addr) = facts.ip.map(canonical) else {
                    return false;
                };
                match test {
                    IpTest::Eq(a) => addr == *a,
                    IpTest::In(list) => list.contains(&addr),
                    IpTest::InRange(nets) => nets.iter().any(|n| n.contains(&addr)),
                }
            }
            Test::Clock(tz, field, ordered) => {
                let local = facts.now.with_timezone(tz);
                let n = match field {
                    Field::WeekDay => i64::from(local.weekday().number_from_monday()),
                    Field::Hour => i64::from(local.hour()),
                    Field::Date => i64::from(local.date_naive().num_days_from_ce()),
                };
                match ordered {
                    Ordered::In(vs) => vs.contains(&n),
                    Ordered::Ge(v) => n >= *v,
                    Ordered::Gt(v) => n > *v,
                    Ordered::Le(v) => n <= *v,
                    Ordered::Lt(v) => n < *v,
                }
            }
        }
    }
}

/// Splits `subject.OPERATOR`: the operator is what follows the last dot outside parentheses,
/// when it is not part of the subject's own name (`resource.Name`, `date(…).Hour`).
fn split_operator(key: &str) -> (&str, Option<&str>) {
    let close = key.rfind(')').map_or(0, |i| i + 1);
    let tail = &key[close..];
    let subjects_end = ["resource.Name", "resource.Type", "request.IP"];
    if close == 0 {
        if subjects_end.contains(&key) {
            return (key, None);
        }
        return match key.rfind('.') {
            Some(dot) if subjects_end.contains(&&key[..dot]) => {
                (&key[..dot], Some(&key[dot + 1..]))
            }
            _ => (key, None),
        };
    }
    // After `)`: `` (a tag), `.Field` or `.Field.OP` (a date), `.OP` (a tag).
    let is_date = key.starts_with("date(");
    let parts: Vec<&str> = tail.split('.').collect();
    match (is_date, parts.as_slice()) {
        (false, ["", op]) => (&key[..close], Some(op)),
        (true, ["", _field, op]) => (&key[..key.len() - op.len() - 1], Some(op)),
        _ => (key, None),
    }
}

fn list(value: &str) -> std::result::Result<Vec<&str>, String> {
    let items: Vec<&str> = value.split(',').map(str::trim).collect();
    if items.iter().any(|i| i.is_empty()) {
        return Err(format!("{value:?} has an empty item in its list"));
    }
    if items.len() > MAX_LIST {
        return Err(format!("a list holds at most {MAX_LIST} items"));
    }
    Ok(items)
}

fn text(subject: TextSubject, op: Op, value: &str) -> std::result::Result<Test, String> {
    let test = match op {
        Op::Eq => TextTest::Eq(value.to_owned()),
        Op::In => TextTest::In(list(value)?.into_iter().map(str::to_owned).collect()),
        Op::StartsWith => TextTest::StartsWith(value.to_owned()),
        Op::EndsWith => TextTest::EndsWith(value.to_owned()),
        _ => return Err(format!("this key takes {TEXT_OPS}")),
    };
    Ok(Test::Text(subject, test))
}

fn address(s: &str) -> std::result::Result<IpAddr, String> {
    IpAddr::from_str(s)
        .map(canonical)
        .map_err(|_| format!("{s:?} is not an IP address"))
}

fn ip(op: Op, value: &str) -> std::result::Result<Test, String> {
    let test = match op {
        Op::Eq => IpTest::Eq(address(value.trim())?),
        Op::In => IpTest::In(
            list(value)?
                .into_iter()
                .map(address)
                .collect::<Result<_, _>>()?,
        ),
        Op::InRange => IpTest::InRange(
            list(value)?
                .into_iter()
                .map(|s| {
                    IpNet::from_str(s)
                        .map(|n| match n {
                            // `::ffff:a.b.c.d/n` ranges compare with IPv4 addresses.
                            IpNet::V6(v6) => match v6.addr().to_ipv4_mapped() {
                                Some(v4) if v6.prefix_len() >= 96 => {
                                    ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                                        .map_or(n, IpNet::V4)
                                }
                                _ => n,
                            },
                            v4 => v4,
                        })
                        .map_err(|_| format!("{s:?} is not a CIDR block (address/prefix length)"))
                })
                .collect::<Result<_, _>>()?,
        ),
        _ => return Err(format!("request.IP takes {IP_OPS}")),
    };
    Ok(Test::Ip(test))
}

/// An IPv4 address however it came (IPv4-mapped IPv6 included) compares as IPv4.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

fn clock(field: Field, op: Op, value: &str) -> std::result::Result<Ordered, String> {
    let one = |s: &str| -> std::result::Result<i64, String> {
        let s = s.trim();
        match field {
            Field::WeekDay => weekday(s)
                .ok_or_else(|| format!("{s:?} is not a day of the week (monday … sunday)")),
            Field::Hour => s
                .parse::<i64>()
                .ok()
                .filter(|h| (0..24).contains(h))
                .ok_or_else(|| format!("{s:?} is not an hour (0 … 23)")),
            Field::Date => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| i64::from(d.num_days_from_ce()))
                .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)")),
        }
    };
    Ok(match op {
        Op::Eq => Ordered::In(vec![one(value)?]),
        Op::In => Ordered::In(
            list(value)?
                .into_iter()
                .map(one)
                .collect::<Result<_, _>>()?,
        ),
        Op::Ge => Ordered::Ge(one(value)?),
        Op::Gt | Op::After => Ordered::Gt(one(value)?),
        Op::Le => Ordered::Le(one(value)?),
        Op::Lt | Op::Before => Ordered::Lt(one(value)?),
        _ => return Err(format!("this key takes {CLOCK_OPS}")),
    })
}

fn weekday(s: &str) -> Option<i64> {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let lower = s.to_ascii_lowercase();
    DAYS.iter()
        .position(|d| *d == lower || (lower.len() == 3 && d.starts_with(&lower)))
        .map(|i| i as i64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(json: serde_json::Value) -> Result<Condition> {
        let doc: ConditionDocument =
            serde_json::from_value(json).map_err(|e| Error::invalid(e.to_string()))?;
        Condition::parse(doc)
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn facts<'a>(
        now: &str,
        ip: Option<&str>,
        tags: Option<&'a BTreeMap<String, String>>,
    ) -> Facts<'a> {
        Facts {
            now: at(now),
            ip: ip.map(|s| s.parse().unwrap()),
            resource: ResourceFacts {
                name: "photos",
                kind: "objectStorage",
                tags,
            },
        }
    }

    fn matches(key: &str, value: &str, f: &Facts<'_>) -> bool {
        cond(serde_json::json!({"operator": "MATCH", "values": {key: value}}))
            .unwrap_or_else(|e| panic!("{key} = {value}: {e}"))
            .holds(f)
    }

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_key_and_operator_compares_as_documented() {
        let t = tags(&[("env", "prod"), ("team", "web-front")]);
        let f = facts("2026-12-07T14:30:00Z", Some("10.1.2.3"), Some(&t));
        let cases: &[(&str, &str, bool)] = &[
            ("resource.Tag(env)", "prod", true),
            ("resource.Tag(env).EQ", "dev", false),
            ("resource.Tag(env).IN", "dev, prod", true),
            ("resource.Tag(team).STARTS_WITH", "web", true),
            ("resource.Tag(team).StartsWith", "api", false),
            ("resource.Tag(team).ENDS_WITH", "front", true),
            ("resource.Tag(missing)", "", false),
            ("resource.Name", "photos", true),
            ("resource.Name.IN", "a,b", false),
            ("resource.Type", "objectStorage", true),
            ("resource.Type.ENDS_WITH", "Storage", true),
            ("request.IP", "10.1.2.3", true),
            ("request.IP.EQ", "10.1.2.4", false),
            ("request.IP.IN", "10.0.0.1,10.1.2.3", true),
            ("request.IP.IN_RANGE", "10.0.0.0/8", true),
            ("request.IP.InRange", "192.168.0.0/16, 172.16.0.0/12", false),
            ("request.IP.IN_RANGE", "::ffff:10.0.0.0/104", true),
            // 14:30 UTC is 15:30 in Paris, a Monday.
            ("date(Europe/Paris).WeekDay", "monday", true),
            ("date(Europe/Paris).WeekDay.In", "monday,tuesday", true),
            ("date(Europe/Paris).WeekDay.IN", "saturday,sunday", false),
            ("date(Europe/Paris).WeekDay.LE", "friday", true),
            ("date(Europe/Paris).WeekDay.GT", "monday", false),
            ("date(Europe/Paris).Hour", "15", true),
            ("date(UTC).Hour", "14", true),
            ("date(Europe/Paris).Hour.GE", "9", true),
            ("date(Europe/Paris).Hour.LT", "15", false),
            ("date(Europe/Paris).Hour.IN", "8,9,15", true),
            ("date(Europe/Paris).Date", "2026-12-07", true),
            ("date(Europe/Paris).Date.BEFORE", "2026-12-08", true),
            ("date(Europe/Paris).Date.AFTER", "2026-12-07", false),
            ("date(Europe/Paris).Date.AFTER", "2026-12-06", true),
            // Late on the 7th in UTC is already the 8th in Tokyo.
            ("date(Asia/Tokyo).Date", "2026-12-07", true),
        ];
        for (key, value, expected) in cases {
            assert_eq!(matches(key, value, &f), *expected, "{key} = {value}");
        }
        let late = facts("2026-12-07T20:00:00Z", None, None);
        assert!(matches("date(Asia/Tokyo).Date", "2026-12-08", &late));
        assert!(matches("date(Asia/Tokyo).WeekDay", "tuesday", &late));
    }

    #[test]
    fn ipv6_ranges_and_mapped_addresses() {
        let f = facts("2026-12-07T14:30:00Z", Some("2001:db8::42"), None);
        assert!(matches("request.IP.IN_RANGE", "2001:db8::/32", &f));
        assert!(!matches("request.IP.IN_RANGE", "2001:db9::/32", &f));
        assert!(!matches("request.IP.IN_RANGE", "127.0.0.0/8", &f));
        let mapped = facts("2026-12-07T14:30:00Z", Some("::ffff:127.0.0.1"), None);
        assert!(matches("request.IP.IN_RANGE", "127.0.0.0/8", &mapped));
        assert!(matches("request.IP", "127.0.0.1", &mapped));
    }

    #[test]
    fn hours_follow_the_zone_across_a_daylight_saving_change() {
        // Paris leaves summer time at 01:00 UTC on 2026-10-25: 00:30 UTC is 02:30 CEST,
        // 01:30 UTC is 02:30 CET, and 08:00 UTC is 09:00 after the change (10:00 before).
        let before = facts("2026-10-24T08:00:00Z", None, None);
        let after = facts("2026-10-26T08:00:00Z", None, None);
        assert!(matches("date(Europe/Paris).Hour", "10", &before));
        assert!(matches("date(Europe/Paris).Hour", "9", &after));
        assert!(matches(
            "date(Europe/Paris).Hour",
            "2",
            &facts("2026-10-25T00:30:00Z", None, None)
        ));
        assert!(matches(
            "date(Europe/Paris).Hour",
            "2",
            &facts("2026-10-25T01:30:00Z", None, None)
        ));
        // New York changes a week later.
        assert!(matches(
            "date(America/New_York).Hour",
            "4",
            &facts("2026-10-26T08:00:00Z", None, None)
        ));
        assert!(matches(
            "date(America/New_York).Hour",
            "3",
            &facts("2026-11-02T08:00:00Z", None, None)
        ));
    }

    #[test]
    fn and_or_not_nest() {
        let t = tags(&[("env", "prod")]);
        let inside = facts("2026-12-07T14:30:00Z", Some("127.0.0.1"), Some(&t));
        let outside = facts("2026-12-07T14:30:00Z", Some("192.0.2.1"), Some(&t));
        let c = cond(serde_json::json!({
            "operator": "AND",
            "conditions": [
                {"operator": "MATCH", "values": {"resource.Tag(env)": "prod"}},
                {"operator": "OR", "conditions": [
                    {"operator": "MATCH", "values": {"request.IP.IN_RANGE": "127.0.0.0/8"}},
                    {"operator": "MATCH", "values": {"date(UTC).WeekDay": "sunday"}}
                ]}
            ]
        }))
        .unwrap();
        assert!(c.holds(&inside));
        assert!(!c.holds(&outside));
        let not = cond(serde_json::json!({
            "operator": "NOT",
            "conditions": [{"operator": "MATCH", "values": {"request.IP.IN_RANGE": "127.0.0.0/8"}}]
        }))
        .unwrap();
        assert!(!not.holds(&inside));
        assert!(not.holds(&outside));
        // No address known: the range does not hold, its negation does.
        let nowhere = facts("2026-12-07T14:30:00Z", None, None);
        assert!(not.holds(&nowhere));
        // A MATCH of several values needs them all.
        let both = cond(serde_json::json!({"operator": "MATCH", "values": {
            "resource.Tag(env)": "prod", "request.IP": "127.0.0.1"}}))
        .unwrap();
        assert!(both.holds(&inside));
        assert!(!both.holds(&outside));
    }

    #[test]
    fn faults_are_named() {
        let cases: &[(serde_json::Value, &str)] = &[
            (
                serde_json::json!({"operator": "MATCH", "values": {"resource.Colour": "x"}}),
                "unknown key",
            ),
            (
                serde_json::json!({"operator": "MATCH", "values": {"request.IP.STARTS_WITH": "10."}}),
                "request.IP takes",
            ),
            (
                serde_json::json!({"operator": "MATCH", "values": {"request.IP.IN_RANGE": "10.0.0.0/33"}}),
                "not a CIDR block",
            ),
            (
                serde_json::json!({"operator": "MATCH", "values": {"request.IP": "localhost"}}),
                "not an IP address",
            ),
            (
                serde_json::json!({"operator": "MATCH", "values": {"date(Mars/Olympus).Hour": "1"}}),
                "not an IANA time zone",
            ),
            (
                serde_json::json!({"operator": "MATCH", "values": {"date(UTC).Minute": "1"}}),
                "not a date field",
            ),
            (
                serde_json::json!({"operator": "MATCH", "values": {"date(UTC).Hour": "24"}}),
                "not an hour",
            ),
            (
                serde_json::json!({"operator": "MATCH", "values": {"date(UTC).WeekDay": "funday"}}),
                "not a day",
            ),
            (
                serde_json::json!({"operator": "MATCH", "values": {"date(UTC).Date.BEFORE": "07/12/2026"}}),
                "not a date",
            ),
            (
                serde_json::json!({"operator": "MATCH", "values": {"resource.Name.FUZZY": "x"}}),
                "not an operator",
            ),
            (
                serde_json::json!({"operator": "MATCH", "values": {"resource.Tag(a b)": "x"}}),
                "not a tag key",
            ),
            (
                serde_json::json!({"operator": "MATCH", "values": {"resource.Name.GT": "x"}}),
                "takes EQ, IN",
            ),
            (
                serde_json::json!({"operator": "MATCH", "values": {"resource.Name.IN": "a,,b"}}),
                "empty item",
            ),
            (
                serde_json::json!({"operator": "MATCH"}),
                "at least one entry in values",
            ),
            (
                serde_json::json!({"operator": "AND"}),
                "at least one entry in conditions",
            ),
            (
                serde_json::json!({"operator": "OR", "values": {"request.IP": "1.2.3.4"}}),
                "holds no values",
            ),
            (
                serde_json::json!({"operator": "NOT", "conditions": [
                {"operator": "MATCH", "values": {"request.IP": "1.2.3.4"}},
                {"operator": "MATCH", "values": {"request.IP": "1.2.3.5"}}]}),
                "exactly one",
            ),
            (
                serde_json::json!({"operator": "AND", "conditions": [{"operator": "OR", "conditions": [
                {"operator": "NOT", "conditions": [{"operator": "MATCH", "values": {"request.IP": "1.2.3.4"}}]}]}]}),
                "at most 3 levels",
            ),
        ];
        for (json, expected) in cases {
            match cond(json.clone()) {
                Err(Error::Invalid(m)) => assert!(m.contains(expected), "{json}: {m}"),
                other => panic!("{json}: expected Invalid, got {other:?}"),
            }
        }
        let bad_operator: std::result::Result<ConditionDocument, _> =
            serde_json::from_value(serde_json::json!({"operator": "XOR"}));
        assert!(bad_operator.is_err());
        // Three levels are allowed.
        cond(
            serde_json::json!({"operator": "AND", "conditions": [{"operator": "NOT", "conditions": [
            {"operator": "MATCH", "values": {"request.IP": "1.2.3.4"}}]}]}),
        )
        .unwrap();
    }

    #[test]
    fn the_urn_spells_an_unregistered_resources_name_and_type() {
        let r = ResourceFacts::of_urn("urn:v1:eu:resource:vps:vps-1.lk:x");
        assert_eq!((r.kind, r.name), ("vps", "vps-1.lk:x"));
        let r = ResourceFacts::of_urn("urn:v1:eu:resource:account:lk0001-lk");
        assert_eq!((r.kind, r.name), ("account", "lk0001-lk"));
    }

    #[test]
    fn the_document_round_trips_as_given() {
        let json = serde_json::json!({"operator": "OR", "conditions": [
            {"operator": "MATCH", "values": {"date(Europe/Paris).WeekDay.In": "monday,tuesday"}}]});
        let c = cond(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(c.document()).unwrap(), json);
    }
}
