//! Rolling summaries and learned patterns: written as turns arrive, once per window or
//! sighting (a second pass changes nothing), cited, recalled and forgotten.

use mira_llm::scrub::Scrubber;
use mira_memory::extract::{self, ASSISTANT_SPEAKER, USER_SPEAKER};
use mira_memory::recall::recall;
use mira_memory::{ItemId, Scope, patterns, summaries, turns};

use crate::{db, turn};

const DAY: i64 = 86_400_000;

/// Turns `from..to` of conversation `c`, in `session`, alternating the user and Mira.
fn talk(
    c: &str,
    session: &str,
    from: usize,
    to: usize,
    text: impl Fn(usize) -> String,
) -> Vec<turns::NewTurn> {
    (from..to)
        .map(|i| {
            let speaker = if i % 2 == 0 {
                USER_SPEAKER
            } else {
                ASSISTANT_SPEAKER
            };
            turn(
                c,
                session,
                &format!("m{i}"),
                speaker,
                &text(i),
                1_700_000_000_000 + i as i64 * DAY,
            )
        })
        .collect()
}

fn filler(i: usize) -> String {
    match i % 4 {
        0 => format!("Let us look at step {i} of the plan together."),
        1 => "Sure, that sounds fine to me for now.".to_string(),
        2 => "Ok, what comes next after that one then?".to_string(),
        _ => "Nothing much, we can carry on with it.".to_string(),
    }
}

#[tokio::test]
async fn each_complete_window_is_summarised_once_citing_its_telling_turns() {
    let t = db().await;
    let keys = Scrubber::default();
    let scope = Scope::user();
    // Session a: 5 turns (a window of its own, the session ends); session b: 14 turns,
    // of which 12 make a window and 2 wait for more.
    let mut all = talk("c1", "a", 0, 5, filler);
    all[2].text =
        "We moved the billing service to Postgres 16 last week. The Postgres migration took two days.".into();
    all[3].text = "Good: the Postgres migration also fixed the billing reports.".into();
    let mut b = talk("c1", "b", 5, 19, filler);
    // Five things about Ana said apart in session b: one summary holds them all, and
    // ranks above each of them.
    b[1].text = "Ana owns the deploy scripts of the billing service.".into();
    b[3].text = "Ana wrote the Grafana dashboards for billing too.".into();
    b[5].text = "And Ana reviews every Terraform change before it ships.".into();
    b[7].text = "Ana prefers Slack threads over email for incidents.".into();
    b[9].text = "Ana is on call for the whole of December this year.".into();
    all.extend(b);
    turns::add(&t.db, &scope, &all, &keys).await.unwrap();

    let report = summaries::run_pending(&t.db, "local", 12, None).await.unwrap();
    assert_eq!(report.written, 2, "{report:?}");
    let again = summaries::run_pending(&t.db, "local", 12, None).await.unwrap();
    assert_eq!(again.written, 0, "a window was summarised twice");

    let mut listed = summaries::list(&t.db, &scope, Some("c1"), 10).await.unwrap();
    listed.sort_by_key(|s| s.first_seq);
    assert_eq!(
        listed
            .iter()
            .map(|s| (s.first_seq, s.last_seq))
            .collect::<Vec<_>>(),
        vec![(1, 5), (6, 17)]
    );
    let first = &listed[0];
    assert_eq!(first.origin, "extractive");
    assert!(first.text.contains("Postgres 16"), "{}", first.text);
    assert!(first.text.starts_with("14 November 2023 to"), "{}", first.text);
    // It cites the turns it quotes, and only turns of its window.
    let messages: Vec<&str> = first.sources.iter().map(|s| s.message.as_str()).collect();
    assert!(messages.contains(&"m2"), "{messages:?}");
    assert!(
        messages
            .iter()
            .all(|m| ["m0", "m1", "m2", "m3", "m4"].contains(m)),
        "{messages:?}"
    );

    // Ten more turns close the open window (2 + 10 = 12).
    turns::add(&t.db, &scope, &talk("c1", "b", 19, 29, filler), &keys)
        .await
        .unwrap();
    assert_eq!(
        summaries::run_pending(&t.db, "local", 12, None)
            .await
            .unwrap()
            .written,
        1
    );
    // A window of 0 writes nothing.
    turns::add(&t.db, &scope, &talk("c2", "", 0, 30, filler), &keys)
        .await
        .unwrap();
    assert_eq!(
        summaries::run_pending(&t.db, "local", 0, None)
            .await
            .unwrap()
            .written,
        0
    );

    // Recall finds the summary, cited, and forgetting it takes it out of recall too.
    let request = crate::request("what does Ana do", scope.clone());
    let items = recall(&t.db, &request).await.unwrap();
    let summary = items.first().filter(|i| i.kind == "summary");
    let summary = summary.unwrap_or_else(|| panic!("the summary is not first: {items:#?}"));
    let second = &listed[1];
    assert_eq!(summary.id, second.id);
    assert!(
        summary.text.contains("Terraform") && summary.text.contains("December"),
        "{}",
        summary.text
    );
    let cited: Vec<&str> = summary.sources.iter().map(|s| s.message.as_str()).collect();
    for m in ["m6", "m8", "m10", "m12", "m14"] {
        assert!(cited.contains(&m), "{cited:?}");
    }
    ItemId::parse(&second.id).unwrap().forget(&t.db).await.unwrap();
    let items = recall(&t.db, &request).await.unwrap();
    assert!(items.iter().all(|i| i.id != second.id), "{items:#?}");
    assert!(matches!(
        summaries::get(&t.db, second.id[1..].parse().unwrap()).await,
        Err(mira_memory::MemoryError::NoSuchItem(_))
    ));
}

