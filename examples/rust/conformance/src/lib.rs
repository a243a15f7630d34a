//! The algorithm the LangPack conformance tests run: see
//! examples/rust/README.md for what each input does.

use std::io::Write;

use langserver::{Error, Input, Output};

/// Answers one conformance request.
pub fn apply(input: Input) -> Result<Output, Error> {
    let text = match input {
        Input::Text(text) => text,
        Input::Json(value) => return Ok(Output::Json(value)),
        Input::Binary(bytes) => return Ok(Output::Binary(bytes)),
    };
    match text.as_str() {
        "fail" => Err(Error::new("conformance failure").with_type("ConformanceError")),
        "print" => {
            println!("to stdout");
            std::io::stdout().flush().ok();
            eprintln!("to stderr");
            Ok("printed".into())
        }
        "crash" => std::process::exit(3),
        "pid" => Ok(Output::Json(std::process::id().into())),
        _ => Ok(format!("hello {}", text).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greets_and_echoes() {
        assert_eq!(
            apply(Input::Text("world".into())).unwrap(),
            Output::Text("hello world".into())
        );
        assert_eq!(
            apply(Input::Binary(vec![0, 255])).unwrap(),
            Output::Binary(vec![0, 255])
        );
        let err = apply(Input::Text("fail".into())).unwrap_err();
        assert_eq!(
            (err.message(), err.error_type()),
            ("conformance failure", "ConformanceError")
        );
    }
}
