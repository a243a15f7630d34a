//! The demo/hello algorithm.

use serde_json::Value;

/// Answers one request. Text arrives as a `Value::String`, JSON as its value
/// and binary as an array of byte values (take a `langserver::Input` instead
/// to tell them apart). A `Value::String` result is text, anything else JSON.
pub fn apply(input: Value) -> Result<Value, Box<dyn std::error::Error>> {
    match input {
        Value::String(name) => Ok(Value::String(format!("hello {}", name))),
        other => Ok(Value::String(format!("hello {}", other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greets_input() {
        assert_eq!(
            apply(Value::from("algorithmia")).unwrap(),
            "hello algorithmia"
        );
    }
}
