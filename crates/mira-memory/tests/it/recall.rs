use mira_llm::scrub::Scrubber;
use mira_memory::extract::{self, USER_SPEAKER};
use mira_memory::recall::recall;
use mira_memory::{Scope, turns};

use crate::{db, request, turn};

#[tokio::test]
async fn project_items_never_reach_another_project_and_user_items_reach_both() {
    let t = db().await;
    let a = crate::project(&t, "a").await;
    let b = crate::project(&t, "b").await;
    let keys = Scrubber::default();
    turns::add(
        &t.db,
        &Scope::project(a),
        &[turn(
            "1",
            "",
            "1",
            USER_SPEAKER,
            "We use Kafka for the event bus.",
            1,
        )],
        &keys,
    )
    .await
    .unwrap();
    turns::add(
        &t.db,
        &Scope::project(b),
        &[turn(
            "2",
            "",
            "1",
            USER_SPEAKER,
            "We use RabbitMQ for the event bus.",
            2,
        )],
        &keys,
    )
    .await
    .unwrap();
    turns::add(
        &t.db,
        &Scope::user(),
        &[turn(
            "3",
            "",
            "1",
            USER_SPEAKER,
            "I prefer short answers about the event bus.",
            3,
        )],
        &keys,
    )
    .await
    .unwrap();
    extract::run_pending(&t.db, "local", |_| {}).await.unwrap();

    let in_a = recall(&t.db, &request("which event bus", Scope::project(a)))
        .await
        .unwrap();
    let text_a: String = in_a.iter().map(|i| i.text.clone()).collect();
    assert!(
        text_a.contains("Kafka") && text_a.contains("short answers"),
        "{in_a:#?}"
    );
    assert!(!text_a.contains("RabbitMQ"), "{in_a:#?}");
    let in_b = recall(&t.db, &request("which event bus", Scope::project(b)))
        .await
        .unwrap();
    let text_b: String = in_b.iter().map(|i| i.text.clone()).collect();
    assert!(
        text_b.contains("RabbitMQ") && !text_b.contains("Kafka"),
        "{in_b:#?}"
    );
    let outside = recall(&t.db, &request("which event bus", Scope::user()))
        .await
        .unwrap();
    assert!(
        outside.iter().all(|i| i.text.contains("short answers")),
        "{outside:#?}"
    );
    // The fact comes first and its turn, which it cites, is not repeated.
    assert_eq!(in_a[0].kind, "fact");
    let cited: Vec<_> = in_a.iter().flat_map(|i| i.sources.clone()).collect();
    let mut unique = cited.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(cited.len(), unique.len(), "{in_a:#?}");
}

#[tokio::test]
async fn turns_are_found_by_speaker_and_with_their_question_and_cite_their_message() {
    let t = db().await;
    let keys = Scrubber::default();
    turns::add(
        &t.db,
        &Scope::user(),
        &[
            turn(
                "conv-1",
                "s1",
                "D1:1",
                "Melanie",
                "What instrument did you pick up?",
                1,
            ),
            turn("conv-1", "s1", "D1:2", "Caroline", "The violin, a month ago!", 2),
            turn(
                "conv-1",
                "s1",
                "D1:3",
                "Melanie",
                "I went camping with the kids.",
                3,
            ),
            turn(
                "conv-2",
                "s1",
                "X:1",
                "Caroline",
                "My violin teacher is strict.",
                4,
            ),
        ],
        &keys,
    )
    .await
    .unwrap();
    // Other talk, so that words are as rare or common as in a real conversation.
    let chatter: Vec<_> = (0..30)
        .map(|i| {
            let who = if i % 2 == 0 { "Melanie" } else { "Ben" };
            turn(
                "conv-3",
                "s1",
                &format!("C:{i}"),
                who,
                &format!("Lunch plans number {i} and the weather."),
                10 + i,
            )
        })
        .collect();
    turns::add(&t.db, &Scope::user(), &chatter, &keys).await.unwrap();
    let mut r = request("Caroline's violin", Scope::user());
    r.conversation = Some("conv-1".into());
    let items = recall(&t.db, &r).await.unwrap();
    assert!(!items.is_empty());
    assert_eq!(items[0].sources[0].message, "D1:2", "{items:#?}");
    assert!(
        items
            .iter()
            .all(|i| i.sources.iter().all(|s| s.conversation == "conv-1")),
        "{items:#?}"
    );
    // The question's words find the question, shown and cited with its answer.
    let mut by_question = request("instrument", Scope::user());
    by_question.conversation = Some("conv-1".into());
    let found = recall(&t.db, &by_question).await.unwrap();
    assert_eq!(found[0].sources[0].message, "D1:1", "{found:#?}");
    let cited: Vec<&str> = found[0].sources.iter().map(|s| s.message.as_str()).collect();
    assert_eq!(cited, vec!["D1:1", "D1:2"]);
    assert!(found[0].text.contains("The violin"), "{found:#?}");
    // The answer itself is not repeated as an item of its own.
    assert!(
        found.iter().skip(1).all(|i| i.sources[0].message != "D1:2"),
        "{found:#?}"
    );

    // A budget keeps the answer small; a limit keeps it short.
    r.budget_tokens = Some(20);
    let small = recall(&t.db, &r).await.unwrap();
    assert!(
        small.iter().map(|i| i.tokens()).sum::<usize>() <= 20,
        "{small:#?}"
    );
    r.budget_tokens = None;
    r.limit = 1;
    assert_eq!(recall(&t.db, &r).await.unwrap().len(), 1);
}

