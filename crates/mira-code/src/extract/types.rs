//! Reducing a written type to the name of the type whose methods a value has.

/// `&mut Arc<Repo>` -> `Repo`, `Optional[Repo]` -> `Repo`, `Promise<User | null>` ->
/// `User`, `*store.DB` -> `store.DB`, `Result<Self, E>` -> `Self`. `None` for types
/// that carry no name to look up (tuples, functions, literals).
pub fn simple_type(written: &str) -> Option<String> {
    let mut t = written.trim();
    loop {
        let before = t;
        for prefix in [
            "&'static ",
            "&mut ",
            "&",
            "*",
            "mut ",
            "dyn ",
            "impl ",
            "const ",
            "[]",
            "...",
        ] {
            if let Some(rest) = t.strip_prefix(prefix) {
                t = rest.trim_start();
            }
        }
        // Lifetimes: `&'a Repo`
        if t.starts_with('\'') {
            t = t.split_once(' ').map(|(_, r)| r).unwrap_or("");
        }
        for wrapper in [
            "Option",
            "Result",
            "Box",
            "Arc",
            "Rc",
            "RefCell",
            "Mutex",
            "RwLock",
            "Optional",
            "Promise",
            "Awaitable",
            "Readonly",
            "typing.Optional",
        ] {
            if let Some(rest) = t.strip_prefix(wrapper)
                && let Some(inner) = rest.strip_prefix('<').or_else(|| rest.strip_prefix('['))
            {
                t = first_argument(inner);
            }
        }
        if t == before {
            break;
        }
    }
    // `A | None`, `A + Send`: the first alternative names the type.
    let t = t
        .split(['|', '+'])
        .map(str::trim)
        .find(|p| !p.is_empty() && *p != "None" && *p != "null" && *p != "undefined")
        .unwrap_or("");
    let name = t.split(['<', '[', '(', ' ', '{']).next().unwrap_or("").trim();
    let name = name.trim_matches(|c: char| c == '"' || c == '\'');
    if name.is_empty() || !name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_') {
        return None;
    }
    Some(name.to_string())
}

/// The first generic argument of `inner` (what follows `Wrapper<`), brackets balanced.
fn first_argument(inner: &str) -> &str {
    let mut depth = 0i32;
    for (i, c) in inner.char_indices() {
        match c {
            '<' | '[' | '(' => depth += 1,
            '>' | ']' | ')' if depth == 0 => return inner[..i].trim(),
            '>' | ']' | ')' => depth -= 1,
            ',' if depth == 0 => return inner[..i].trim(),
            _ => {}
        }
    }
    inner.trim()
}

#[cfg(test)]
mod tests {
    use super::simple_type;

    #[test]
    fn wrappers_and_references_are_removed() {
        assert_eq!(simple_type("&mut Arc<Repo>").as_deref(), Some("Repo"));
        assert_eq!(simple_type("Result<Self, Error>").as_deref(), Some("Self"));
        assert_eq!(
            simple_type("Optional[models.User]").as_deref(),
            Some("models.User")
        );
        assert_eq!(simple_type("Promise<User | null>").as_deref(), Some("User"));
        assert_eq!(simple_type("*store.DB").as_deref(), Some("store.DB"));
        assert_eq!(simple_type("&'a crate::db::Db").as_deref(), Some("crate::db::Db"));
        assert_eq!(
            simple_type("impl Iterator<Item = u8> + Send").as_deref(),
            Some("Iterator")
        );
        assert_eq!(simple_type("(u8, u8)"), None);
        assert_eq!(simple_type("User | None").as_deref(), Some("User"));
    }
}