#[tokio::test]
async fn summaries_of_a_project_are_never_seen_from_another() {
    let t = db().await;
    let a = crate::project(&t, "a").await;
    let b = crate::project(&t, "b").await;
    let keys = Scrubber::default();
    let text = |i: usize| format!("The Kafka consumer lag alarm fired again at step {i}.");
    turns::add(&t.db, &Scope::project(a), &talk("ca", "", 0, 4, text), &keys)
        .await
        .unwrap();
    assert_eq!(
        summaries::run_pending(&t.db, "local", 4, None)
            .await
            .unwrap()
            .written,
        1
    );
    assert_eq!(
        summaries::list(&t.db, &Scope::project(a), None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        summaries::list(&t.db, &Scope::project(b), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let request = |scope| crate::request("Kafka consumer lag", scope);
    assert!(
        recall(&t.db, &request(Scope::project(b)))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !recall(&t.db, &request(Scope::project(a)))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_behaviour_counts_once_per_turn_and_becomes_a_habit_at_three() {
    let t = db().await;
    let keys = Scrubber::default();
    let a = crate::project(&t, "a").await;
    let asks = [
        "Please add unit tests for the parser",
        "Can you write tests for the cache too?",
        "Looks good. Add a test for the empty input case, and more tests for errors.",
    ];
    let mut list = Vec::new();
    for (i, text) in asks.iter().enumerate() {
        list.push(turn(
            "c1",
            "",
            &format!("u{i}"),
            USER_SPEAKER,
            text,
            1_000 + i as i64,
        ));
        // Mira's own answers never count as the user's behaviour.
        list.push(turn(
            "c1",
            "",
            &format!("a{i}"),
            ASSISTANT_SPEAKER,
            "I will add tests for that.",
            1_000 + i as i64,
        ));
    }
    turns::add(&t.db, &Scope::project(a), &list[..4], &keys)
        .await
        .unwrap();
    let report = extract::run_pending(&t.db, "local", |_| {}).await.unwrap();
    assert_eq!(report.behaviours, 2, "{report:?}");
    assert!(
        patterns::list(&t.db, &Scope::user(), patterns::HABIT_EVIDENCE)
            .await
            .unwrap()
            .is_empty()
    );

    turns::add(&t.db, &Scope::project(a), &list[4..], &keys)
        .await
        .unwrap();
    extract::run_pending(&t.db, "local", |_| {}).await.unwrap();
    // A second pass reads nothing again.
    assert_eq!(
        extract::run_pending(&t.db, "local", |_| {})
            .await
            .unwrap()
            .behaviours,
        0
    );
    let habits = patterns::list(&t.db, &Scope::user(), patterns::HABIT_EVIDENCE)
        .await
        .unwrap();
    assert_eq!(habits.len(), 1, "{habits:#?}");
    let h = &habits[0];
    assert_eq!((h.behaviour.as_str(), h.evidence_count), ("asks for tests", 3));
    assert_eq!((h.first_seen, h.last_seen), (1_000, 1_002));
    let sources: Vec<&str> = h.sources.iter().map(|s| s.message.as_str()).collect();
    assert_eq!(sources, vec!["u2", "u1", "u0"]);
    // The user's, so seen from any project too.
    assert_eq!(
        patterns::list(&t.db, &Scope::project(a), 3).await.unwrap().len(),
        1
    );

    ItemId::parse(&h.id).unwrap().forget(&t.db).await.unwrap();
    assert!(patterns::list(&t.db, &Scope::user(), 1).await.unwrap().is_empty());
}
