//! The SMTP setting and the webhook endpoint: what is read, and what is refused with
//! what to fix.

use std::time::Duration;

use comity_notify::{
    Disposition, EndpointError, MailError, Mailbox, Mailer, Security, SettingsError, SmtpSettings,
    WebhookEndpoint,
};

#[test]
fn smtp_settings_are_read() {
    let s = SmtpSettings::parse(
        "smtps://mailer:p%40ss%3Aword@smtp.example.org?from=notices%2Bcomity@example.org",
    )
    .expect("valid");
    assert_eq!((s.host(), s.port(), s.security()), ("smtp.example.org", 465, Security::ImplicitTls));
    assert_eq!(s.from().email.to_string(), "notices+comity@example.org");
    assert_eq!(s.timeout(), SmtpSettings::DEFAULT_TIMEOUT);
    assert!(!format!("{s:?}").contains("p@ss"), "the password never shows: {s:?}");

    let s = SmtpSettings::parse("smtp://smtp.example.org?from=Comity%20%3Cnotices@example.org%3E&timeout=5")
        .expect("valid");
    assert_eq!((s.port(), s.security(), s.timeout()), (587, Security::StartTls, Duration::from_secs(5)));
    assert_eq!(s.from().name.as_deref(), Some("Comity"));

    let s = SmtpSettings::parse("smtp+insecure://127.0.0.1:2525?from=notices@example.org").expect("valid");
    assert_eq!((s.port(), s.security()), (2525, Security::None));
    assert!(SmtpSettings::parse("smtp+insecure://[::1]:2525?from=a@b.example").is_ok());
    assert!(SmtpSettings::parse("smtp+insecure://localhost?from=a@b.example").is_ok());
}

#[test]
fn smtp_settings_that_cannot_work_are_refused() {
    let cases = [
        ("smtp.example.org", SettingsError::NotAUrl("relative URL without a base".into())),
        ("http://smtp.example.org?from=a@b.example", SettingsError::Scheme("http".into())),
        ("smtps://?from=a@b.example", SettingsError::NoHost),
        (
            "smtp+insecure://smtp.example.org?from=a@b.example",
            SettingsError::InsecureHost("smtp.example.org".into()),
        ),
        ("smtps://user@smtp.example.org?from=a@b.example", SettingsError::Credentials),
        ("smtps://smtp.example.org", SettingsError::NoFrom),
        ("smtps://smtp.example.org?from=nobody", SettingsError::From("nobody".into())),
        ("smtps://smtp.example.org?from=a@b.example&timeout=0", SettingsError::Timeout("0".into())),
        ("smtps://smtp.example.org?from=a@b.example&tls=off", SettingsError::Unknown("tls".into())),
    ];
    for (setting, expected) in cases {
        assert_eq!(SmtpSettings::parse(setting).map(|_| ()), Err(expected), "{setting}");
    }
    let message = SettingsError::NoHost.to_string();
    assert!(message.contains("no host") && message.contains("smtps://"), "{message}");
}

#[test]
fn webhook_endpoints_are_https_or_loopback() {
    assert!(WebhookEndpoint::parse("https://provider.example/comity").is_ok());
    assert!(WebhookEndpoint::parse("http://127.0.0.1:8080/hook").is_ok());
    assert!(WebhookEndpoint::parse("http://[::1]/hook").is_ok());
    assert!(matches!(
        WebhookEndpoint::parse("http://provider.example/hook"),
        Err(EndpointError::Insecure(_))
    ));
    assert!(matches!(WebhookEndpoint::parse("ftp://provider.example/hook"), Err(EndpointError::Insecure(_))));
    assert!(matches!(WebhookEndpoint::parse("https://u:p@provider.example/"), Err(EndpointError::Extra(_))));
    assert!(matches!(WebhookEndpoint::parse("https://provider.example/#x"), Err(EndpointError::Extra(_))));
    assert!(matches!(WebhookEndpoint::parse("/hook"), Err(EndpointError::NotAUrl(_))));
}

/// No server at all: a transport failure, tried again later.
#[tokio::test]
async fn an_smtp_server_that_is_not_there_is_retried() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("an address").port()
    };
    let settings = SmtpSettings::parse(&format!(
        "smtp+insecure://127.0.0.1:{port}?from=notices@comity.example&timeout=5"
    ))
    .expect("valid");
    let mailer = Mailer::new(&settings).expect("a mailer");
    let to: Mailbox = "someone@example.org".parse().expect("an address");
    let err = mailer.send(&to, "Subject", "Body").await.expect_err("nothing listens");
    assert!(matches!(err, MailError::Transport(_)), "{err:?}");
    assert_eq!(err.disposition(), Disposition::Retry { after: None });

    let err = mailer.send(&to, "Two\r\nBcc: x@y.example", "Body").await.expect_err("a line break");
    assert!(matches!(err, MailError::Subject));
    assert_eq!(err.disposition(), Disposition::Permanent);
}
