//! The settings-file reader and validation (`Sources::with_toml`, `with_env_file` and
//! `Config::from_sources`, as `mira_core::config::load` calls them), fed any text. The
//! first byte picks the format (`mira.toml` or Mira's `.env`); the rest is the file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mira_core::config::{Config, ConfigError, Sources, spec};

const FILE: &str = "/fuzz/mira.toml";
const DATA_DIR: &str = "/fuzz/data";

fuzz_target!(|data: &[u8]| {
    let [format, text @ ..] = data else {
        return;
    };
    // The loader reads files with `read_to_string`, which refuses non-UTF-8 (a
    // ConfigError::File naming the path) before any parsing.
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let path = Path::new(FILE);
    // The environment sets the data dir so validation never depends on the host's.
    let env = Sources::from_env([("MIRA_DATA_DIR".to_string(), DATA_DIR.to_string())]);
    let read = if format % 2 == 0 {
        env.with_toml(text, path)
    } else {
        env.with_env_file(text, path)
    };
    let sources = match read {
        Ok(sources) => sources,
        Err(ConfigError::File { path: named, message }) => {
            assert_eq!(named, path, "a file error names the file");
            assert!(!message.trim().is_empty(), "a file error says why");
            return;
        }
        Err(ConfigError::UnknownKey { key, path: named }) => {
            assert_eq!(named, path);
            assert!(
                spec::find(&key.to_ascii_uppercase()).is_none(),
                "{key} is a known setting"
            );
            return;
        }
        Err(other) => panic!("reading a file fails only with File or UnknownKey: {other:?}"),
    };
    for (key, (_, from)) in &sources.file {
        assert!(spec::find(key).is_some(), "unknown key {key} was kept");
        assert_eq!(from, path);
    }
    match Config::from_sources(&sources) {
        // The environment outranks every file.
        Ok(config) => assert_eq!(config.data_dir, Path::new(DATA_DIR)),
        Err(error @ ConfigError::Invalid { .. }) => {
            let shown = error.to_string();
            let ConfigError::Invalid {
                key, value, origin, ..
            } = error
            else {
                unreachable!()
            };
            // Defaults are valid, so a refused value is one this file set: the error
            // names that setting, the value as written and the file.
            let (written, _) = sources
                .file
                .get(key)
                .unwrap_or_else(|| panic!("{key} refused but the file did not set it: {shown}"));
            assert_eq!(&value, written);
            assert_eq!(origin, FILE);
            assert!(shown.contains(key) && shown.contains(FILE), "{shown}");
        }
        Err(other) => panic!("validation fails only with Invalid: {other:?}"),
    }
});
