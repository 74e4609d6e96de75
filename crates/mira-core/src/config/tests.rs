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
    assert_eq!(config.rate_limit.unauthenticated_per_second, 5);
    assert_eq!(config.rate_limit.unauthenticated_burst, 20);
    assert_eq!(config.server.header_timeout.as_secs(), 10);
    assert_eq!(config.server.max_connections, None);
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
    let places = Places {
        explicit: Some(missing),
        ..Places::default()
    };
    let err = gather(Vec::new(), &places).unwrap_err();
    assert!(err.to_string().contains("mira-no-such-config.toml"));
}

/// The environment, then `--config`, then the project's `.mira/mira.toml`, then Mira's
/// config dir (`mira.toml`, then `.env`); each value names the file it came from.
#[test]
fn mira_files_layer_in_precedence_order() {
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().join("config/mira");
    let project = dir.path().join("work/app");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::create_dir_all(project.join(".mira")).unwrap();
    std::fs::create_dir_all(project.join("src/deep")).unwrap();
    let explicit = dir.path().join("explicit.toml");
    std::fs::write(&explicit, "MIRA_PORT = 4001\n").unwrap();
    std::fs::write(
        project.join(".mira/mira.toml"),
        "MIRA_PORT = 4002\nRATE_LIMIT_BURST = 7\n",
    )
    .unwrap();
    std::fs::write(
        user.join("mira.toml"),
        "RATE_LIMIT_BURST = 8\nMIRA_WS_HEARTBEAT_SECS = 9\n",
    )
    .unwrap();
    std::fs::write(
        user.join(".env"),
        "# Mira's own settings\nMIRA_WS_HEARTBEAT_SECS=10\nMIRA_SHUTDOWN_TIMEOUT_SECS=11\n",
    )
    .unwrap();

    // Found from a directory below the project's root.
    let mut places = Places::discover(&project.join("src/deep"), Some(explicit));
    assert_eq!(places.project, Some(project.join(".mira/mira.toml")));
    places.user_dir = Some(user.clone());
    let sources = gather(vec![("MIRA_DATA_DIR".into(), "/tmp/x".into())], &places).unwrap();
    let config = Config::from_sources(&sources).unwrap();
    assert_eq!(config.server.port, 4001);
    assert_eq!(config.rate_limit.burst, 7);
    assert_eq!(config.server.ws_heartbeat.as_secs(), 9);
    assert_eq!(config.server.shutdown_timeout.as_secs(), 11);
    let origin = sources.get("MIRA_SHUTDOWN_TIMEOUT_SECS").unwrap().origin;
    assert!(origin.ends_with("config/mira/.env"), "{origin}");

    // Without the explicit file, the project's wins over the user's.
    places.explicit = None;
    let config = Config::from_sources(&gather(Vec::new(), &places).unwrap()).unwrap();
    assert_eq!(config.server.port, 4002);
}

/// A project's own `.env` is the project's: never read, however it is written.
#[test]
fn a_projects_own_env_file_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "this is not dotenv syntax\nOPENAI_API_KEY=sk-the-projects-own\nMIRA_PORT=1\n",
    )
    .unwrap();
    let places = Places {
        user_dir: None,
        ..Places::discover(dir.path(), None)
    };
    assert_eq!(places.project, None);
    let config = Config::from_sources(&gather(Vec::new(), &places).unwrap()).unwrap();
    assert!(config.providers.openai_api_key.is_none());
    assert_eq!(config.server.port, 3001);
}

#[test]
fn mira_env_file_is_checked_like_mira_toml() {
    let err = Sources::default()
        .with_env_file("MIRA_PROT=3001\n", Path::new("/home/u/.config/mira/.env"))
        .unwrap_err();
    assert!(err.to_string().contains("MIRA_PROT"), "{err}");
    let err = Sources::default()
        .with_env_file("not a setting line\n", Path::new("/home/u/.config/mira/.env"))
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("/home/u/.config/mira/.env") && text.contains("KEY=value"),
        "{text}"
    );
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
