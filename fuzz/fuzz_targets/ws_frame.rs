//! The WebSocket frame decoder (`mira_core::ws_protocol::parse_client_frame`), fed any
//! text a client could send. Every frame is answered: a request, or an `error` frame of
//! the documented shape (docs/protocol.md) with code `bad_frame`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mira_core::ws_protocol::{ClientFrame, parse_client_frame};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    // The transport hands the decoder text frames only (binary frames are refused
    // before it), and a text frame is UTF-8 by the WebSocket spec.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_client_frame(text) {
        Ok(frame) => check_request(&frame),
        Err(bad) => {
            let wire: Value =
                serde_json::from_str(&serde_json::to_string(&bad).expect("error frames serialise"))
                    .expect("an error frame is JSON");
            assert_eq!(wire["type"], "error", "{wire}");
            assert_eq!(wire["code"], "bad_frame", "{wire}");
            assert!(is_id(&wire["id"]), "id is null, a string or a number: {wire}");
            assert!(
                wire["message"].as_str().is_some_and(|m| !m.trim().is_empty()),
                "the refusal says why: {wire}"
            );
        }
    }
});

fn is_id(id: &Value) -> bool {
    matches!(id, Value::Null | Value::String(_) | Value::Number(_))
}

fn check_request(frame: &ClientFrame) {
    assert!(!frame.kind.is_empty(), "a request has a type");
    assert!(frame.id.as_ref().is_none_or(|id| is_id(id) && !id.is_null()));
    assert!(
        !frame.params.contains_key("id") && !frame.params.contains_key("type"),
        "id and type are not parameters"
    );
    // Written back as JSON, a request reads as itself: nothing the client sent is lost
    // or changed on the way to the handler.
    let mut map = frame.params.clone();
    if let Some(id) = &frame.id {
        map.insert("id".into(), id.clone());
    }
    map.insert("type".into(), Value::String(frame.kind.clone()));
    let again =
        parse_client_frame(&Value::Object(map).to_string()).expect("a request written back reads again");
    assert_eq!(again.kind, frame.kind);
    let id = |f: &ClientFrame| f.id.clone().unwrap_or(Value::Null);
    assert!(same(&id(&again), &id(frame)), "{again:?} != {frame:?}");
    assert!(
        same(
            &Value::Object(again.params.clone()),
            &Value::Object(frame.params.clone())
        ),
        "{again:?} != {frame:?}"
    );
}

/// Equal, except that a float may differ in its last bits: serde_json without its
/// `float_roundtrip` feature (which Mira does not enable) reads some long decimals one
/// unit in the last place off, so a float written back can read as its neighbour.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            x == y || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
