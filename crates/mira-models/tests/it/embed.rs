use mira_models::{Embedder, cosine};

use crate::common::{embed_dir, embedder, python_reference};

const SENTENCES: &[&str] = &[
    "hello world",
    "The quick brown fox jumps over the lazy dog.",
    "fn parse_config(path: &Path) -> Result<Config, Error>",
    "Opens a connection pool to the PostgreSQL database and runs pending migrations.",
    "def authenticate(user, password): return bcrypt.checkpw(password, user.hash)",
    "Ünïcödé, emoji-free text with accents: café, naïve, Zürich.",
    "a",
    "SELECT * FROM users WHERE id = ?",
];

#[test]
fn vectors_match_an_independent_numpy_reference() {
    let dir = embed_dir();
    let expected: Vec<Vec<f32>> = python_reference(
        "bert_reference.py",
        &[dir.as_os_str()],
        &SENTENCES,
        "numpy and tokenizers",
    );
    let got = embedder().embed(SENTENCES).unwrap();
    assert_eq!(got.len(), SENTENCES.len());
    for (i, (a, b)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(a.len(), 384);
        let c = cosine(a, b);
        assert!(c >= 0.999, "sentence {i} ({:?}): cosine {c}", SENTENCES[i]);
    }
}

#[test]
fn paraphrases_score_higher_than_unrelated_sentences() {
    let e = embedder();
    let v = e
        .embed(&[
            "How do I open a connection to the database?",
            "Connecting to a SQL database server",
            "The cat sat on the warm windowsill all afternoon.",
            "Parse the command line arguments",
            "Read the flags and options given to the program",
        ])
        .unwrap();
    assert!(cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]) + 0.2);
    assert!(cosine(&v[3], &v[4]) > cosine(&v[3], &v[2]) + 0.2);
}

#[test]
fn a_text_embeds_the_same_alone_and_in_a_padded_batch() {
    let e = embedder();
    let long = "a much longer text that forces the others in its batch to be padded ".repeat(5);
    let batch = e.embed(&["short text", &long, "another one"]).unwrap();
    let alone = e.embed(&["short text"]).unwrap();
    assert!(cosine(&batch[0], &alone[0]) > 0.99999);
    // Unit length: the model's Normalize module is applied.
    let norm: f32 = batch[1].iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4);
}

#[test]
fn long_texts_are_cut_at_the_models_limit() {
    let e = embedder();
    assert_eq!(e.max_tokens(), 256);
    let text = "token ".repeat(1000);
    assert_eq!(e.token_ids(&text).unwrap().len(), 256);
    let longer = format!("{text} and an ending far past the limit");
    let v = e.embed(&[&text, &longer]).unwrap();
    assert!(
        cosine(&v[0], &v[1]) > 0.99999,
        "words past the limit must not count"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_embedding_runs_off_the_runtime() {
    let e = embedder();
    let v = e.embed_async(vec!["one".into(), "two".into()]).await.unwrap();
    assert_eq!(v.len(), 2);
    assert!(cosine(&v[0], &v[1]) < 0.99);
}

#[test]
fn a_directory_that_is_not_a_model_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = Embedder::load(dir.path()).err().expect("must fail").to_string();
    assert!(err.contains("config.json is missing"), "{err}");
    std::fs::write(dir.path().join("config.json"), r#"{"model_type":"llama"}"#).unwrap();
    let err = Embedder::load(dir.path()).err().expect("must fail").to_string();
    assert!(err.contains("config.json"), "{err}");
}
