use super::support::{lines, lint};

const ID: &str = "sudo";

#[test]
fn fires_on_sudo_commands() {
    assert_eq!(lint(ID, "FROM debian:12\nRUN sudo apt-get update\n"), [(2, 1, "sudo in RUN".to_owned())]);
    assert_eq!(lines(ID, "FROM debian:12\nRUN echo x | sudo tee /etc/x\nRUN /usr/bin/sudo -u app id\n"), [2, 3]);
}

#[test]
fn the_word_sudo_is_fine() {
    assert!(lines(ID, "FROM debian:12\nRUN echo sudo && apt-get install -y sudo-ldap\n").is_empty());
}
