use super::support::{lines, lint};

const ID: &str = "curl-pipe-shell";

#[test]
fn fires_on_downloads_run_by_a_shell() {
    assert_eq!(lint(ID, "FROM debian\nRUN curl -fsSL https://example.com/i.sh | sh\n"), [(2, 43, "A downloaded script is run by sh".to_owned())]);
    assert_eq!(lint(ID, "FROM debian\nRUN wget -qO- https://example.com/i.sh | sudo bash -s -- -y\n"), [(2, 42, "A downloaded script is run by bash".to_owned())]);
    assert_eq!(lines(ID, "FROM debian\nRUN sh -c \"$(curl -fsSL https://example.com/i.sh)\"\nRUN bash <(curl -s https://example.com/x)\n"), [2, 3]);
    assert_eq!(lines(ID, "FROM debian\nRUN set -e; curl -s https://example.com/get.py | python3 -\n"), [2]);
}

#[test]
fn downloads_to_files_and_other_pipes_are_fine() {
    let ok = "FROM debian\n\
        RUN curl -fsSLo /tmp/i.sh https://example.com/i.sh && echo \"abc  /tmp/i.sh\" | sha256sum -c - && sh /tmp/i.sh\n\
        RUN curl -fsSL https://example.com/a.tgz | tar -xz -C /opt\n\
        RUN curl -fsSL https://example.com/key.gpg | gpg --dearmor -o /usr/share/keyrings/k.gpg\n\
        RUN echo hi | sh\n";
    assert!(lines(ID, ok).is_empty());
}