/// 40 turns about the weather, two of which also name the rare word, then five more.
async fn weather_turns(t: &crate::TempDb) {
    let mut list = Vec::new();
    for i in 0..45 {
        let text = match i {
            7 => "The weather was grim, so we fixed the flaky kestrel deploy".to_string(),
            30 => "Weather aside, kestrel now restarts cleanly".to_string(),
            _ => format!("More weather talk, day {i}"),
        };
        list.push(turn("w", "", &i.to_string(), USER_SPEAKER, &text, i));
    }
    turns::add(&t.db, &Scope::user(), &list, &Scrubber::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_small_candidate_budget_scores_the_turns_with_the_rare_word_and_still_finds_them() {
    let t = db().await;
    weather_turns(&t).await;
    let terms = mira_memory::query::terms("weather kestrel");
    // "kestrel" is in 6 turns (its two and, as a neighbour, the turns around them).
    let matched = mira_memory::gate::turn_match(&t.db, &terms, 10).await.unwrap();
    assert_eq!(
        matched.expr, "\"kestrel\"",
        "the common word would make all 45 turns candidates"
    );
    assert_eq!(matched.min_rowid, None);
    let mut ask = request("what about the weather and kestrel", Scope::user());
    ask.candidates = 10;
    let found = recall(&t.db, &ask).await.unwrap();
    let mut messages: Vec<&str> = found.iter().map(|i| i.sources[0].message.as_str()).collect();
    messages.sort();
    assert_eq!(messages, ["30", "7"], "{found:#?}");
    // With the default budget every weather turn is scored, the kestrel ones first.
    let found = recall(
        &t.db,
        &request("what about the weather and kestrel", Scope::user()),
    )
    .await
    .unwrap();
    assert_eq!(found.len(), 10);
    let mut first: Vec<&str> = found[..2].iter().map(|i| i.sources[0].message.as_str()).collect();
    first.sort();
    assert_eq!(first, ["30", "7"], "{found:#?}");
}

#[tokio::test]
async fn a_query_of_only_common_words_over_budget_searches_the_newest_turns_holding_them() {
    let t = db().await;
    weather_turns(&t).await;
    let terms = mira_memory::query::terms("weather");
    let matched = mira_memory::gate::turn_match(&t.db, &terms, 10).await.unwrap();
    assert_eq!(matched.expr, "\"weather\"");
    let bound = matched
        .min_rowid
        .expect("45 turns hold the word, over a budget of 10");
    let mut ask = request("weather", Scope::user());
    ask.candidates = 10;
    let found = recall(&t.db, &ask).await.unwrap();
    // Each item shows the turns around it, which are then not listed again.
    assert!(found.len() >= 3, "{found:#?}");
    for item in &found {
        let n: i64 = item.sources[0].message.parse().unwrap();
        assert!(
            n >= 35,
            "turn {n} is older than the newest ten (bound rowid {bound})"
        );
    }
}
