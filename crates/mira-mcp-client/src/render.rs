//! MCP results as the text a model or a user reads.
//!
//! Works on the wire JSON (the results serialised), so the rendering follows the MCP
//! specification's shapes rather than one SDK release's Rust types.

use serde_json::Value;

/// What a tool call answered, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolAnswer {
    /// Text parts joined by newlines; images, audio and binary resources as a short note;
    /// `structuredContent` as JSON when there is no text.
    pub text: String,
    /// The server's `isError`: the tool ran and failed (bad input, a failed operation). The
    /// model should read it; it is not a transport or protocol failure.
    pub is_error: bool,
}

/// A `tools/call` result.
pub fn render_tool_result(result: &Value) -> ToolAnswer {
    let is_error = result.get("isError").and_then(Value::as_bool).unwrap_or(false);
    let mut parts = Vec::new();
    let mut has_text = false;
    for block in result
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (text, is_text) = render_content(block);
        has_text |= is_text;
        parts.push(text);
    }
    if !has_text && let Some(structured) = result.get("structuredContent").filter(|v| !v.is_null()) {
        parts.push(serde_json::to_string_pretty(structured).unwrap_or_default());
    }
    let text = if parts.is_empty() {
        "(the tool returned no content)".to_string()
    } else {
        parts.join("\n")
    };
    ToolAnswer { text, is_error }
}

/// A `prompts/get` result: the messages' text, for use as what the user sends. A prompt
/// of user messages only reads as their text; other roles are marked `role: ` so the
/// reader sees who says what.
pub fn render_prompt(result: &Value) -> String {
    let messages: Vec<&Value> = result
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let only_user = messages
        .iter()
        .all(|m| m.get("role").and_then(Value::as_str) == Some("user"));
    let rendered: Vec<String> = messages
        .iter()
        .map(|message| {
            let text = message
                .get("content")
                .map(|c| render_content(c).0)
                .unwrap_or_default();
            match message.get("role").and_then(Value::as_str) {
                Some(role) if !only_user => format!("{role}: {text}"),
                _ => text,
            }
        })
        .collect();
    rendered.join("\n\n")
}

/// A `resources/read` result: text contents, and a note for each binary one.
pub fn render_resource(result: &Value) -> String {
    let parts: Vec<String> = result
        .get("contents")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(resource_contents)
        .collect();
    parts.join("\n")
}

/// One content block and whether it carried text (rather than a note about media).
fn render_content(block: &Value) -> (String, bool) {
    let mime = block
        .get("mimeType")
        .and_then(Value::as_str)
        .unwrap_or("unknown type");
    match block.get("type").and_then(Value::as_str) {
        Some("text") => (
            block
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            true,
        ),
        Some(kind @ ("image" | "audio")) => {
            let size = block
                .get("data")
                .and_then(Value::as_str)
                .map(base64_decoded_len)
                .unwrap_or(0);
            (format!("[{kind}: {mime}, {}]", human_size(size)), false)
        }
        Some("resource") => {
            let resource = block.get("resource").cloned().unwrap_or(Value::Null);
            let is_text = resource.get("text").is_some();
            (resource_contents(&resource), is_text)
        }
        Some("resource_link") => {
            let uri = block.get("uri").and_then(Value::as_str).unwrap_or_default();
            let name = block.get("name").and_then(Value::as_str).unwrap_or_default();
            (format!("[resource link: {uri} ({name})]"), false)
        }
        Some(other) => (format!("[{other} content]"), false),
        None => ("[content without a type]".to_string(), false),
    }
}

fn resource_contents(contents: &Value) -> String {
    if let Some(text) = contents.get("text").and_then(Value::as_str) {
        return text.to_string();
    }
    let uri = contents.get("uri").and_then(Value::as_str).unwrap_or_default();
    let mime = contents
        .get("mimeType")
        .and_then(Value::as_str)
        .unwrap_or("unknown type");
    let size = contents
        .get("blob")
        .and_then(Value::as_str)
        .map(base64_decoded_len)
        .unwrap_or(0);
    format!("[binary resource {uri}: {mime}, {}]", human_size(size))
}

/// The number of bytes `data` (standard base64, maybe padded) decodes to.
fn base64_decoded_len(data: &str) -> usize {
    let trimmed = data.trim_end_matches('=');
    let significant = trimmed.bytes().filter(|b| !b.is_ascii_whitespace()).count();
    significant * 3 / 4
}

fn human_size(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_parts_are_joined_and_media_noted() {
        let answer = render_tool_result(&json!({
            "content": [
                {"type": "text", "text": "first"},
                {"type": "image", "data": "aGVsbG8=", "mimeType": "image/png"},
                {"type": "audio", "data": "A".repeat(4096), "mimeType": "audio/wav"},
                {"type": "resource", "resource": {"uri": "file:///a", "text": "embedded"}},
                {"type": "resource", "resource": {"uri": "file:///b", "mimeType": "application/zip", "blob": "AAAA"}},
                {"type": "resource_link", "uri": "file:///c", "name": "c"}
            ],
            "isError": true
        }));
        assert!(answer.is_error);
        assert_eq!(
            answer.text,
            "first\n[image: image/png, 5 bytes]\n[audio: audio/wav, 3.0 KiB]\nembedded\n\
             [binary resource file:///b: application/zip, 3 bytes]\n[resource link: file:///c (c)]"
        );
    }

    #[test]
    fn structured_content_stands_in_for_missing_text() {
        let answer = render_tool_result(&json!({"content": [], "structuredContent": {"sum": 3}}));
        assert!(!answer.is_error);
        assert_eq!(answer.text, "{\n  \"sum\": 3\n}");
        let with_text = render_tool_result(&json!({
            "content": [{"type": "text", "text": "3"}], "structuredContent": {"sum": 3}
        }));
        assert_eq!(with_text.text, "3");
        assert_eq!(
            render_tool_result(&json!({"content": []})).text,
            "(the tool returned no content)"
        );
    }

    #[test]
    fn prompts_mark_roles_only_when_mixed() {
        let user_only = json!({"messages": [
            {"role": "user", "content": {"type": "text", "text": "a"}},
            {"role": "user", "content": {"type": "text", "text": "b"}}
        ]});
        assert_eq!(render_prompt(&user_only), "a\n\nb");
        let mixed = json!({"messages": [
            {"role": "user", "content": {"type": "text", "text": "q"}},
            {"role": "assistant", "content": {"type": "text", "text": "r"}}
        ]});
        assert_eq!(render_prompt(&mixed), "user: q\n\nassistant: r");
    }

    #[test]
    fn resources_render_text_and_blobs() {
        let result = json!({"contents": [
            {"uri": "a://1", "text": "hello"},
            {"uri": "a://2", "mimeType": "image/png", "blob": "AAAAAA=="}
        ]});
        assert_eq!(
            render_resource(&result),
            "hello\n[binary resource a://2: image/png, 4 bytes]"
        );
    }
}
