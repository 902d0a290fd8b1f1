//! The EDN reader: Jepsen's shapes of history, and clear errors for everything else.

use dsplay_check::{
    parse_edn, to_edn, Call, History, Outcome, ParseError, MAX_DEPTH, MAX_INPUT_BYTES,
    MAX_OPERATIONS,
};

fn parse_error(input: &str) -> ParseError {
    match parse_edn(input) {
        Ok(history) => panic!("expected an error, read {} operations", history.len()),
        Err(error) => error,
    }
}

#[test]
fn one_map_per_line_and_a_vector_of_maps_read_the_same() {
    let lines = "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}\n";
    let vector = "[{:process 0 :type :invoke :f :write :value 1}\n {:process 0 :type :ok :f :write :value 1}]";
    let list = "({:type :invoke, :f :write, :value 1, :process 0}\n {:value 1 :f :write :process 0 :type :ok})";
    let expected = parse_edn(lines).expect("lines read");
    assert_eq!(parse_edn(vector).expect("a vector reads"), expected);
    assert_eq!(parse_edn(list).expect("a list reads"), expected);
    assert_eq!(expected.len(), 1);
    assert_eq!(expected.ops()[0].call, Call::Write(1));
    assert_eq!(expected.ops()[0].outcome, Some(Outcome::Ok(None)));
}

