//! Turns a conversation into the prompt text the model was trained on: the Jinja chat
//! template stored in the GGUF (`tokenizer.chat_template`) when there is one, else ChatML.

use minijinja::{Environment, Error, ErrorKind, context};
use serde::Serialize;

use super::{ChatMessage, Role};

pub enum ChatTemplate {
    Jinja(String),
    ChatMl,
}

#[derive(Serialize)]
struct TemplateMessage<'a> {
    role: &'a str,
    content: &'a str,
}

impl ChatTemplate {
    pub fn from_metadata(template: Option<String>) -> ChatTemplate {
        match template {
            Some(t) if !t.trim().is_empty() => ChatTemplate::Jinja(t),
            _ => ChatTemplate::ChatMl,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            ChatTemplate::Jinja(_) => "model's own template",
            ChatTemplate::ChatMl => "ChatML",
        }
    }

    /// The prompt for `messages`, ending where the assistant's answer starts.
    pub fn render(&self, messages: &[ChatMessage], bos: &str, eos: &str) -> Result<String, String> {
        match self {
            ChatTemplate::ChatMl => Ok(chatml(messages)),
            ChatTemplate::Jinja(source) => {
                let mut env = Environment::new();
                env.add_function("raise_exception", |msg: String| -> Result<String, Error> {
                    Err(Error::new(ErrorKind::InvalidOperation, msg))
                });
                env.add_template("chat", source)
                    .map_err(|e| format!("the model's template does not parse: {e}"))?;
                let items: Vec<TemplateMessage> = messages
                    .iter()
                    .map(|m| TemplateMessage {
                        role: m.role.as_str(),
                        content: &m.content,
                    })
                    .collect();
                env.get_template("chat")
                    .and_then(|t| {
                        t.render(context! {
                            messages => items,
                            add_generation_prompt => true,
                            bos_token => bos,
                            eos_token => eos,
                        })
                    })
                    .map_err(|e| format!("the model's template failed: {e}"))
            }
        }
    }
}

fn chatml(messages: &[ChatMessage]) -> String {
    let mut out = String::new();
    for m in messages {
        out.push_str("<|im_start|>");
        out.push_str(m.role.as_str());
        out.push('\n');
        out.push_str(&m.content);
        out.push_str("<|im_end|>\n");
    }
    out.push_str("<|im_start|>assistant\n");
    out
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}
