use super::support::{lines, lint};

const ID: &str = "expose-ssh";

#[test]
fn fires_on_port_22() {
    assert_eq!(lint(ID, "FROM debian\nEXPOSE 80 22/tcp\n"), [(2, 11, "EXPOSE 22/tcp: the image runs an SSH server".to_owned())]);
    assert_eq!(lines(ID, "FROM debian\nEXPOSE 22\nEXPOSE 20-25\nARG P=22\nEXPOSE $P\n"), [2, 3, 5]);
}

#[test]
fn other_ports_and_udp_are_fine() {
    assert!(lines(ID, "FROM debian\nEXPOSE 2222 8022 22/udp 80\n").is_empty());
}
