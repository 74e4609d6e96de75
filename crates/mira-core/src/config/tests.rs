use std::path::Path;

use super::*;

fn env(pairs: &[(&str, &str)]) -> Sources {
    Sources::from_env(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

#[test]
fn defaults_bind_loopback_on_3001() {
    let config = Config::from_sources(&env(&[("MIRA_DATA_DIR", "/tmp/mira-test")])).unwrap();
    assert_eq!(config.server.bind_addr().to_string(), "127.0.0.1:3001");
    assert_eq!(config.data_dir, Path::new("/tmp/mira-test"));
    assert_eq!(config.models.models_dir, Path::new("/tmp/mira-test/models"));
    assert!(config.vectors.qdrant_url.is_none());
    assert_eq!(config.vectors.embed_dim, 384);
    assert_eq!(config.watcher.debounce.as_millis(), 100);
    assert_eq!(config.watcher.batch.as_millis(), 1000);
    assert_eq!(config.watcher.git_cooldown.as_millis(), 3000);
    assert!(config.rate_limit.enabled);
}

#[test]
fn environment_wins_over_file_which_wins_over_default() {
    let sources = env(&[("MIRA_PORT", "4000")])
        .with_toml(
            "MIRA_PORT = 5000\nmira_ws_heartbeat_secs = 7\n",
            Path::new("mira.toml"),
        )
        .unwrap();
    let config = Config::from_sources(&sources).unwrap();
    assert_eq!(config.server.port, 4000);
    assert_eq!(config.server.ws_heartbeat.as_secs(), 7);
    assert_eq!(config.server.shutdown_timeout.as_secs(), 10);
}

#[test]
fn empty_value_means_default() {
    let config = Config::from_sources(&env(&[("MIRA_PORT", ""), ("QDRANT_URL", " ")])).unwrap();
    assert_eq!(config.server.port, 3001);
    assert!(config.vectors.qdrant_url.is_none());
}

#[test]
fn invalid_value_names_setting_origin_and_what_it_accepts() {
    let err = Config::from_sources(&env(&[("MIRA_PORT", "70000")])).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("MIRA_PORT=\"70000\""), "{text}");
    assert!(text.contains("from environment"), "{text}");
    assert!(text.contains("0 to 65535"), "{text}");

    let sources = Sources::default()
        .with_toml("RATE_LIMIT_ENABLED = \"maybe\"", Path::new("/etc/mira.toml"))
        .unwrap();
    let text = Config::from_sources(&sources).unwrap_err().to_string();
    assert!(text.contains("RATE_LIMIT_ENABLED"), "{text}");
    assert!(text.contains("/etc/mira.toml"), "{text}");
    assert!(text.contains("true or false"), "{text}");
}

#[test]
fn each_kind_of_bad_value_is_refused() {
    for (key, bad) in [
        ("MIRA_HOST", "not-an-ip"),
        ("MIRA_TOKEN_TTL_DAYS", "0"),
        ("QDRANT_URL", "localhost:6334"),
        ("BUDGET_DAILY_LIMIT_USD", "-1"),
        ("BUDGET_MONTHLY_LIMIT_USD", "lots"),
        ("WATCHER_DEBOUNCE_MS", "1.5"),
        ("MIRA_LOG", "info debug"),
        ("MIRA_WS_MAX_FRAME_BYTES", "10"),
    ] {
        let err = Config::from_sources(&env(&[(key, bad)])).unwrap_err();
        assert!(err.to_string().contains(key), "{key}: {err}");
    }
}

#[test]
fn unknown_key_in_file_is_an_error() {
    let err = Sources::default()
        .with_toml("MIRA_PROT = 3001", Path::new("mira.toml"))
        .unwrap_err();
    assert!(err.to_string().contains("MIRA_PROT"));
}

#[test]
fn malformed_file_is_an_error() {
    let err = Sources::default()
        .with_toml("MIRA_PORT = ", Path::new("conf/mira.toml"))
        .unwrap_err();
    assert!(err.to_string().contains("conf/mira.toml"));
}

#[test]
fn secrets_do_not_show_in_debug_output() {
    let config = Config::from_sources(&env(&[("OPENAI_API_KEY", "sk-very-secret")])).unwrap();
    assert!(!format!("{config:?}").contains("sk-very-secret"));
    assert_eq!(
        config.providers.openai_api_key.as_ref().unwrap().expose(),
        "sk-very-secret"
    );
}

#[test]
fn explicit_config_path_must_exist() {
    let missing = std::env::temp_dir().join("mira-no-such-config.toml");
    let err = gather(Vec::new(), Some(missing)).unwrap_err();
    assert!(err.to_string().contains("mira-no-such-config.toml"));
}

/// `.env.example` is the user's list of settings: it must name every setting with its
/// default, and nothing else.
#[test]
fn env_example_lists_every_setting_with_its_default() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.env.example");
    let text = std::fs::read_to_string(&path).expect(".env.example at the repository root");
    let mut seen = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').expect("KEY=VALUE lines");
        let setting = spec::find(key)
            .unwrap_or_else(|| panic!(".env.example names unknown {key}; run scripts/gen-env-example.py"));
        assert_eq!(value, setting.default, "default of {key}");
        seen.push(key.to_string());
    }
    for setting in SETTINGS {
        assert!(
            seen.iter().any(|k| k == setting.key),
            ".env.example lacks {}",
            setting.key
        );
    }
}