#[test]
fn comments_extra_keys_and_strings_with_brackets_are_skipped() {
    let input = r#"; A comment { with [ brackets
[{:process 0, :type :invoke, :f :cas, :value [1 2], :index 3}
 ; Another comment
 {:process 0, :type :fail, :f :cas, :value [1 2],
  :error "lost contact {:t 18, :r [\"Cannot \\\"write\\\"\"], :n []}"}
 {:process :nemesis, :type :info, :f :start, :value "Cut off [:n3 #[:n4 :n5]]"}
 {:process 1, :type :invoke, :f :read, :value nil, :meta #{:a :b}, :at #inst "2016-01-01"}
 {:process 1, :type :ok, :f :read, :value nil, :ignored #_ {:not "read"} 4.5}]"#;
    let history = parse_edn(input).expect("the history reads");
    assert_eq!(history.len(), 2, "the nemesis is not a client");
    assert_eq!(
        history.ops()[0].call,
        Call::Cas {
            expected: 1,
            new: 2
        }
    );
    assert_eq!(history.ops()[0].outcome, Some(Outcome::Fail));
    assert_eq!(history.ops()[1].read_value(), Some(None));
    assert!(!history.is_timed());
}

#[test]
fn time_key_node_and_final_are_read() {
    let input = r#"{:process 3, :type :invoke, :f :read, :key "x", :time 1000, :final true}
{:process 3, :type :ok, :f :read, :key "x", :value 7, :time 2500, :node "n2"}
{:process 4, :type :invoke, :f :write, :key :y, :value 1, :time 3000}"#;
    let history = parse_edn(input).expect("the history reads");
    assert!(history.is_timed());
    let read = &history.ops()[0];
    assert_eq!((read.invoke_ns, read.complete_ns), (1000, Some(2500)));
    assert_eq!(read.key.as_deref(), Some("x"));
    assert_eq!(read.node.as_deref(), Some("n2"));
    assert!(read.final_read);
    assert_eq!(read.read_value(), Some(Some(7)));
    let write = &history.ops()[1];
    assert_eq!(write.key.as_deref(), Some("y"));
    assert_eq!(write.outcome, None, "never completed");
}

#[test]
fn an_invocation_pairs_with_the_next_completion_of_its_process() {
    let input = "{:process 0, :type :invoke, :f :write, :value 1}
{:process 1, :type :invoke, :f :read, :value nil}
{:process 1, :type :ok, :f :read, :value 1}
{:process 0, :type :info, :f :write, :value 1}";
    let history = parse_edn(input).expect("the history reads");
    assert_eq!(history.ops()[0].outcome, Some(Outcome::Info));
    assert_eq!(history.ops()[1].read_value(), Some(Some(1)));
    let (write, read) = (&history.ops()[0], &history.ops()[1]);
    assert!(
        !read.precedes(write) && !write.precedes(read),
        "they overlap"
    );
}

#[test]
fn a_truncated_map_names_its_line() {
    let error =
        parse_error("{:process 0, :type :invoke, :f :read}\n{:process 0, :type :ok,\n :f :read");
    assert_eq!(error.line, 3);
    assert!(error.message.contains("opened at line 2"), "{error}");
    assert!(error.message.contains("expected '}'"), "{error}");
}

#[test]
fn an_unknown_type_keyword_is_named() {
    let error =
        parse_error("{:process 0, :type :invoke, :f :read}\n{:process 0, :type :done, :f :read}");
    assert_eq!(error.line, 2);
    assert!(error.message.contains(":done"), "{error}");
    assert!(
        error
            .message
            .contains("expected :invoke, :ok, :fail or :info"),
        "{error}"
    );
}

#[test]
fn a_missing_process_is_named() {
    let error = parse_error("\n\n{:type :invoke, :f :read}");
    assert_eq!(error.line, 3);
    assert!(error.message.contains(":process"), "{error}");
}

#[test]
fn mismatched_brackets_name_the_opening_line() {
    let error = parse_error(
        "[{:process 0, :type :invoke, :f :read}\n {:process 0 :type :ok :f :read :value [1 2}]",
    );
    assert_eq!(error.line, 2);
    assert!(error.message.contains("expected ']'"), "{error}");
    let stray = parse_error("{:process 0, :type :invoke, :f :read}}");
    assert!(stray.message.contains("nothing open"), "{stray}");
}

#[test]
fn nesting_deeper_than_the_limit_is_refused() {
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let error = parse_error(&deep);
    assert!(
        error.message.contains(&format!("deeper than {MAX_DEPTH}")),
        "{error}"
    );
    let discards = format!("[{}1]", "#_".repeat(100_000));
    assert!(parse_error(&discards).message.contains("deeper"));
    let within = format!(
        "{{:process 0, :type :invoke, :f :read, :x {}1{}}}",
        "[".repeat(50),
        "]".repeat(50)
    );
    assert!(parse_edn(&within).is_ok());
}

#[test]
fn input_larger_than_the_limit_is_refused() {
    let huge = " ".repeat(MAX_INPUT_BYTES + 1);
    let error = parse_error(&huge);
    assert!(error.message.contains("more than the limit"), "{error}");
}

#[test]
fn more_operations_than_the_limit_are_refused() {
    let line = "{:process 0 :type :invoke :f :read}\n";
    let input = line.repeat(MAX_OPERATIONS + 1);
    let error = parse_error(&input);
    assert_eq!(error.line, MAX_OPERATIONS + 1);
    assert!(
        error
            .message
            .contains(&format!("more than {MAX_OPERATIONS} operations")),
        "{error}"
    );
}

#[test]
fn values_of_the_wrong_kind_are_named() {
    for (input, expected) in [
        (
            "{:process 0, :type :invoke, :f :write, :value \"a\"}",
            "integer :value",
        ),
        (
            "{:process 0, :type :invoke, :f :cas, :value [1]}",
            "[old new]",
        ),
        ("{:process 0, :type :invoke, :f :increment}", ":f"),
        ("{:process -1, :type :invoke, :f :read}", "non-negative"),
        (
            "{:process 0, :type :ok, :f :read, :value 1}",
            "expected an :invoke",
        ),
        (
            "{:process 0, :type :invoke, :f :read}\n{:process 0, :type :ok, :f :write}",
            "in flight is a :read",
        ),
        (
            "{:process 0, :type :invoke, :f :write, :value 99999999999999999999}",
            "too large",
        ),
        ("{:process 0, :type :invoke :f}", "a value for every key"),
        ("\"never closed", "never ends"),
        ("[1 2]", "expected a map"),
    ] {
        let error = parse_error(input);
        assert!(error.message.contains(expected), "{input}: {error}");
    }
}

#[test]
fn an_empty_input_is_an_empty_history() {
    assert!(parse_edn("").expect("empty reads").is_empty());
    assert!(parse_edn(" ; only a comment\n[]")
        .expect("an empty vector reads")
        .is_empty());
}

#[test]
fn written_histories_read_back_the_same() {
    let mut history = History::new();
    let write = history.push_invoke(0, Call::Write(3), Some("x"), 1_200_000);
    let read = history.push_invoke(1, Call::Read, Some("say \"hi\""), 1_300_000);
    let cas = history.push_invoke(
        2,
        Call::Cas {
            expected: 3,
            new: 4,
        },
        None,
        1_300_000,
    );
    history.complete(write, Outcome::Ok(None), 1_400_000);
    history.complete(read, Outcome::Ok(Some(3)), 1_500_000);
    history.set_node(read, "n1");
    history.set_final_read(read, true);
    history.complete(cas, Outcome::Info, 1_600_000);
    let pending = history.push_invoke(3, Call::Read, Some("x"), 1_700_000);
    history.set_node(pending, "n2");
    let text = to_edn(&history);
    assert_eq!(
        text.lines().next(),
        Some("{:process 0, :type :invoke, :f :write, :key \"x\", :value 3, :time 1200000}")
    );
    assert_eq!(parse_edn(&text).expect("written EDN reads"), history);
}

/// Generated histories written as EDN, then edited at random: a byte changed, a span cut,
/// a span repeated, or a token from EDN's corners put in. Each reads or is refused with a
/// ParseError, never a panic; what reads writes back and reads again the same.
/// `cargo xtask fuzz` runs `DSPLAY_FUZZ_CASES` of them (default a million).
fn fuzz_edn(cases: u64, seed: u64) {
    let mut rng = crate::generate::SplitMix64::new(seed);
    let tokens = [
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        "#{",
        "#_",
        "\"",
        "\\",
        ";",
        ":type",
        ":invoke",
        ":ok",
        ":fail",
        ":info",
        ":f",
        ":value",
        "nil",
        "-9223372036854775809",
        "1e400",
        "#inst",
        "[[[[[[[[[[[[[[[[",
        ":process",
        " ",
        "\n",
    ];
    let texts: Vec<String> = (0..16)
        .map(|index| {
            to_edn(&crate::generate::history(
                seed ^ index,
                crate::generate::Shape::small(index),
            ))
        })
        .collect();
    for case in 0..cases {
        let mut bytes = texts[rng.below(texts.len() as u64) as usize]
            .clone()
            .into_bytes();
        for _ in 0..=rng.below(3) {
            if bytes.is_empty() {
                break;
            }
            let at = rng.below(bytes.len() as u64) as usize;
            match rng.below(4) {
                0 => bytes[at] = rng.below(128) as u8,
                1 => bytes.truncate(at),
                2 => {
                    let end = (at + rng.below(120) as usize).min(bytes.len());
                    let span = bytes[at..end].to_vec();
                    bytes.splice(at..at, span);
                }
                _ => {
                    let token = tokens[rng.below(tokens.len() as u64) as usize];
                    bytes.splice(at..at, token.bytes());
                }
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(history) = parse_edn(&text) {
            let again = parse_edn(&to_edn(&history)).unwrap_or_else(|err| {
                panic!("seed {seed} case {case}: written back, it fails: {err}")
            });
            assert_eq!(again.len(), history.len(), "seed {seed} case {case}");
        }
    }
}

#[test]
fn mangled_histories_read_or_are_refused_without_a_panic() {
    fuzz_edn(3_000, 11);
}

#[test]
#[ignore = "long: run by `cargo xtask fuzz`"]
fn fuzz_edn_parser() {
    let cases = std::env::var("DSPLAY_FUZZ_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1_000_000);
    fuzz_edn(cases, 20_261_203);
}
