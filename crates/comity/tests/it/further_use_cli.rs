//! `comity further-use verify`: an answer to an ask for further use checks with the log's
//! verifier key and no other, and nothing else the key signs passes for one.

use crate::support::{comity, comity_with};

#[test]
fn an_answer_verifies_with_the_logs_key_only() {
    let key = comity_log::LogKey::generate("comity.example/log");
    let text = format!(
        "{}\nrequest 01a24bea-144c-7020-89f0-8ad69a04eea3\nask 1\nkind transfer\nanswer granted\nby ie-high-court\n",
        comity_app::further_use::ANSWER_HEADER
    );
    let dir = tempfile::tempdir().unwrap();
    let answer = dir.path().join("answer.txt");
    std::fs::write(&answer, key.sign_statement(&text).unwrap()).unwrap();
    let path = answer.to_str().unwrap();

    let out = comity(&["further-use", "verify", path, "--vkey", key.verifier_key()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), text, "it prints what it verified");
    let stdin = std::fs::read_to_string(&answer).unwrap();
    let out = comity_with(&["further-use", "verify", "-", "--vkey", key.verifier_key()], None, &stdin, &[]);
    assert!(out.status.success(), "from standard input too");

    // Another key, an edited answer, a checkpoint signed with the right key, a bad key.
    let other = comity_log::LogKey::generate("comity.example/log");
    let out = comity(&["further-use", "verify", path, "--vkey", other.verifier_key()], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("refused: "), "{out:?}");
    std::fs::write(&answer, stdin.replace("answer granted", "answer refused")).unwrap();
    let out = comity(&["further-use", "verify", path, "--vkey", key.verifier_key()], None);
    assert_eq!(out.status.code(), Some(1), "an edited answer is refused");
    std::fs::write(&answer, key.sign("comity.example/log", 1, comity_log::Hash([0; 32])).unwrap()).unwrap();
    let out = comity(&["further-use", "verify", path, "--vkey", key.verifier_key()], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an answer"), "{out:?}");
    let out = comity(&["further-use", "verify", path, "--vkey", "not-a-key"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--vkey"), "{out:?}");
}
